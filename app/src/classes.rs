//! The Tailwind classes Tessera's controls share, so every form looks and focuses alike.

pub const INPUT_CLASS: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 \
    shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 \
    focus:ring-indigo-500 aria-[invalid=true]:border-red-500 dark:border-slate-600 dark:bg-slate-900 dark:text-white";

pub const BUTTON_CLASS: &str = "w-full rounded-lg bg-indigo-600 px-4 py-2.5 font-medium text-white shadow-sm \
    hover:bg-indigo-500 disabled:cursor-wait disabled:opacity-70 focus-visible:outline focus-visible:outline-2 \
    focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:focus-visible:outline-indigo-300";

pub const SECONDARY_BUTTON_CLASS: &str = "w-full rounded-lg border border-slate-300 bg-white px-4 py-2.5 font-medium \
    text-slate-800 hover:bg-slate-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:border-slate-600 \
    dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700";

pub const DANGER_BUTTON_CLASS: &str = "w-full rounded-lg border border-red-300 bg-white px-4 py-2.5 font-medium \
    text-red-700 hover:bg-red-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700 dark:border-red-800 \
    dark:bg-slate-800 dark:text-red-300 dark:hover:bg-slate-700";

/// The main action of a row of choices (a confirmation's "yes").
pub const INLINE_PRIMARY_CLASS: &str = "inline-block rounded-lg bg-indigo-600 px-4 py-2.5 font-medium text-white \
    shadow-sm hover:bg-indigo-500 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:focus-visible:outline-indigo-300";

/// A button that fits in a row (team pages, dialogs).
pub const INLINE_DANGER_CLASS: &str = "inline-block rounded-lg bg-red-700 px-4 py-2.5 font-medium text-white \
    shadow-sm hover:bg-red-600 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700 dark:focus-visible:outline-red-300";

pub const INLINE_SECONDARY_CLASS: &str = "inline-block rounded-lg border border-slate-300 bg-white px-4 py-2.5 \
    font-medium text-slate-800 hover:bg-slate-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline \
    focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 dark:border-slate-600 \
    dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700";

pub const SMALL_BUTTON_CLASS: &str = "rounded-md border border-slate-300 px-3 py-1 text-sm font-medium text-slate-800 \
    hover:bg-slate-50 disabled:cursor-wait disabled:opacity-70 focus-visible:outline focus-visible:outline-2 \
    focus-visible:outline-indigo-600 dark:border-slate-600 dark:text-slate-100 dark:hover:bg-slate-700";

pub const LINK_CLASS: &str = "font-medium text-indigo-700 underline focus-visible:outline focus-visible:outline-2 \
    focus-visible:outline-indigo-600 dark:text-indigo-300";

/// A modal `<dialog>`: centred, within the screen on a phone, scrolling inside if it must.
pub const DIALOG_CLASS: &str = "m-auto max-h-[calc(100dvh-2rem)] w-[calc(100%-2rem)] max-w-lg overflow-y-auto rounded-2xl \
    border border-slate-200 bg-white p-6 text-slate-900 shadow-xl backdrop:bg-slate-900/50 sm:p-8 dark:border-slate-700 \
    dark:bg-slate-800 dark:text-slate-100";
pub const LABEL_CLASS: &str = "mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-200";

pub const HINT_CLASS: &str = "mt-1.5 text-sm text-slate-500 dark:text-slate-400";

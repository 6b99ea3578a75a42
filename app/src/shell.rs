//! The HTML document around every page.

use leptos::config::LeptosOptions;
use leptos::hydration::HydrationScripts;
use leptos::prelude::*;

use crate::assets::AssetNames;
use crate::layout::{AppFrame, Viewer};
use crate::pages::{Page, PageView};

#[component]
pub fn Shell(options: LeptosOptions, assets: AssetNames, page: Page, frame: Option<Viewer>) -> impl IntoView {
    let title = format!("{} · Tessera", page.title());
    let current = page.section();
    let body = match frame.filter(|_| page.framed()) {
        Some(viewer) => view! { <AppFrame viewer current><PageView page /></AppFrame> }.into_any(),
        None => view! { <PageView page /> }.into_any(),
    };
    let css = format!("/{}/{}", options.site_pkg_dir, assets.css);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="referrer" content="no-referrer" />
                <title>{title}</title>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=css />
                <HydrationScripts options islands=true />
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased dark:bg-slate-900 dark:text-slate-100">
                {body}
            </body>
        </html>
    }
}

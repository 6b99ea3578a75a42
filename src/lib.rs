//! The hydrate entry: the browser runs this to bring the page's islands to life. Nothing else.

// The islands live in `tessera-app`; naming the crate keeps their exports in the WASM module.
#[cfg(feature = "hydrate")]
#[allow(unused_imports)]
use app::*;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panics while developing; release builds abort with the smallest code.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}

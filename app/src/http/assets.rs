//! Static files: the built JS, WASM and CSS under `/pkg` (precompressed, hashed names, cached for a
//! year) and the few public files.

use axum::Router;
use http::header::{HeaderValue, CACHE_CONTROL};
use leptos::config::LeptosOptions;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use crate::assets::AssetNames;

/// Reads the hash file cargo-leptos writes beside the binary, once, to name the stylesheet.
pub fn resolve_asset_names(options: &LeptosOptions) -> AssetNames {
    let mut css = options.output_name.to_string();
    if options.hash_files {
        let path = std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join(options.hash_file.as_ref())));
        match path.and_then(|p| std::fs::read_to_string(p).ok()) {
            Some(hashes) => {
                if let Some(hash) = hashes.lines().filter_map(|l| l.trim().split_once(':')).find(|(k, _)| *k == "css") {
                    css = format!("{css}.{}", hash.1.trim());
                }
            }
            None => tracing::error!("file hashing is on but the hash file is missing"),
        }
    }
    AssetNames { css: format!("{css}.css") }
}

pub fn routes(options: &LeptosOptions) -> Router<AppState> {
    let root = std::path::PathBuf::from(options.site_root.as_ref());
    // Hashed names change with their content, so they can be cached for good; without hashing
    // (debug builds) the browser must revalidate.
    let pkg_cache = if options.hash_files { "public, max-age=31536000, immutable" } else { "no-cache" };
    let pkg = ServeDir::new(root.join(options.site_pkg_dir.as_ref())).precompressed_br().precompressed_gzip();
    let favicon = ServeFile::new(root.join("favicon.svg"));
    Router::new()
        .nest_service(
            &format!("/{}", options.site_pkg_dir),
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static(pkg_cache)))
                .service(pkg),
        )
        .route_service(
            "/favicon.svg",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ))
                .service(favicon),
        )
}

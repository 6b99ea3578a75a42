//! The built static files a page links to.

/// File names of the built assets (hashed in release builds), resolved once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetNames {
    pub css: String,
}

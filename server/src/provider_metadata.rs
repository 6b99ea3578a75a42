//! Sign-in providers' metadata with their keys, kept per instance so that a sign-in does not
//! read them every time (see `sso::flow`, which decides when they are read again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::CoreProviderMetadata;

/// The metadata of each issuer, with when it was read. Keyed by the issuer, not the provider's
/// id: a removed provider's id may be given to the next one added, which must not inherit its
/// predecessor's keys.
#[derive(Default)]
pub struct MetadataCache(Mutex<HashMap<String, (Instant, Arc<CoreProviderMetadata>)>>);

impl MetadataCache {
    /// The metadata of `issuer`, if read less than `max_age` ago.
    pub fn get(&self, issuer: &str, max_age: Duration) -> Option<Arc<CoreProviderMetadata>> {
        let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(issuer).filter(|(at, _)| at.elapsed() < max_age).map(|(_, m)| m.clone())
    }

    pub fn put(&self, issuer: &str, metadata: Arc<CoreProviderMetadata>) {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(issuer.to_string(), (Instant::now(), metadata));
    }
}

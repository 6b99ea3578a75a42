//! Sign-in providers' metadata with their keys, kept per instance so that a sign-in does not
//! read them every time (see `sso::flow`, which decides when they are read again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::CoreProviderMetadata;

/// The metadata of each provider (by id), with when it was read.
#[derive(Default)]
pub struct MetadataCache(Mutex<HashMap<i64, (Instant, Arc<CoreProviderMetadata>)>>);

impl MetadataCache {
    /// Provider `id`'s metadata, if read less than `max_age` ago.
    pub fn get(&self, id: i64, max_age: Duration) -> Option<Arc<CoreProviderMetadata>> {
        let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(&id).filter(|(at, _)| at.elapsed() < max_age).map(|(_, m)| m.clone())
    }

    pub fn put(&self, id: i64, metadata: Arc<CoreProviderMetadata>) {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(id, (Instant::now(), metadata));
    }
}

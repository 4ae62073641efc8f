//! Parsed keys, by `kid`: a token costs one signature (or one check of one) and no key
//! parsing. Signing keys are parsed from their PKCS#8 bytes (as much work as the signature
//! itself); Ed25519 public keys are decompressed from their 32 bytes (about 6 % of a check).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use ciam_domain::{CodecError, Kid};

/// More keys than a key ring ever holds (one active per algorithm, the retired ones until
/// their tokens expire): past this the cache starts over rather than grow.
const MAX_KEYS: usize = 64;

struct Entry<T> {
    /// The stored bytes this entry was parsed from: a `kid` whose bytes differ is parsed
    /// again, never used with the old key.
    source: Vec<u8>,
    parsed: Arc<T>,
}

pub(crate) struct KeyCache<T> {
    entries: RwLock<HashMap<Kid, Entry<T>>>,
}

impl<T> Default for KeyCache<T> {
    fn default() -> Self {
        KeyCache {
            entries: RwLock::default(),
        }
    }
}

impl<T> KeyCache<T> {
    pub(crate) fn get_or_parse(
        &self,
        kid: &Kid,
        source: &[u8],
        parse: impl FnOnce() -> Result<T, CodecError>,
    ) -> Result<Arc<T>, CodecError> {
        {
            // The map holds no invariant a panic could break: a poisoned lock is still usable.
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries.get(kid) {
                // Not a secret comparison: both sides are the server's own stored key.
                if entry.source == source {
                    return Ok(Arc::clone(&entry.parsed));
                }
            }
        }
        let parsed = Arc::new(parse()?);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_KEYS {
            entries.clear();
        }
        entries.insert(
            kid.clone(),
            Entry {
                source: source.to_vec(),
                parsed: Arc::clone(&parsed),
            },
        );
        Ok(parsed)
    }
}

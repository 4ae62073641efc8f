//! Parsed signing keys, by `kid`, so a token costs one signature and no key parsing.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use ciam_domain::{CodecError, Kid};

use crate::signer::ParsedSigner;

/// More keys than a key ring ever holds (one active per algorithm, the retired ones until
/// their tokens expire): past this the cache starts over rather than grow.
const MAX_KEYS: usize = 64;

struct Entry {
    /// The stored PKCS#8 bytes this entry was parsed from: a `kid` whose bytes differ is
    /// parsed again, never signed with the old key.
    source: Vec<u8>,
    signer: Arc<ParsedSigner>,
}

#[derive(Default)]
pub(crate) struct SignerCache {
    entries: RwLock<HashMap<Kid, Entry>>,
}

impl SignerCache {
    pub(crate) fn get_or_parse(
        &self,
        kid: &Kid,
        source: &[u8],
        parse: impl FnOnce() -> Result<ParsedSigner, CodecError>,
    ) -> Result<Arc<ParsedSigner>, CodecError> {
        {
            // The map holds no invariant a panic could break: a poisoned lock is still usable.
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries.get(kid) {
                // Not a secret comparison: both sides are the server's own stored key.
                if entry.source == source {
                    return Ok(Arc::clone(&entry.signer));
                }
            }
        }
        let signer = Arc::new(parse()?);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_KEYS {
            entries.clear();
        }
        entries.insert(
            kid.clone(),
            Entry {
                source: source.to_vec(),
                signer: Arc::clone(&signer),
            },
        );
        Ok(signer)
    }
}

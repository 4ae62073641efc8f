use std::cell::RefCell;
use std::sync::Arc;

use argon2::password_hash::{Output, ParamsString, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use ciam_domain::ports::{PasswordHasher, Random};
use ciam_domain::CodecError;

use crate::hashing_pool::{HashingPool, Refused};
use crate::OsRandom;

/// argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1: OWASP's recommendation),
/// stored as a PHC string so parameters can be raised later without breaking old hashes.
///
/// Every hash runs on one of `threads` dedicated threads, each hashing into memory of its
/// own that it keeps for the next hash: resident memory is `threads × m` however many
/// sign-ins arrive, instead of one allocation per request that the allocator may never hand
/// back. At most `QUEUE_PER_THREAD` calls per thread wait for a turn; a call beyond that fails
/// at once with `Saturated`, which the service answers with 503 and Retry-After.
#[derive(Clone)]
pub struct Argon2idHasher {
    params: Params,
    pool: Arc<HashingPool>,
}

/// Calls that may wait per hashing thread: at about 50 ms a hash, the last in line waits
/// a few seconds at most.
const QUEUE_PER_THREAD: usize = 64;

/// Largest salt decoded from a stored hash (the PHC format allows 64 bytes).
const MAX_SALT_BYTES: usize = 64;

thread_local! {
    /// The hashing thread's argon2 memory, kept between hashes.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn codec_error(error: impl std::fmt::Display) -> CodecError {
    CodecError::Signing(error.to_string())
}

/// The argon2 hash of `password` into `out`, in this thread's kept memory.
fn hash_into(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        let blocks = argon2.params().block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

impl Argon2idHasher {
    /// Hashes on `threads` dedicated threads (at least 1).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        Self {
            params: Params::default(),
            pool: Arc::new(HashingPool::new(threads, threads * QUEUE_PER_THREAD)),
        }
    }

    fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CodecError> {
        self.pool.run(job).map_err(|refused| match refused {
            Refused::Saturated => CodecError::Saturated,
            Refused::Stopped => codec_error("password hashing threads stopped"),
        })
    }
}

impl Default for Argon2idHasher {
    /// One hashing thread per CPU: more would only queue on the CPUs while holding memory.
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }
}

impl PasswordHasher for Argon2idHasher {
    fn hash(&self, password: &str) -> Result<String, CodecError> {
        let mut salt = [0u8; 16];
        OsRandom.fill(&mut salt);
        let salt_string = SaltString::encode_b64(&salt).map_err(codec_error)?;
        let params = self.params.clone();
        let password = password.to_owned();
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let output = self
            .run(move || {
                Output::init_with(output_len, |out| {
                    hash_into(&argon2, password.as_bytes(), &salt, out)
                        .map_err(|_| argon2::password_hash::Error::Password)
                })
            })?
            .map_err(codec_error)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(codec_error)?,
            salt: Some(salt_string.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// The stored hash's own algorithm, version and parameters, so that hashes made with
    /// older settings keep verifying. `Output`'s comparison is constant-time.
    fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError> {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return Ok(false);
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let mut salt_buf = [0u8; MAX_SALT_BYTES];
        let (Ok(algorithm), Ok(params), Ok(salt)) = (
            Algorithm::try_from(parsed.algorithm),
            Params::try_from(&parsed),
            salt.decode_b64(&mut salt_buf),
        ) else {
            return Ok(false);
        };
        let version = match parsed.version.map(Version::try_from).transpose() {
            Ok(version) => version.unwrap_or_default(),
            Err(_) => return Ok(false),
        };
        let argon2 = Argon2::new(algorithm, version, params);
        let (password, salt) = (password.to_owned(), salt.to_vec());
        self.run(move || {
            let computed = Output::init_with(expected.len(), |out| {
                hash_into(&argon2, password.as_bytes(), &salt, out)
                    .map_err(|_| argon2::password_hash::Error::Password)
            });
            computed.is_ok_and(|computed| computed == expected)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let hasher = Argon2idHasher::default();
        let a = hasher.hash("correct horse").expect("hash");
        let b = hasher.hash("correct horse").expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert_eq!(hasher.verify("correct horse", &a), Ok(true));
        assert_eq!(hasher.verify("wrong", &a), Ok(false));
        assert_eq!(
            hasher.verify("correct horse", "not a phc string"),
            Ok(false)
        );
    }

    #[test]
    fn verifies_hashes_made_by_the_argon2_crate_with_other_parameters() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::encode_b64(b"sixteen byte sal").expect("salt");
        let params = Params::new(8 * 1024, 3, 1, Some(24)).expect("params");
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse", &salt)
            .expect("hash")
            .to_string();
        let hasher = Argon2idHasher::new(1);
        assert_eq!(hasher.verify("correct horse", &other), Ok(true));
        assert_eq!(hasher.verify("correct horsf", &other), Ok(false));
        let ours = hasher.hash("correct horse").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        use argon2::password_hash::PasswordVerifier as _;
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok(),
            "and the argon2 crate verifies ours"
        );
    }
}

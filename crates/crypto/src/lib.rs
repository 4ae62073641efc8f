//! Adapters for the domain's computational ports: JWT signing, password hashing,
//! randomness and time. Well-kept crates do the cryptography; this crate only fits them
//! to the ports.

mod argon2id;
mod ed25519_jws;
mod hashing_pool;
mod jwt;
mod key_cache;
mod keygen;
mod signer;
mod system;
mod verified_tokens;

pub use argon2id::Argon2idHasher;
pub use jwt::{JwtCodec, DEFAULT_VERIFIED_TOKENS};
pub use system::{OsRandom, SystemClock};

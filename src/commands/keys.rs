use ciam_domain::{AccessTokens, SigningAlg, SigningKey};
use serde_json::{json, Value};

use super::{print_json, CommandError};
use crate::cli::KeysCommand;

/// `access_token_alg` is what `keys rotate` rotates when it is not told.
pub fn run(
    access_tokens: &AccessTokens,
    access_token_alg: SigningAlg,
    command: KeysCommand,
) -> Result<(), CommandError> {
    match command {
        KeysCommand::List => {
            let keys: Vec<Value> = access_tokens.list_keys()?.iter().map(describe).collect();
            print_json(&Value::Array(keys))
        }
        KeysCommand::Rotate { alg } => {
            let alg = alg.unwrap_or(access_token_alg);
            print_json(&describe(
                &access_tokens.rotate_signing_key(alg, &ciam_domain::Initiator::cli())?,
            ))
        }
    }
}

/// Public parts only: the private key never leaves the store.
fn describe(key: &SigningKey) -> Value {
    json!({
        "kid": key.kid.as_str(),
        "alg": key.algorithm.as_str(),
        "created_at": key.created_at.0,
        "retired_at": key.retired_at.map(|t| t.0),
        "jwk": key.public,
    })
}

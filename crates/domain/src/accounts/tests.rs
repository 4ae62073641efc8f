//! Accounts, on fakes.

use crate::client::{Client, GrantType};
use crate::ports::Denylist;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::testing::scenario::*;
use crate::testing::Harness;
use crate::error::AdminError;

#[test]
fn duplicate_username_is_refused() {
    let h = harness();
    h.services
        .accounts.create_user("alice", &Secret::new("correct horse"))
        .expect("created");
    assert!(matches!(
        h.services.accounts.create_user("alice", &Secret::new("another one")),
        Err(crate::service::AdminError::Conflict(_))
    ));
    assert!(
        h.services.accounts.create_user("bob", &Secret::new("short")).is_err(),
        "password too short"
    );
}


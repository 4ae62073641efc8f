//! Accounts, on fakes.

use crate::error::AdminError;
use crate::secret::Secret;
use crate::testing::scenario::*;

#[test]
fn duplicate_username_is_refused() {
    let h = harness();
    h.services
        .accounts
        .create_user("alice", &Secret::new("correct horse"))
        .expect("created");
    assert!(matches!(
        h.services
            .accounts
            .create_user("alice", &Secret::new("another one")),
        Err(AdminError::Conflict(_))
    ));
    assert!(
        h.services
            .accounts
            .create_user("bob", &Secret::new("short"))
            .is_err(),
        "password too short"
    );
}

//! The audit trail's rules on the fakes: one entry per change of a scripted session, in
//! order, attributed, with no secret in any field; reading with filters and pages; pruning.

use std::net::{IpAddr, Ipv4Addr};

use super::{Actor, AuditAction, AuditFilter, AuditRecord, ListAuditError, Outcome};
use crate::access_token::alg::SigningAlg;
use crate::audit::Initiator;
use crate::issuance::GrantRequest;
use crate::revocation::{RevokeError, TokenTypeHint};
use crate::secret::Secret;
use crate::self_service::PasswordChange;
use crate::testing::scenario::{confidential, harness};
use crate::testing::Harness;

const ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

fn password_grant(
    h: &Harness,
    client: &crate::client::Client,
    password: &str,
) -> Result<crate::IssuedTokens, crate::TokenError> {
    h.services.tokens.issue(
        client,
        GrantRequest::Password {
            username: "alice".into(),
            password: Secret::new(password),
            scope: None,
            client_address: Some(ADDRESS),
        },
    )
}

fn actions(trail: &[AuditRecord]) -> Vec<&'static str> {
    trail.iter().map(|r| r.event.action.as_str()).collect()
}

#[test]
fn a_scripted_session_leaves_one_entry_per_change_in_order_and_no_secret() {
    let h = harness();
    let client = confidential(&h);
    let other = confidential(&h);
    let alice = h.user("alice");
    let before = h.store.audit_trail().len();

    // A wrong password, then the right one.
    assert!(password_grant(&h, &client, "wrong horse").is_err());
    let tokens = password_grant(&h, &client, "correct horse").expect("signed in");
    let refresh = tokens.refresh_token.clone().expect("refresh token");
    // The client revokes the access token, then another client tries to revoke the refresh
    // token and is refused, then the owner revokes it.
    let revocation = &h.services.revocation;
    revocation
        .revoke(&client, &tokens.access_token, None, Some(ADDRESS))
        .expect("revoked");
    assert_eq!(
        revocation.revoke(
            &other,
            refresh.expose(),
            Some(TokenTypeHint::RefreshToken),
            Some(ADDRESS)
        ),
        Err(RevokeError::ForeignToken)
    );
    revocation
        .revoke(&client, refresh.expose(), None, Some(ADDRESS))
        .expect("revoked");
    // Garbage revokes nothing and records nothing (RFC 7009 §2.2 answers 200 all the same).
    revocation
        .revoke(&client, "not-a-token", None, Some(ADDRESS))
        .expect("200");
    // Alice changes her password; an operator disables her; a key is rotated.
    let fresh = password_grant(&h, &client, "correct horse").expect("signed in");
    let caller = h
        .services
        .self_service
        .caller(&fresh.access_token, None, Some(ADDRESS))
        .expect("caller");
    h.services
        .self_service
        .change_password(
            &caller,
            PasswordChange {
                current_password: Secret::new("correct horse"),
                new_password: Secret::new("a far better passphrase"),
                keep_current_session: false,
                client_address: Some(ADDRESS),
            },
        )
        .expect("changed");
    h.services
        .lifecycle
        .disable_user(alice.id.as_str(), &Initiator::cli())
        .expect("disabled");
    let key = h
        .services
        .access_tokens
        .rotate_signing_key(SigningAlg::EdDSA, &Initiator::cli())
        .expect("rotated");

    let trail = h.store.audit_trail()[before..].to_vec();
    assert_eq!(
        actions(&trail),
        [
            "sign_in.failed",
            "sign_in.succeeded",
            "revoke.access_token",
            "revoke.refused",
            "revoke.grant",
            "sign_in.succeeded",
            "password.changed",
            "revoke.user",
            "user.disabled",
            "revoke.user",
            "key.rotated",
        ]
    );
    assert!(trail.windows(2).all(|pair| pair[0].seq < pair[1].seq));

    let [failed, signed_in, access, refused, grant, ..] = &trail[..] else {
        unreachable!("length checked above")
    };
    assert_eq!(failed.event.actor, Actor::Anonymous);
    assert_eq!(failed.event.user_id.as_ref(), Some(&alice.id));
    assert_eq!(
        failed.event.outcome,
        Outcome::Failure("wrong_credentials".into())
    );
    assert_eq!(failed.event.address, Some(ADDRESS));
    assert_eq!(signed_in.event.actor, Actor::User(alice.id.clone()));
    assert_eq!(signed_in.event.client_id.as_ref(), Some(&client.id));
    assert_eq!(access.event.actor, Actor::Client(client.id.clone()));
    assert_eq!(access.event.user_id.as_ref(), Some(&alice.id));
    assert!(access.event.target.is_some(), "the jti");
    assert_eq!(refused.event.actor, Actor::Client(other.id.clone()));
    assert_eq!(
        refused.event.outcome,
        Outcome::Failure("foreign_token".into())
    );
    assert_eq!(
        refused.event.target, None,
        "nothing of the other client's token"
    );
    assert_eq!(grant.event.client_id.as_ref(), Some(&client.id));
    assert_eq!(grant.event.user_id.as_ref(), Some(&alice.id));
    let disabled = &trail[8];
    assert_eq!(disabled.event.actor, Actor::Cli);
    assert_eq!(disabled.event.address, None);
    assert!(trail[10]
        .event
        .target
        .as_deref()
        .is_some_and(|target| target.starts_with(key.kid.as_str())));

    // No secret anywhere: not the passwords, not a token, not a hash of one.
    let dump = format!("{trail:?}");
    let refresh_hash = refresh.hash();
    let secrets = [
        "correct horse",
        "wrong horse",
        "a far better passphrase",
        tokens.access_token.as_str(),
        refresh.expose(),
        fresh.access_token.as_str(),
        refresh_hash.as_str(),
        alice.password_hash.as_str(),
    ];
    for secret in secrets {
        assert!(!dump.contains(secret), "the trail holds a secret");
    }
}

#[test]
fn a_change_that_fails_leaves_no_entry() {
    let h = harness();
    let alice = h.user("alice");
    let before = h.store.audit_trail().len();
    h.store
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(h
        .services
        .lifecycle
        .disable_user(alice.id.as_str(), &Initiator::cli())
        .is_err());
    h.store
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(h.store.audit_trail().len(), before);
    // An unknown user changes nothing and records nothing.
    assert!(h
        .services
        .lifecycle
        .enable_user("0123abcd", &Initiator::cli())
        .expect("answered")
        .is_none());
    assert_eq!(h.store.audit_trail().len(), before);
}

#[test]
fn lists_filter_by_user_client_kind_and_time_and_page_in_order() {
    let h = harness();
    let client = confidential(&h);
    h.user("alice");
    let bob = h.user("bob");
    let tokens = password_grant(&h, &client, "correct horse").expect("signed in");
    h.advance(100);
    h.services
        .revocation
        .revoke(&client, &tokens.access_token, None, None)
        .expect("revoked");
    h.services
        .lifecycle
        .disable_user(bob.id.as_str(), &Initiator::cli())
        .expect("disabled");
    let audit = &h.services.audit;

    let all = audit.list(&AuditFilter::default()).expect("listed").entries;
    let revocations = audit
        .list(&AuditFilter {
            kind: Some("revoke"),
            ..AuditFilter::default()
        })
        .expect("listed")
        .entries;
    assert_eq!(
        actions(&revocations),
        ["revoke.access_token", "revoke.user"]
    );
    let of_bob = audit
        .list(&AuditFilter {
            user: Some(bob.id.as_str()),
            ..AuditFilter::default()
        })
        .expect("listed")
        .entries;
    assert_eq!(
        actions(&of_bob),
        ["user.created", "user.disabled", "revoke.user"]
    );
    let of_client = audit
        .list(&AuditFilter {
            client: Some(client.id.as_str()),
            ..AuditFilter::default()
        })
        .expect("listed")
        .entries;
    assert_eq!(
        actions(&of_client),
        ["client.created", "sign_in.succeeded", "revoke.access_token"]
    );
    let recent = audit
        .list(&AuditFilter {
            since: Some(h.clock_now().0),
            ..AuditFilter::default()
        })
        .expect("listed")
        .entries;
    assert_eq!(recent.len(), 3);

    // Pages of two, in order, cover everything once.
    let mut paged = vec![];
    let mut after = None;
    loop {
        let page = audit
            .list(&AuditFilter {
                limit: Some(2),
                after,
                ..AuditFilter::default()
            })
            .expect("page");
        paged.extend(page.entries);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, all);

    for limit in [0, 1001] {
        assert_eq!(
            audit.list(&AuditFilter {
                limit: Some(limit),
                ..AuditFilter::default()
            }),
            Err(ListAuditError::InvalidLimit)
        );
    }
    assert!(matches!(
        audit.list(&AuditFilter {
            kind: Some("revok"),
            ..AuditFilter::default()
        }),
        Err(ListAuditError::UnknownKind(_))
    ));
    let nobody = audit
        .list(&AuditFilter {
            user: Some("a\0b"),
            ..AuditFilter::default()
        })
        .expect("nobody");
    assert!(nobody.entries.is_empty());
}

#[test]
fn pruning_keeps_entries_younger_than_the_retention() {
    let h = Harness::new(|c| c.audit_retention = 1000);
    h.user("alice");
    let old = h.store.audit_trail().len();
    assert!(old > 0);
    h.advance(600);
    h.user("bob");
    assert_eq!(h.services.audit.prune().expect("pruned"), 0);
    h.advance(500);
    assert_eq!(h.services.audit.prune().expect("pruned"), old);
    assert_eq!(
        actions(&h.store.audit_trail()),
        [AuditAction::UserCreated.as_str()]
    );

    let forever = Harness::new(|c| c.audit_retention = 0);
    forever.user("alice");
    forever.advance(10_000_000);
    assert_eq!(forever.services.audit.prune().expect("pruned"), 0);
}

#[test]
fn kinds_are_names_or_families_and_actors_round_trip() {
    assert!(AuditAction::RevokeGrant.matches("revoke"));
    assert!(AuditAction::RevokeGrant.matches("revoke.grant"));
    assert!(!AuditAction::RevokeGrant.matches("revoke.gr"));
    assert!(!AuditAction::RevokeGrant.matches("rev"));
    for action in AuditAction::ALL {
        assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
    }
    let actors = [
        Actor::User(crate::ids::UserId::new("u1")),
        Actor::Client(crate::ids::ClientId::new("c1")),
        Actor::AdminClient(crate::ids::ClientId::new("c2")),
        Actor::Cli,
        Actor::Anonymous,
        Actor::System,
    ];
    for actor in actors {
        let (kind, id) = actor.parts();
        assert_eq!(Actor::from_parts(kind, id), Some(actor.clone()));
    }
    assert_eq!(Actor::from_parts("user", None), None);
    assert_eq!(Actor::from_parts("root", Some("x")), None);
}

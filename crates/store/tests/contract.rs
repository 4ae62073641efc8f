//! The store contract: what every backend of the store ports must do, run against real
//! databases. Each contract test is written once, as a function of a `&DieselStore` on a
//! fresh, migrated database, and runs twice: `sqlite::<test>` on a temp file and
//! `postgres::<test>` on a database of its own in the shared throwaway Postgres cluster
//! (or on the server of `TEST_DATABASE_URL`). Outage tests are per backend.

use std::fmt::Debug;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ciam_domain::authorization::model::{AuthorizationCode, Redemption};
use ciam_domain::ports::{ClientStore, GrantStore, KeyStore, RevocationStore, Store, UserStore};
use ciam_domain::sessions::model::Session;
use ciam_domain::*;
use ciam_store::{DatabaseUrl, DieselStore, PoolSettings};
use ciam_testkit::postgres::TestPostgres;

/// A store on a fresh database, and the temp dir its SQLite file lives in.
struct TestStore {
    store: DieselStore,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("contract.db");
    let url = DatabaseUrl::parse(path.to_str().expect("utf-8 path")).expect("url");
    let store = DieselStore::connect(&url, &PoolSettings::default()).expect("connect");
    TestStore {
        store,
        _dir: Some(dir),
    }
}

fn postgres_store(test: &str) -> TestStore {
    let url = TestPostgres::shared().fresh_database(test);
    let url = DatabaseUrl::parse(&url).expect("url");
    let store = DieselStore::connect(&url, &PoolSettings::default()).expect("connect");
    TestStore { store, _dir: None }
}

/// Generates `mod sqlite` and `mod postgres`: one `#[test]` per contract function (run on a
/// fresh database of that backend) and one per test of that backend only.
macro_rules! contract_suite {
    (
        contract: [$($test:ident),* $(,)?],
        diesel: [$($diesel:ident),* $(,)?],
        sqlite_only: [$($sqlite_only:ident),* $(,)?],
        postgres_only: [$($postgres_only:ident),* $(,)?] $(,)?
    ) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    let test = super::sqlite_store();
                    super::fixture_users(&test.store);
                    super::$test(&std::sync::Arc::new(test.store.clone()));
                }
            )*
            $(
                #[test]
                fn $diesel() {
                    super::$diesel(&super::sqlite_store().store);
                }
            )*
            $(
                #[test]
                fn $sqlite_only() {
                    super::$sqlite_only();
                }
            )*
        }

        mod postgres {
            $(
                #[test]
                fn $test() {
                    let test = super::postgres_store(stringify!($test));
                    super::fixture_users(&test.store);
                    super::$test(&std::sync::Arc::new(test.store.clone()));
                }
            )*
            $(
                #[test]
                fn $diesel() {
                    super::$diesel(&super::postgres_store(stringify!($diesel)).store);
                }
            )*
            $(
                #[test]
                fn $postgres_only() {
                    super::$postgres_only();
                }
            )*
        }

        /// The domain's in-memory fake, which the domain's unit tests run on: held to the
        /// same contract, so that no unit test passes on behaviour the real store lacks.
        mod fake {
            $(
                #[test]
                fn $test() {
                    let store = ciam_domain::testing::FakeStore::default();
                    super::fixture_users(&store);
                    super::$test(&std::sync::Arc::new(store));
                }
            )*
        }
    };
}

contract_suite! {
    contract: [
        clients_round_trip_and_duplicates_are_refused,
        users_round_trip_and_usernames_are_unique,
        sessions_round_trip_and_activity_only_moves_forward,
        a_code_is_redeemed_once_and_a_replay_names_the_first_grant,
        concurrent_redemptions_of_one_code_have_one_winner,
        ending_a_session_revokes_its_grants_and_burns_its_codes,
        grant_and_refresh_token_are_found_by_hash_only,
        rotation_is_a_compare_and_set_with_exactly_one_winner,
        a_revoked_grant_cannot_rotate,
        a_revoked_grant_gets_no_grace_period_successor,
        a_failed_write_writes_nothing_and_leaves_the_store_usable,
        grant_revocation_is_idempotent_and_keeps_the_first_time,
        access_token_revocation_is_idempotent,
        concurrent_revocations_are_all_committed_once,
        a_revocation_batch_longer_than_one_statement_is_committed_whole,
        live_revocations_hold_exactly_the_unexpired_ones,
        deleting_a_client_revokes_its_grants_and_drops_their_refresh_tokens,
        adding_a_key_retires_the_others,
        rotating_one_algorithm_leaves_the_others_active,
        pruning_deletes_exactly_what_can_no_longer_matter,
        pruning_deletes_at_most_a_batch_of_each_kind,
        a_cutoff_revokes_grants_codes_and_sessions_of_its_owner_only,
        a_cutoff_only_rises_and_covers_tokens_issued_at_or_before_it,
        a_grant_created_at_or_before_a_cutoff_is_stored_revoked,
        a_cutoff_lives_until_its_last_token_expires_then_is_pruned,
        grants_created_during_a_cutoff_are_revoked_exactly_when_covered,
        disabling_round_trips_and_keeps_the_first_time,
        profiles_are_replaced_and_deleting_frees_the_username,
        users_are_listed_in_id_order_a_page_at_a_time,
        a_username_prefix_finds_exactly_the_usernames_that_start_with_it,
        a_grant_of_a_disabled_or_deleted_subject_is_stored_revoked,
        a_new_password_moves_the_old_one_into_a_trimmed_history,
        profiles_are_updated_whole,
        a_reset_code_is_redeemed_once_before_it_expires,
        concurrent_redemptions_of_one_reset_code_have_one_winner,
        audit_entries_round_trip_and_list_in_order_under_every_filter,
        a_change_and_its_entry_commit_together,
        audit_entries_are_pruned_by_age_in_batches,
        clients_are_listed_in_id_order_a_page_at_a_time,
        redirect_uris_are_replaced_and_nothing_else,
        a_secret_is_replaced_only_for_a_confidential_client,
        a_users_live_sessions_are_listed_a_page_at_a_time_with_their_clients,
        a_users_live_grants_are_listed_with_their_refresh_expiry,
    ],
    diesel: [migrations_are_idempotent],
    sqlite_only: [
        an_unreachable_database_is_refused_at_connect,
        an_audit_entry_cannot_be_updated_on_sqlite,
    ],
    postgres_only: [
        rotations_queued_on_the_row_lock_have_exactly_one_winner,
        a_rotation_meeting_a_grant_revocation_loses,
        an_unreachable_server_is_refused_at_connect,
        a_stopped_server_is_unavailable_and_the_same_store_recovers,
        an_audit_entry_cannot_be_updated_on_postgres,
        nodes_migrating_a_fresh_database_at_once_all_succeed,
    ],
}

const NOW: UnixTime = UnixTime(1_700_000_000);

#[path = "contract/cutoffs.rs"]
mod cutoffs;
use cutoffs::*;

#[path = "contract/users.rs"]
mod users;
use users::*;

/// The subjects the fixtures' grants name (`grant()`: user-1; some tests: user-2) are
/// users who may sign in: a grant of a subject that is no such user is stored revoked.
fn fixture_users<S: UserStore + ?Sized>(store: &S) {
    for id in ["user-1", "user-2"] {
        store
            .insert_user(
                &User {
                    id: UserId::new(id),
                    username: format!("fixture {id}"),
                    password_hash: "$argon2id$...".into(),
                    created_at: NOW,
                    profile: Profile::default(),
                    disabled_at: None,
                },
                &ciam_domain::testing::test_audit(),
            )
            .expect("fixture user");
    }
}

#[path = "contract/audit.rs"]
mod audit;
use audit::*;

fn an_audit_entry_cannot_be_updated_on_sqlite() {
    use diesel::{Connection, RunQueryDsl};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.db");
    let path = path.to_str().expect("utf-8 path");
    DieselStore::connect(
        &DatabaseUrl::parse(path).expect("url"),
        &PoolSettings::default(),
    )
    .expect("migrated");
    let mut conn = diesel::SqliteConnection::establish(path).expect("raw connection");
    an_audit_entry_cannot_be_updated(|sql| diesel::sql_query(sql).execute(&mut conn));
}

fn an_audit_entry_cannot_be_updated_on_postgres() {
    use diesel::{Connection, RunQueryDsl};
    let (_store, url) = fresh_postgres_store("audit_append_only");
    let mut conn = diesel::PgConnection::establish(&url).expect("raw connection");
    an_audit_entry_cannot_be_updated(|sql| diesel::sql_query(sql).execute(&mut conn));
}
#[path = "contract/client_admin.rs"]
mod client_admin;
use client_admin::*;

#[path = "contract/passwords.rs"]
mod passwords;
use passwords::*;

#[path = "contract/user_activity.rs"]
mod user_activity;
use user_activity::*;

/// `RevocationStore::is_revoked` of a token with this `jti` and grant, of a subject and
/// client no cut-off names.
fn is_revoked<S: RevocationStore + ?Sized>(
    store: &S,
    jti: &Jti,
    grant_id: Option<&GrantId>,
) -> Result<bool, StoreError> {
    let nobody = ClientId::new("nobody");
    store.is_revoked(&TokenRef {
        jti,
        grant_id,
        subject: "nobody",
        client_id: &nobody,
        issued_at: NOW,
    })
}

fn client(id: &str) -> Client {
    Client {
        id: ClientId::new(id),
        name: format!("client {id}"),
        secret_hash: Some(Secret::new("secret").hash()),
        grant_types: vec![GrantType::Password, GrantType::RefreshToken],
        scope: Scope::parse("read write").expect("scope"),
        created_at: NOW,
        redirects: Redirects {
            redirect_uris: vec![
                "https://app.example/cb".into(),
                "http://127.0.0.1/cb".into(),
            ],
            post_logout_redirect_uris: vec!["https://app.example/bye".into()],
            backchannel_logout_uri: Some("https://app.example/logout".into()),
        },
    }
}

fn grant(id: &str, client_id: &str) -> Grant {
    Grant {
        id: GrantId::new(id),
        client_id: ClientId::new(client_id),
        subject: "user-1".into(),
        scope: Scope::parse("read").expect("scope"),
        created_at: NOW,
        access_expires_at: NOW.plus_seconds(300),
        revoked_at: None,
        session_id: Some(SessionId::new("s1")),
    }
}

fn refresh(token: &str, grant_id: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        hash: Secret::new(token).hash(),
        grant_id: GrantId::new(grant_id),
        issued_at: NOW,
        expires_at: NOW.plus_seconds(3600),
        rotated_at: None,
    }
}

fn clients_round_trip_and_duplicates_are_refused<T: Store>(store: &Arc<T>) {
    let c = client("c1");
    store
        .insert_client(&c, &ciam_domain::testing::test_audit())
        .expect("insert");
    assert_eq!(store.find_client(&c.id).expect("find"), Some(c.clone()));
    assert!(matches!(
        store.insert_client(&c, &ciam_domain::testing::test_audit()),
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store.find_client(&ClientId::new("nope")).expect("find"),
        None
    );
    assert_eq!(store.list_clients().expect("list"), vec![c]);
}

fn users_round_trip_and_usernames_are_unique<T: Store>(store: &Arc<T>) {
    let user = User {
        id: UserId::new("u1"),
        username: "alice".into(),
        password_hash: "$argon2id$...".into(),
        created_at: NOW,
        profile: Profile {
            name: Some("Alice Ünïcode".into()),
            email: Some("alice@example.com".into()),
            email_verified: true,
        },
        disabled_at: None,
    };
    store
        .insert_user(&user, &ciam_domain::testing::test_audit())
        .expect("insert");
    let found = store
        .find_user_by_username("alice")
        .expect("find")
        .expect("exists");
    assert_eq!(found, user);
    assert_eq!(
        store.find_user_by_id(&user.id).expect("find"),
        Some(user.clone())
    );
    assert_eq!(
        store.find_user_by_id(&UserId::new("u9")).expect("find"),
        None
    );
    let twin = User {
        id: UserId::new("u2"),
        ..user.clone()
    };
    assert!(matches!(
        store.insert_user(&twin, &ciam_domain::testing::test_audit()),
        Err(StoreError::Duplicate(_))
    ));
    let same_id = User {
        username: "bob".into(),
        ..user
    };
    assert!(matches!(
        store.insert_user(&same_id, &ciam_domain::testing::test_audit()),
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(store.find_user_by_username("bob").expect("find"), None);
}

fn grant_and_refresh_token_are_found_by_hash_only<T: Store>(store: &Arc<T>) {
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-1", "g1"))
        .expect("create");
    let (record, found) = store
        .find_refresh_token(&Secret::new("rt-1").hash())
        .expect("find")
        .expect("exists");
    assert_eq!(record, refresh("rt-1", "g1"));
    assert_eq!(found, grant("g1", "c1"));
    assert_eq!(
        store
            .find_refresh_token(&Secret::new("rt-2").hash())
            .expect("find"),
        None
    );
}

fn rotation_is_a_compare_and_set_with_exactly_one_winner<T: Store>(store: &Arc<T>) {
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    let racers = 8;
    // Let the pool grow towards a connection per racer first, so that the racers rather
    // meet in the database than queue for connections. Whether they overlap is still up to
    // the scheduler; `postgres::rotations_queued_on_the_row_lock_have_exactly_one_winner`
    // makes them all wait on the row lock of `old` for certain.
    let barrier = Arc::new(Barrier::new(racers));
    let warmed: Vec<_> = (0..racers)
        .map(|_| {
            let store = store.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                store.ping()
            })
        })
        .collect();
    for warm in warmed {
        warm.join().expect("thread").expect("ping");
    }
    let outcomes: Vec<RotateOutcome> = (0..racers)
        .map(|i| {
            let store = store.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                store
                    .rotate_refresh_token(
                        &Secret::new("rt-0").hash(),
                        &refresh(&format!("rt-next-{i}"), "g1"),
                        NOW.plus_seconds(1),
                        NOW.plus_seconds(301),
                    )
                    .expect("no store error under contention")
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == RotateOutcome::Rotated)
            .count(),
        1,
        "{outcomes:?}"
    );
    let (old, g) = store
        .find_refresh_token(&Secret::new("rt-0").hash())
        .expect("find")
        .expect("exists");
    assert_eq!(old.rotated_at, Some(NOW.plus_seconds(1)));
    assert_eq!(g.access_expires_at, NOW.plus_seconds(301));
    let written = (0..racers)
        .filter(|i| {
            store
                .find_refresh_token(&Secret::new(format!("rt-next-{i}")).hash())
                .expect("find")
                .is_some()
        })
        .count();
    assert_eq!(written, 1, "losers write nothing");
}

fn a_revoked_grant_cannot_rotate<T: Store>(store: &Arc<T>) {
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    store
        .revoke_grant(
            &GrantId::new("g1"),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    let outcome = store
        .rotate_refresh_token(
            &Secret::new("rt-0").hash(),
            &refresh("rt-1", "g1"),
            NOW,
            NOW,
        )
        .expect("rotate");
    assert_eq!(outcome, RotateOutcome::Lost);
    assert_eq!(
        store
            .find_refresh_token(&Secret::new("rt-1").hash())
            .expect("find"),
        None
    );
}

/// A unique violation inside a transaction (which on Postgres aborts it) rolls the whole
/// transaction back, reads as `Duplicate`, and leaves every pooled connection usable.
fn a_revoked_grant_gets_no_grace_period_successor<T: Store>(store: &Arc<T>) {
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    let live = store
        .add_refresh_token(&refresh("rt-1", "g1"), NOW.plus_seconds(400))
        .expect("add");
    assert_eq!(live, RotateOutcome::Rotated);
    store
        .revoke_grant(
            &GrantId::new("g1"),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    let revoked = store
        .add_refresh_token(&refresh("rt-2", "g1"), NOW.plus_seconds(500))
        .expect("add");
    assert_eq!(revoked, RotateOutcome::Lost);
    assert_eq!(
        store
            .find_refresh_token(&Secret::new("rt-2").hash())
            .expect("find"),
        None,
        "nothing written"
    );
    let live = store.live_revocations(NOW).expect("live");
    assert_eq!(
        live,
        vec![Revocation::Grant {
            grant_id: GrantId::new("g1"),
            until: NOW.plus_seconds(400)
        }]
    );
}

fn a_failed_write_writes_nothing_and_leaves_the_store_usable<T: Store>(store: &Arc<T>) {
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    store
        .create_grant(&grant("g2", "c1"), &refresh("rt-taken", "g2"))
        .expect("create");

    // create_grant: the grant row goes in, then its refresh token collides.
    let clash = store.create_grant(&grant("g3", "c1"), &refresh("rt-0", "g3"));
    assert!(matches!(clash, Err(StoreError::Duplicate(_))), "{clash:?}");
    assert_eq!(
        store
            .revoke_grant(
                &GrantId::new("g3"),
                NOW,
                &ciam_domain::testing::test_audit()
            )
            .expect("revoke"),
        None,
        "no g3"
    );

    // rotate_refresh_token: `old` is marked, then the successor collides.
    let clash = store.rotate_refresh_token(
        &Secret::new("rt-0").hash(),
        &refresh("rt-taken", "g1"),
        NOW.plus_seconds(1),
        NOW.plus_seconds(999),
    );
    assert!(matches!(clash, Err(StoreError::Duplicate(_))), "{clash:?}");
    let (old, g1) = store
        .find_refresh_token(&Secret::new("rt-0").hash())
        .expect("find")
        .expect("exists");
    assert_eq!(old.rotated_at, None, "the mark is rolled back");
    assert_eq!(g1.access_expires_at, NOW.plus_seconds(300));

    // Every connection the failures went through still works, in and out of transactions.
    for i in 0..4 {
        store.ping().expect("ping");
        store
            .insert_client(
                &client(&format!("c{i}")),
                &ciam_domain::testing::test_audit(),
            )
            .expect("insert");
    }
    let outcome = store
        .rotate_refresh_token(
            &Secret::new("rt-0").hash(),
            &refresh("rt-1", "g1"),
            NOW.plus_seconds(2),
            NOW.plus_seconds(302),
        )
        .expect("rotate");
    assert_eq!(outcome, RotateOutcome::Rotated);
}

fn grant_revocation_is_idempotent_and_keeps_the_first_time<T: Store>(store: &Arc<T>) {
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    let first = store
        .revoke_grant(
            &GrantId::new("g1"),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke")
        .expect("exists");
    let second = store
        .revoke_grant(
            &GrantId::new("g1"),
            NOW.plus_seconds(5),
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke")
        .expect("exists");
    assert_eq!(first.revoked_at, Some(NOW));
    assert_eq!(second.revoked_at, Some(NOW));
    assert_eq!(
        store
            .revoke_grant(
                &GrantId::new("nope"),
                NOW,
                &ciam_domain::testing::test_audit()
            )
            .expect("revoke"),
        None
    );
}

/// The second revocation hits the primary key: it must succeed and change nothing, and (on
/// Postgres, where a unique violation aborts a transaction) leave its connection usable.
fn access_token_revocation_is_idempotent<T: Store>(store: &Arc<T>) {
    let (jti, c) = (Jti::new("j1"), ClientId::new("c1"));
    store
        .revoke_access_token(
            &jti,
            &c,
            NOW.plus_seconds(60),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    for i in 1..=4 {
        store
            .revoke_access_token(
                &jti,
                &c,
                NOW.plus_seconds(600),
                NOW.plus_seconds(i),
                &ciam_domain::testing::test_audit(),
            )
            .expect("revoking again succeeds");
    }
    assert_eq!(
        store.live_revocations(NOW).expect("live"),
        vec![Revocation::AccessToken {
            jti: jti.clone(),
            until: NOW.plus_seconds(60)
        }],
        "the first revocation stands"
    );
    assert!(is_revoked(&**store, &jti, None).expect("check"));
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("a transaction");
}

/// Concurrent callers take turns on the revocation writer's connection: every caller returns
/// only once its row is stored, duplicates (within a batch or across batches) are stored once.
fn concurrent_revocations_are_all_committed_once<T: Store>(store: &Arc<T>) {
    let threads = 16;
    let per_thread = 25;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                for i in 0..per_thread {
                    // Every token is revoked by two threads.
                    let jti = Jti::new(format!("j-{}-{i}", t / 2));
                    store
                        .revoke_access_token(
                            &jti,
                            &ClientId::new("c1"),
                            NOW.plus_seconds(60),
                            NOW,
                            &ciam_domain::testing::test_audit(),
                        )
                        .expect("revoked");
                    assert!(
                        is_revoked(&*store, &jti, None).expect("check"),
                        "durable on return"
                    );
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread");
    }
    assert_eq!(
        store.live_revocations(NOW).expect("live").len(),
        threads / 2 * per_thread
    );
}

/// The domain hands the store whole batches: more rows than one statement carries, a token
/// repeated within the batch, each with its own audit entry.
fn a_revocation_batch_longer_than_one_statement_is_committed_whole<T: Store>(store: &Arc<T>) {
    let audit_len = || {
        store
            .list_audit(&AuditQuery {
                limit: 10_000,
                ..AuditQuery::default()
            })
            .expect("listed")
            .len()
    };
    let audit_before = audit_len();
    let live_before = store.live_revocations(NOW).expect("live").len();
    let row = |i: usize| ciam_domain::ports::AccessTokenRevocation {
        jti: Jti::new(format!("batch-{i}")),
        client_id: ClientId::new("c1"),
        until: NOW.plus_seconds(60),
        revoked_at: NOW,
        audit: ciam_domain::testing::test_audit(),
    };
    let mut batch: Vec<_> = (0..300).map(row).collect();
    batch.push(row(7));
    store.revoke_access_tokens(&batch).expect("committed");
    assert_eq!(
        store.live_revocations(NOW).expect("live").len(),
        live_before + 300
    );
    assert_eq!(audit_len(), audit_before + 301, "one entry per request");
}

fn live_revocations_hold_exactly_the_unexpired_ones<T: Store>(store: &Arc<T>) {
    let (jti, c) = (Jti::new("j1"), ClientId::new("c1"));
    store
        .revoke_access_token(
            &jti,
            &c,
            NOW.plus_seconds(60),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    store
        .revoke_access_token(
            &jti,
            &c,
            NOW.plus_seconds(60),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("idempotent");
    store
        .revoke_access_token(
            &Jti::new("old"),
            &c,
            NOW,
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    store
        .revoke_grant(
            &GrantId::new("g1"),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    store
        .create_grant(&grant("g2", "c1"), &refresh("rt-x", "g2"))
        .expect("create");

    let mut live = store.live_revocations(NOW).expect("live");
    live.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        live,
        vec![
            Revocation::AccessToken {
                jti: jti.clone(),
                until: NOW.plus_seconds(60)
            },
            Revocation::Grant {
                grant_id: GrantId::new("g1"),
                until: NOW.plus_seconds(300)
            },
        ]
    );
    assert!(is_revoked(&**store, &jti, None).expect("check"));
    assert!(is_revoked(&**store, &Jti::new("other"), Some(&GrantId::new("g1"))).expect("check"));
    assert!(!is_revoked(&**store, &Jti::new("other"), Some(&GrantId::new("g2"))).expect("check"));
    assert!(store
        .live_revocations(NOW.plus_seconds(300))
        .expect("live")
        .is_empty());
}

fn deleting_a_client_revokes_its_grants_and_drops_their_refresh_tokens<T: Store>(store: &Arc<T>) {
    store
        .insert_client(&client("c1"), &ciam_domain::testing::test_audit())
        .expect("insert");
    store
        .insert_client(&client("c2"), &ciam_domain::testing::test_audit())
        .expect("insert");
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    store
        .create_grant(&grant("g2", "c2"), &refresh("rt-2", "g2"))
        .expect("create");
    let revoked = store
        .delete_client(
            &ClientId::new("c1"),
            NOW,
            &ciam_domain::testing::test_audit(),
        )
        .expect("delete");
    assert_eq!(
        revoked,
        Some(vec![Revocation::Grant {
            grant_id: GrantId::new("g1"),
            until: NOW.plus_seconds(300)
        }])
    );
    assert_eq!(store.find_client(&ClientId::new("c1")).expect("find"), None);
    assert_eq!(
        store
            .find_refresh_token(&Secret::new("rt-0").hash())
            .expect("find"),
        None
    );
    assert!(is_revoked(&**store, &Jti::new("any"), Some(&GrantId::new("g1"))).expect("check"));
    assert_eq!(
        store
            .delete_client(
                &ClientId::new("c1"),
                NOW,
                &ciam_domain::testing::test_audit()
            )
            .expect("delete"),
        None
    );
    // Other clients are untouched.
    assert_eq!(store.list_clients().expect("list"), vec![client("c2")]);
    assert!(store
        .find_refresh_token(&Secret::new("rt-2").hash())
        .expect("find")
        .is_some());
    assert!(!is_revoked(&**store, &Jti::new("any"), Some(&GrantId::new("g2"))).expect("check"));
}

fn adding_a_key_retires_the_others<T: Store>(store: &Arc<T>) {
    use ciam_domain::ports::AccessTokenCodec;
    let codec = ciam_crypto::JwtCodec::default();
    let first = codec
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, NOW)
        .expect("key");
    let second = codec
        .generate_key(Kid::new("k2"), SigningAlg::EdDSA, NOW.plus_seconds(10))
        .expect("key");
    store
        .add_key_retiring_others(&first, NOW, &ciam_domain::testing::test_audit())
        .expect("add");
    store
        .add_key_retiring_others(
            &second,
            NOW.plus_seconds(10),
            &ciam_domain::testing::test_audit(),
        )
        .expect("add");
    let keys = store.list_keys().expect("list");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], second, "newest first, private key intact");
    assert_eq!(keys[1].retired_at, Some(NOW.plus_seconds(10)));
    let clash = store.add_key_retiring_others(
        &first,
        NOW.plus_seconds(20),
        &ciam_domain::testing::test_audit(),
    );
    assert!(matches!(clash, Err(StoreError::Duplicate(_))), "{clash:?}");
    assert_eq!(
        store.list_keys().expect("list")[0].retired_at,
        None,
        "retirement rolled back"
    );
}

/// Each algorithm has its own active key: a new RS256 key retires the RS256 keys only.
fn rotating_one_algorithm_leaves_the_others_active<T: Store>(store: &Arc<T>) {
    use ciam_domain::ports::AccessTokenCodec;
    let codec = ciam_crypto::JwtCodec::default();
    let ed = codec
        .generate_key(Kid::new("ed"), SigningAlg::EdDSA, NOW)
        .expect("key");
    let rsa = codec
        .generate_key(Kid::new("rsa-1"), SigningAlg::RS256, NOW)
        .expect("key");
    store
        .add_key_retiring_others(&ed, NOW, &ciam_domain::testing::test_audit())
        .expect("add");
    store
        .add_key_retiring_others(&rsa, NOW, &ciam_domain::testing::test_audit())
        .expect("add");
    let later = NOW.plus_seconds(10);
    let rsa_next = SigningKey {
        kid: Kid::new("rsa-2"),
        created_at: later,
        ..rsa.clone()
    };
    store
        .add_key_retiring_others(&rsa_next, later, &ciam_domain::testing::test_audit())
        .expect("add");
    let keys = store.list_keys().expect("list");
    let retired = |kid: &str| {
        keys.iter()
            .find(|k| k.kid.as_str() == kid)
            .map(|k| k.retired_at)
    };
    assert_eq!(retired("ed"), Some(None), "the EdDSA key still signs");
    assert_eq!(retired("rsa-1"), Some(Some(later)));
    assert_eq!(retired("rsa-2"), Some(None));
    let ring = KeyRing::new(keys.clone());
    assert_eq!(ring.active(SigningAlg::EdDSA), Some(&ed));
    assert_eq!(
        ring.active(SigningAlg::RS256),
        Some(&rsa_next),
        "algorithm and the RSA private key intact"
    );
}

fn migrations_are_idempotent(store: &DieselStore) {
    assert_eq!(store.migrate().expect("migrate"), 0);
}

/// Several nodes started together on an empty database each migrate it: they take turns
/// (an advisory lock), so every one succeeds, each migration is applied exactly once, and
/// the schema is whole. Without the lock the losers die on duplicate `CREATE`s
/// (`pg_type_typname_nsp_index`, "relation already exists").
fn nodes_migrating_a_fresh_database_at_once_all_succeed() {
    const NODES: usize = 4;
    let embedded = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/postgres"
    ))
    .expect("migrations directory")
    .count();
    // A few rounds, each on a database of its own: the race is a matter of timing.
    for round in 0..3 {
        let url = TestPostgres::shared().fresh_database(&format!("migrate_race_{round}"));
        let parsed = DatabaseUrl::parse(&url).expect("url");
        let start = Arc::new(Barrier::new(NODES));
        let nodes: Vec<_> = (0..NODES)
            .map(|_| {
                let (parsed, start) = (parsed.clone(), Arc::clone(&start));
                thread::spawn(move || {
                    let store = DieselStore::open(&parsed, &PoolSettings::default())
                        .map_err(|e| e.to_string())?;
                    start.wait();
                    store.migrate().map_err(|e| e.to_string())
                })
            })
            .collect();
        let (done, outcome) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let results: Vec<_> = nodes
                .into_iter()
                .map(|node| node.join().expect("node thread"))
                .collect();
            let _ = done.send(results);
        });
        let results = outcome
            .recv_timeout(Duration::from_secs(60))
            .expect("the migrating nodes finish within a minute");
        let applied: Vec<usize> = results
            .into_iter()
            .map(|result| result.unwrap_or_else(|e| panic!("round {round}: a node failed: {e}")))
            .collect();
        assert_eq!(
            applied.iter().sum::<usize>(),
            embedded,
            "round {round}: each migration applied exactly once, by one node: {applied:?}"
        );

        let store = DieselStore::connect(&parsed, &PoolSettings::default()).expect("connect");
        assert_eq!(store.migrate().expect("migrate"), 0, "nothing left pending");
        let recorded = {
            use diesel::{Connection, QueryableByName, RunQueryDsl};
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let mut conn = diesel::PgConnection::establish(&url).expect("raw connection");
            diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
                .get_result::<Count>(&mut conn)
                .expect("count")
                .n
        };
        assert_eq!(usize::try_from(recorded).ok(), Some(embedded));
        // The schema is usable end to end, up to the latest migration's tables.
        fixture_users(&store);
        store
            .insert_client(&client("c1"), &ciam_domain::testing::test_audit())
            .expect("insert client");
        let audit = AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        };
        let entries = ciam_domain::ports::AuditLog::list_audit(&store, &audit).expect("audit");
        assert!(
            !entries.is_empty(),
            "the fixtures' entries are in the trail"
        );
    }
}

fn expiring_grant(id: &str, access_expires_at: UnixTime) -> Grant {
    Grant {
        access_expires_at,
        ..grant(id, "c1")
    }
}

fn expiring_refresh(token: &str, grant_id: &str, expires_at: UnixTime) -> RefreshTokenRecord {
    RefreshTokenRecord {
        expires_at,
        ..refresh(token, grant_id)
    }
}

fn has_refresh_token<T: Store>(store: &Arc<T>, token: &str) -> bool {
    store
        .find_refresh_token(&Secret::new(token).hash())
        .expect("find")
        .is_some()
}

/// Every revocation row the store holds, expired or not: `live_revocations` at the epoch.
fn all_revocations<T: Store>(store: &Arc<T>) -> Vec<Revocation> {
    let mut all = store.live_revocations(UnixTime(0)).expect("all");
    all.sort_by_key(|r| format!("{r:?}"));
    all
}

fn pruning_deletes_exactly_what_can_no_longer_matter<T: Store>(store: &Arc<T>) {
    let cutoff = NOW;
    store
        .insert_client(&client("c1"), &ciam_domain::testing::test_audit())
        .expect("client");
    let codec = ciam_crypto::JwtCodec::default();
    let key = ciam_domain::ports::AccessTokenCodec::generate_key(
        &codec,
        Kid::new("k1"),
        SigningAlg::EdDSA,
        NOW,
    )
    .expect("key");
    store
        .add_key_retiring_others(&key, NOW, &ciam_domain::testing::test_audit())
        .expect("key");
    let c = ClientId::new("c1");
    for (jti, until) in [("old", -10), ("at-cutoff", 0), ("live", 1)] {
        store
            .revoke_access_token(
                &Jti::new(jti),
                &c,
                NOW.plus_seconds(until),
                NOW,
                &ciam_domain::testing::test_audit(),
            )
            .expect("revoke");
    }
    // g-live: live, one refresh token expired (goes) and one live (stays).
    store
        .create_grant(
            &grant("g-live", "c1"),
            &expiring_refresh("rt-expired", "g-live", cutoff),
        )
        .expect("create");
    store
        .add_refresh_token(&refresh("rt-live", "g-live"), NOW.plus_seconds(300))
        .expect("add");
    // g-done: access tokens and refresh token expired: all of it goes.
    store
        .create_grant(
            &expiring_grant("g-done", NOW.plus_seconds(-5)),
            &expiring_refresh("rt-done", "g-done", NOW.plus_seconds(-1)),
        )
        .expect("create");
    // g-refreshable: access tokens expired, refresh token live: the grant stays.
    store
        .create_grant(
            &expiring_grant("g-refreshable", NOW.plus_seconds(-5)),
            &expiring_refresh("rt-refreshable", "g-refreshable", NOW.plus_seconds(100)),
        )
        .expect("create");
    // g-revoked: revoked, refresh token expired, an access token maybe live: the grant stays.
    store
        .create_grant(
            &expiring_grant("g-revoked", NOW.plus_seconds(60)),
            &expiring_refresh("rt-revoked", "g-revoked", NOW.plus_seconds(-1)),
        )
        .expect("create");
    store
        .revoke_grant(
            &GrantId::new("g-revoked"),
            NOW.plus_seconds(-30),
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    // g-revoked-done: revoked, every token expired: it goes.
    store
        .create_grant(
            &expiring_grant("g-revoked-done", cutoff),
            &expiring_refresh("rt-revoked-done", "g-revoked-done", NOW.plus_seconds(-1)),
        )
        .expect("create");
    store
        .revoke_grant(
            &GrantId::new("g-revoked-done"),
            NOW.plus_seconds(-30),
            &ciam_domain::testing::test_audit(),
        )
        .expect("revoke");
    let live_before = {
        let mut live = store.live_revocations(NOW).expect("live");
        live.sort_by_key(|r| format!("{r:?}"));
        live
    };

    // 2 access tokens, 4 refresh tokens, 2 grants.
    assert_eq!(store.prune_expired(cutoff, 100).expect("prune"), 8);
    assert_eq!(store.prune_expired(cutoff, 100).expect("prune"), 0, "done");

    assert_eq!(
        all_revocations(store),
        live_before,
        "only live revocations are left, and all of them"
    );
    assert_eq!(
        live_before,
        vec![
            Revocation::AccessToken {
                jti: Jti::new("live"),
                until: NOW.plus_seconds(1)
            },
            Revocation::Grant {
                grant_id: GrantId::new("g-revoked"),
                until: NOW.plus_seconds(60)
            },
        ]
    );
    assert!(is_revoked(&**store, &Jti::new("live"), None).expect("check"));
    assert!(
        is_revoked(&**store, &Jti::new("any"), Some(&GrantId::new("g-revoked"))).expect("check")
    );
    assert!(!is_revoked(&**store, &Jti::new("any"), Some(&GrantId::new("g-live"))).expect("check"));
    for (token, kept) in [
        ("rt-expired", false),
        ("rt-live", true),
        ("rt-done", false),
        ("rt-refreshable", true),
        ("rt-revoked", false),
        ("rt-revoked-done", false),
    ] {
        assert_eq!(has_refresh_token(store, token), kept, "{token}");
    }
    // The kept grants still work: the live one rotates, the revoked one does not.
    assert_eq!(
        store
            .rotate_refresh_token(
                &Secret::new("rt-live").hash(),
                &refresh("rt-next", "g-live"),
                NOW,
                NOW.plus_seconds(300),
            )
            .expect("rotate"),
        RotateOutcome::Rotated
    );
    assert_eq!(
        store
            .revoke_grant(
                &GrantId::new("g-revoked"),
                NOW,
                &ciam_domain::testing::test_audit()
            )
            .expect("revoke")
            .map(|g| g.revoked_at),
        Some(Some(NOW.plus_seconds(-30))),
        "kept with its revocation time"
    );
    // Clients and keys are never pruned.
    assert_eq!(store.list_clients().expect("list"), vec![client("c1")]);
    assert_eq!(store.list_keys().expect("keys"), vec![key]);
}

fn pruning_deletes_at_most_a_batch_of_each_kind<T: Store>(store: &Arc<T>) {
    let c = ClientId::new("c1");
    for i in 0..5 {
        store
            .revoke_access_token(
                &Jti::new(format!("j{i}")),
                &c,
                NOW.plus_seconds(-1),
                NOW,
                &ciam_domain::testing::test_audit(),
            )
            .expect("revoke");
        let id = format!("g{i}");
        store
            .create_grant(
                &expiring_grant(&id, NOW.plus_seconds(-1)),
                &expiring_refresh(&format!("rt{i}"), &id, NOW.plus_seconds(-1)),
            )
            .expect("create");
        store
            .revoke_grant(
                &GrantId::new(id),
                NOW.plus_seconds(-100),
                &ciam_domain::testing::test_audit(),
            )
            .expect("revoke");
    }
    let left = |store: &Arc<T>| {
        let all = all_revocations(store);
        let tokens = all
            .iter()
            .filter(|r| matches!(r, Revocation::AccessToken { .. }))
            .count();
        let refresh = (0..5)
            .filter(|i| has_refresh_token(store, &format!("rt{i}")))
            .count();
        (tokens, refresh, all.len() - tokens)
    };
    assert_eq!(left(store), (5, 5, 5));
    // Access tokens, refresh tokens, grants: at most 2 of each per call.
    for (deleted, remaining) in [(6, 3), (6, 1), (3, 0), (0, 0)] {
        assert_eq!(store.prune_expired(NOW, 2).expect("prune"), deleted);
        assert_eq!(left(store), (remaining, remaining, remaining));
    }
}

// Backend-specific tests: outages.

fn an_unreachable_database_is_refused_at_connect() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url =
        DatabaseUrl::parse(dir.path().join("gone/x.db").to_str().expect("utf-8")).expect("url");
    let settings = PoolSettings {
        max_size: 1,
        connection_timeout: Duration::from_millis(200),
    };
    assert!(DieselStore::connect(&url, &settings).is_err());
}

/// Another session on a Postgres database, holding row locks in an open transaction, and
/// a third one watching who waits on them.
struct Blocker {
    session: diesel::PgConnection,
    observer: diesel::PgConnection,
}

impl Blocker {
    /// Opens a transaction and runs `sql` in it.
    fn begin(url: &str, sql: &str) -> Blocker {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut session = diesel::PgConnection::establish(url).expect("blocker session");
        // Outside the blocker's transaction, which would see one snapshot of pg_stat_activity.
        let observer = diesel::PgConnection::establish(url).expect("observer session");
        session
            .batch_execute(&format!("BEGIN; {sql}"))
            .expect("take the locks");
        Blocker { session, observer }
    }

    /// Waits (bounded) until `n` sessions of the database wait on a lock.
    fn wait_for_waiters(&mut self, n: i64) {
        use diesel::RunQueryDsl;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let waiting = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM pg_stat_activity \
                  WHERE datname = current_database() AND wait_event_type = 'Lock')",
            ))
            .get_result::<i64>(&mut self.observer)
            .expect("count waiters");
            if waiting == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{waiting} of {n} sessions waiting on a lock"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn commit(mut self) {
        use diesel::connection::SimpleConnection;
        self.session.batch_execute("COMMIT").expect("commit");
    }
}

fn fresh_postgres_store(hint: &str) -> (DieselStore, String) {
    let url = TestPostgres::shared().fresh_database(hint);
    let store = DieselStore::connect(
        &DatabaseUrl::parse(&url).expect("url"),
        &PoolSettings::default(),
    )
    .expect("connect");
    fixture_users(&store);
    (store, url)
}

/// The race of the contract test, made certain: every racer is inside its transaction,
/// waiting on a row lock another session holds on `old`, when that lock is released.
fn rotations_queued_on_the_row_lock_have_exactly_one_winner() {
    let (store, url) = fresh_postgres_store("rotation_queue");
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    let old = Secret::new("rt-0").hash();
    let mut blocker = Blocker::begin(
        &url,
        &format!(
            "SELECT 1 FROM refresh_tokens WHERE token_hash = '{}' FOR UPDATE",
            old.as_str()
        ),
    );

    let racers = 8;
    let handles: Vec<_> = (0..racers)
        .map(|i| {
            let store = store.clone();
            let old = old.clone();
            thread::spawn(move || {
                store.rotate_refresh_token(
                    &old,
                    &refresh(&format!("rt-next-{i}"), "g1"),
                    NOW.plus_seconds(1),
                    NOW.plus_seconds(301),
                )
            })
        })
        .collect();
    blocker.wait_for_waiters(racers);
    blocker.commit();

    let outcomes: Vec<RotateOutcome> = handles
        .into_iter()
        .map(|h| {
            h.join()
                .expect("thread")
                .expect("no store error under contention")
        })
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == RotateOutcome::Rotated)
            .count(),
        1,
        "{outcomes:?}"
    );
    let written = (0..racers)
        .filter(|i| {
            store
                .find_refresh_token(&Secret::new(format!("rt-next-{i}")).hash())
                .expect("find")
                .is_some()
        })
        .count();
    assert_eq!(written, 1, "losers write nothing");
}

/// A refresh that meets a grant revocation in progress must lose once it commits: if it
/// won, it would hand out an access token expiring after the `until` that `revoke_grant`
/// returned for the denylist, so the token would outlive its grant's denylist entry.
fn a_rotation_meeting_a_grant_revocation_loses() {
    let (store, url) = fresh_postgres_store("rotation_vs_revocation");
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");
    // What revoke_grant does, held open.
    let mut revocation = Blocker::begin(
        &url,
        &format!(
            "UPDATE grants SET revoked_at = {} WHERE id = 'g1' AND revoked_at IS NULL",
            NOW.0
        ),
    );
    let rotation = {
        let store = store.clone();
        thread::spawn(move || {
            store.rotate_refresh_token(
                &Secret::new("rt-0").hash(),
                &refresh("rt-1", "g1"),
                NOW.plus_seconds(1),
                NOW.plus_seconds(301),
            )
        })
    };
    revocation.wait_for_waiters(1);
    revocation.commit();

    let outcome = rotation.join().expect("thread").expect("rotate");
    assert_eq!(outcome, RotateOutcome::Lost);
    let (old, g1) = store
        .find_refresh_token(&Secret::new("rt-0").hash())
        .expect("find")
        .expect("exists");
    assert_eq!(old.rotated_at, None);
    assert_eq!(g1.revoked_at, Some(NOW));
    assert_eq!(g1.access_expires_at, NOW.plus_seconds(300), "not extended");
    assert_eq!(
        store
            .find_refresh_token(&Secret::new("rt-1").hash())
            .expect("find"),
        None
    );
}

fn an_unreachable_server_is_refused_at_connect() {
    let port = ciam_testkit::free_port();
    let url =
        DatabaseUrl::parse(&format!("postgres://postgres@127.0.0.1:{port}/none")).expect("url");
    let settings = PoolSettings {
        max_size: 1,
        connection_timeout: Duration::from_millis(200),
    };
    let error = DieselStore::connect(&url, &settings)
        .err()
        .expect("no server, no store")
        .to_string();
    // libpq's own reason, not diesel's "Invalid connection url for multiconnection" that
    // trying every backend in turn leaves.
    assert!(error.contains("127.0.0.1"), "{error}");
    assert!(!error.contains("Invalid connection url"), "{error}");
}

fn a_stopped_server_is_unavailable_and_the_same_store_recovers() {
    let pg = TestPostgres::start();
    let url = DatabaseUrl::parse(&pg.fresh_database("outage")).expect("url");
    let timeout = Duration::from_secs(1);
    let settings = PoolSettings {
        max_size: 2,
        connection_timeout: timeout,
    };
    let store = DieselStore::connect(&url, &settings).expect("connect");
    fixture_users(&store);
    store
        .insert_client(&client("c1"), &ciam_domain::testing::test_audit())
        .expect("insert");
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-0", "g1"))
        .expect("create");

    pg.stop();
    // Every port, all at once: each call must fail as Unavailable (never as "not
    // found" or "not revoked") within about the pool's connection timeout.
    let user = User {
        id: UserId::new("u1"),
        username: "alice".into(),
        password_hash: "$argon2id$...".into(),
        created_at: NOW,
        profile: Profile::default(),
        disabled_at: None,
    };
    let (c1, g1, j1) = (ClientId::new("c1"), GrantId::new("g1"), Jti::new("j1"));
    let rt0 = Secret::new("rt-0").hash();
    let key = {
        use ciam_domain::ports::AccessTokenCodec;
        ciam_crypto::JwtCodec::default()
            .generate_key(Kid::new("k1"), SigningAlg::EdDSA, NOW)
            .expect("key")
    };
    type Check<'a> = Box<dyn Fn() -> Result<String, StoreError> + Sync + 'a>;
    let checks: Vec<(&str, Check<'_>)> = vec![
        ("find_client", Box::new(|| shown(store.find_client(&c1)))),
        (
            "insert_client",
            Box::new(|| {
                shown(store.insert_client(&client("c2"), &ciam_domain::testing::test_audit()))
            }),
        ),
        ("list_clients", Box::new(|| shown(store.list_clients()))),
        (
            "delete_client",
            Box::new(|| shown(store.delete_client(&c1, NOW, &ciam_domain::testing::test_audit()))),
        ),
        (
            "find_user_by_username",
            Box::new(|| shown(store.find_user_by_username("alice"))),
        ),
        (
            "insert_user",
            Box::new(|| shown(store.insert_user(&user, &ciam_domain::testing::test_audit()))),
        ),
        (
            "set_user_disabled",
            Box::new(|| {
                shown(store.set_user_disabled(
                    &user.id,
                    Some(NOW),
                    &ciam_domain::testing::test_audit(),
                ))
            }),
        ),
        (
            "update_user_profile",
            Box::new(|| {
                shown(store.update_user_profile(
                    &user.id,
                    &Profile::default(),
                    &ciam_domain::testing::test_audit(),
                ))
            }),
        ),
        (
            "delete_user",
            Box::new(|| shown(store.delete_user(&user.id, &ciam_domain::testing::test_audit()))),
        ),
        (
            "list_users",
            Box::new(|| {
                shown(store.list_users(&UserQuery {
                    limit: 10,
                    ..UserQuery::default()
                }))
            }),
        ),
        (
            "create_grant",
            Box::new(|| shown(store.create_grant(&grant("g2", "c1"), &refresh("rt-2", "g2")))),
        ),
        (
            "find_refresh_token",
            Box::new(|| shown(store.find_refresh_token(&rt0))),
        ),
        (
            "rotate_refresh_token",
            Box::new(|| shown(store.rotate_refresh_token(&rt0, &refresh("rt-1", "g1"), NOW, NOW))),
        ),
        (
            "add_refresh_token",
            Box::new(|| shown(store.add_refresh_token(&refresh("rt-3", "g1"), NOW))),
        ),
        (
            "revoke_grant",
            Box::new(|| shown(store.revoke_grant(&g1, NOW, &ciam_domain::testing::test_audit()))),
        ),
        (
            "revoke_access_token",
            Box::new(|| {
                shown(store.revoke_access_token(
                    &j1,
                    &c1,
                    NOW,
                    NOW,
                    &ciam_domain::testing::test_audit(),
                ))
            }),
        ),
        (
            "is_revoked",
            Box::new(|| shown(is_revoked(&store, &j1, Some(&g1)))),
        ),
        (
            "live_revocations",
            Box::new(|| shown(store.live_revocations(NOW))),
        ),
        ("ping", Box::new(|| shown(store.ping()))),
        ("list_keys", Box::new(|| shown(store.list_keys()))),
        (
            "add_key_retiring_others",
            Box::new(|| {
                shown(store.add_key_retiring_others(&key, NOW, &ciam_domain::testing::test_audit()))
            }),
        ),
    ];
    let limit = timeout * 3;
    thread::scope(|scope| {
        let calls: Vec<_> = checks
            .iter()
            .map(|(what, call)| {
                scope.spawn(move || {
                    let started = Instant::now();
                    (*what, call(), started.elapsed())
                })
            })
            .collect();
        for call in calls {
            let (what, result, took) = call.join().expect("thread");
            assert!(
                matches!(result, Err(StoreError::Unavailable(_))),
                "{what} with the server down: {result:?}"
            );
            assert!(took <= limit, "{what} took {took:?} to report the outage");
        }
    });

    pg.start_again();
    let deadline = Instant::now() + Duration::from_secs(15);
    while let Err(error) = store.ping() {
        assert!(
            Instant::now() < deadline,
            "no recovery after the restart: {error}"
        );
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        store.find_client(&ClientId::new("c1")).expect("find"),
        Some(client("c1"))
    );
    let outcome = store
        .rotate_refresh_token(
            &Secret::new("rt-0").hash(),
            &refresh("rt-1", "g1"),
            NOW,
            NOW.plus_seconds(300),
        )
        .expect("rotate after the restart");
    assert_eq!(outcome, RotateOutcome::Rotated);
}

fn shown<T: Debug>(result: Result<T, StoreError>) -> Result<String, StoreError> {
    result.map(|value| format!("{value:?}"))
}

fn session(id: &str, token: &str) -> Session {
    Session {
        id: SessionId::new(id),
        token_hash: Secret::new(token).hash(),
        user_id: UserId::new("u1"),
        auth_time: NOW,
        last_seen_at: NOW,
        expires_at: NOW.plus_seconds(3600),
        ended_at: None,
    }
}

fn sessions_round_trip_and_activity_only_moves_forward<T: Store>(store: &Arc<T>) {
    let s1 = session("s1", "cookie-1");
    store
        .insert_session(&s1, &ciam_domain::testing::test_audit())
        .expect("insert");
    let by_cookie = |token: &str| {
        store
            .find_session(&Secret::new(token).hash())
            .expect("find")
    };
    assert_eq!(by_cookie("cookie-1"), Some(s1.clone()));
    assert_eq!(by_cookie("cookie-2"), None);
    assert!(matches!(
        store.insert_session(
            &session("s1", "cookie-2"),
            &ciam_domain::testing::test_audit()
        ),
        Err(StoreError::Duplicate(_))
    ));
    store
        .touch_session(&s1.id, NOW.plus_seconds(90))
        .expect("touch");
    store
        .touch_session(&s1.id, NOW.plus_seconds(30))
        .expect("touch");
    let touched = by_cookie("cookie-1").expect("exists");
    assert_eq!(touched.last_seen_at, NOW.plus_seconds(90));
}

fn code(token: &str) -> AuthorizationCode {
    AuthorizationCode {
        hash: Secret::new(token).hash(),
        client_id: ClientId::new("c1"),
        redirect_uri: "https://app.example/cb".into(),
        scope: Scope::parse("openid read").expect("scope"),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        session_id: SessionId::new("s1"),
        user_id: UserId::new("u1"),
        auth_time: NOW,
        issued_at: NOW,
        expires_at: NOW.plus_seconds(60),
        used_at: None,
        grant_id: None,
    }
}

fn a_code_is_redeemed_once_and_a_replay_names_the_first_grant<T: Store>(store: &Arc<T>) {
    let c = code("code-1");
    store.insert_code(&c).expect("insert");
    assert_eq!(store.find_code(&c.hash).expect("find"), Some(c.clone()));
    assert!(matches!(
        store.insert_code(&c),
        Err(StoreError::Duplicate(_))
    ));
    let g1 = grant("g1", "c1");
    let first = refresh("rt-1", "g1");
    let later = NOW.plus_seconds(5);
    assert_eq!(
        store
            .redeem_code(&c.hash, later, &g1, Some(&first))
            .expect("redeem"),
        Redemption::Redeemed { live: true }
    );
    assert!(
        has_refresh_token(store, "rt-1"),
        "the grant is stored with its token"
    );
    let used = store.find_code(&c.hash).expect("find").expect("kept");
    assert_eq!(
        (used.used_at, used.grant_id.clone()),
        (Some(later), Some(g1.id.clone()))
    );
    let g2 = grant("g2", "c1");
    assert_eq!(
        store
            .redeem_code(&c.hash, later, &g2, None)
            .expect("replay"),
        Redemption::Replayed {
            grant_id: Some(g1.id.clone())
        }
    );
    assert_eq!(
        store
            .revoke_grant(&g2.id, later, &ciam_domain::testing::test_audit())
            .expect("revoke"),
        None,
        "nothing written"
    );
}

fn concurrent_redemptions_of_one_code_have_one_winner<T: Store>(store: &Arc<T>) {
    let c = code("code-race");
    store.insert_code(&c).expect("insert");
    let barrier = Barrier::new(8);
    let outcomes: Vec<Redemption> = thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (store, barrier, hash) = (store, &barrier, c.hash.clone());
                scope.spawn(move || {
                    let g = grant(&format!("race-{i}"), "c1");
                    let first = refresh(&format!("race-rt-{i}"), &format!("race-{i}"));
                    barrier.wait();
                    store
                        .redeem_code(&hash, NOW, &g, Some(&first))
                        .expect("redeem")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let winners = outcomes
        .iter()
        .filter(|o| **o == Redemption::Redeemed { live: true })
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    let winner = store
        .find_code(&c.hash)
        .expect("find")
        .expect("kept")
        .grant_id;
    for outcome in outcomes {
        if let Redemption::Replayed { grant_id } = outcome {
            assert_eq!(grant_id, winner);
        }
    }
}

fn ending_a_session_revokes_its_grants_and_burns_its_codes<T: Store>(store: &Arc<T>) {
    store
        .insert_session(
            &session("s1", "cookie-1"),
            &ciam_domain::testing::test_audit(),
        )
        .expect("session");
    // grant() is born in session s1; one of another session must stay.
    store
        .create_grant(&grant("g1", "c1"), &refresh("rt-1", "g1"))
        .expect("g1");
    let other = Grant {
        session_id: Some(SessionId::new("s2")),
        ..grant("g2", "c1")
    };
    store
        .create_grant(&other, &refresh("rt-2", "g2"))
        .expect("g2");
    store.insert_code(&code("unused")).expect("code");
    let later = NOW.plus_seconds(10);

    let entries = store
        .end_session(
            &SessionId::new("s1"),
            later,
            &ciam_domain::testing::test_audit(),
        )
        .expect("end");
    assert_eq!(
        entries,
        vec![Revocation::Grant {
            grant_id: GrantId::new("g1"),
            until: NOW.plus_seconds(300),
        }]
    );
    let ended = store
        .find_session(&Secret::new("cookie-1").hash())
        .expect("find")
        .expect("kept");
    assert_eq!(ended.ended_at, Some(later));
    assert!(is_revoked(&**store, &Jti::new("any"), Some(&GrantId::new("g1"))).expect("read"));
    assert!(!is_revoked(&**store, &Jti::new("any"), Some(&GrantId::new("g2"))).expect("read"));
    let burnt = store
        .find_code(&Secret::new("unused").hash())
        .expect("find")
        .expect("kept");
    assert_eq!(burnt.used_at, Some(later));
    assert_eq!(
        store
            .redeem_code(&burnt.hash, later, &grant("g3", "c1"), None)
            .expect("redeem"),
        Redemption::Replayed { grant_id: None }
    );
    // Idempotent: the first end stands.
    store
        .end_session(
            &SessionId::new("s1"),
            later.plus_seconds(5),
            &ciam_domain::testing::test_audit(),
        )
        .expect("again");
    let again = store
        .find_session(&Secret::new("cookie-1").hash())
        .expect("find")
        .expect("kept");
    assert_eq!(again.ended_at, Some(later));
}

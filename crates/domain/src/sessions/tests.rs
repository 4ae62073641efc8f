//! Sessions: lifetime, idle timeout, and cookie values that cannot be ours.

use crate::secret::Secret;
use crate::testing::Harness;

fn harness() -> Harness {
    Harness::new(|config| {
        config.session_lifetime = 3600;
        config.session_idle_timeout = 600;
    })
}

fn signed_in(h: &Harness) -> Secret {
    let user = h
        .services
        .accounts
        .create_user("alice", &Secret::new("correct horse"))
        .expect("user");
    h.services.sessions.start(&user).expect("session").0
}

#[test]
fn a_session_signs_in_until_idle_too_long() {
    let h = harness();
    let cookie = signed_in(&h);
    let current = |h: &Harness| {
        h.services
            .sessions
            .current(cookie.expose())
            .expect("store up")
    };
    assert!(current(&h).is_some());
    h.advance(599);
    assert!(
        current(&h).is_some(),
        "activity at 599 s resets the idle clock"
    );
    h.advance(599);
    assert!(current(&h).is_some());
    h.advance(600);
    assert!(current(&h).is_none(), "idle for the whole timeout");
}

#[test]
fn a_session_ends_at_its_lifetime_however_active() {
    let h = harness();
    let cookie = signed_in(&h);
    for _ in 0..6 {
        h.advance(500);
        assert!(h
            .services
            .sessions
            .current(cookie.expose())
            .expect("up")
            .is_some());
    }
    h.advance(600);
    assert!(h
        .services
        .sessions
        .current(cookie.expose())
        .expect("up")
        .is_none());
}

#[test]
fn only_the_cookie_secret_finds_a_session() {
    let h = harness();
    let cookie = signed_in(&h);
    let (_, session) = h.services.sessions.start(&h.user("bob")).expect("session");
    for wrong in [
        "",
        "x",
        session.id.as_str(),
        session.token_hash.as_str(),
        &"a".repeat(300),
    ] {
        assert!(
            h.services.sessions.current(wrong).expect("up").is_none(),
            "{wrong}"
        );
    }
    assert_ne!(cookie.expose(), session.id.as_str());
}

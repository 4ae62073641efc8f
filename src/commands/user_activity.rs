//! `ciam user sessions | grants | end-session | revoke-grant`: a user's live sessions and
//! grants, and ending one of each, as the admin API does (docs/admin-api.md). Never a
//! cookie, a token or a hash.

use ciam::settings::Settings;
use ciam_domain::paging::{Page, PageRequest};
use ciam_domain::ports::{ListedGrant, ListedSession};
use ciam_domain::services::Services;
use serde_json::{json, Value};

use super::revoke::visibility;
use super::user::find;
use super::{print_json, CommandError};
use crate::cli::{PageArgs, UserTarget};

pub fn sessions(
    services: &Services,
    target: UserTarget,
    page: PageArgs,
) -> Result<(), CommandError> {
    let user = find(services, target)?;
    let request = PageRequest::new(Some(page.limit), page.after.as_deref())?;
    let Page { items, next } = services.sessions.live_sessions_of(&user.id, &request)?;
    print_json(&json!({
        "sessions": items.iter().map(describe_session).collect::<Vec<_>>(),
        "next": next,
    }))
}

pub fn grants(services: &Services, target: UserTarget, page: PageArgs) -> Result<(), CommandError> {
    let user = find(services, target)?;
    let request = PageRequest::new(Some(page.limit), page.after.as_deref())?;
    let Page { items, next } = services.revocation.live_grants_of(&user.id, &request)?;
    print_json(&json!({
        "grants": items.iter().map(describe_grant).collect::<Vec<_>>(),
        "next": next,
    }))
}

pub fn end_session(
    services: &Services,
    settings: &Settings,
    target: UserTarget,
    session_id: &str,
) -> Result<(), CommandError> {
    let user = find(services, target)?;
    if !services
        .sessions
        .end_session_of(&user.id, session_id, &ciam_domain::Initiator::cli())?
    {
        return Err(format!("user {:?} has no session {session_id:?}", user.id.as_str()).into());
    }
    print_json(&json!({
        "user_id": user.id.as_str(),
        "session_ended": session_id,
        "visible_to_servers": visibility(settings),
    }))
}

pub fn revoke_grant(
    services: &Services,
    settings: &Settings,
    target: UserTarget,
    grant_id: &str,
) -> Result<(), CommandError> {
    let user = find(services, target)?;
    if !services
        .revocation
        .revoke_grant_of(&user.id, grant_id, &ciam_domain::Initiator::cli())?
    {
        return Err(format!("user {:?} has no grant {grant_id:?}", user.id.as_str()).into());
    }
    print_json(&json!({
        "user_id": user.id.as_str(),
        "grant_revoked": grant_id,
        "visible_to_servers": visibility(settings),
    }))
}

/// A session as the admin API shows it: its public id, never the cookie or its hash.
fn describe_session(listed: &ListedSession) -> Value {
    let session = &listed.session;
    json!({
        "id": session.id.as_str(),
        "created_at": session.auth_time.0,
        "last_seen_at": session.last_seen_at.0,
        "expires_at": session.expires_at.0,
        "clients": listed.clients.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    })
}

/// A grant as the admin API shows it: never a refresh token or its hash.
fn describe_grant(listed: &ListedGrant) -> Value {
    let grant = &listed.grant;
    json!({
        "id": grant.id.as_str(),
        "client_id": grant.client_id.as_str(),
        "scope": grant.scope.to_string(),
        "created_at": grant.created_at.0,
        "expires_at": listed.expires_at.0,
        "session_id": grant.session_id.as_ref().map(|id| id.as_str()),
    })
}

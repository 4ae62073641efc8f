use ciam::settings::Settings;
use ciam_domain::services::Services;
use serde_json::json;

use super::{print_json, CommandError};
use crate::cli::RevokeArgs;

/// `ciam revoke --user U | --username N | --client C`.
pub fn run(services: &Services, settings: &Settings, args: RevokeArgs) -> Result<(), CommandError> {
    let (target, revoked) = if let Some(client_id) = args.client {
        let revoked = services
            .clients
            .revoke_everything(&client_id, &ciam_domain::Initiator::cli())?
            .ok_or_else(|| format!("no client with client_id {client_id:?}"))?;
        (json!({ "client_id": client_id }), revoked)
    } else {
        let user = match (args.user, args.username) {
            (Some(id), _) => services
                .accounts
                .find_user(&id)?
                .ok_or_else(|| format!("no user with id {id:?}"))?,
            (None, Some(username)) => services
                .accounts
                .find_user_by_username(&username)?
                .ok_or_else(|| format!("no user with username {username:?}"))?,
            (None, None) => return Err("say --user, --username or --client".into()),
        };
        let revoked = services
            .sessions
            .sign_out_everywhere(&user.id, &ciam_domain::Initiator::cli())?;
        (json!({ "user_id": user.id.as_str() }), revoked)
    };
    print_json(&json!({
        "revoked": target,
        "grants_revoked": revoked.grant_count,
        "sessions_ended": revoked.session_count,
        "visible_to_servers": visibility(settings),
    }))
}

/// When running servers refuse the tokens: at once through Redis; with the in-process
/// denylist, a running server learns of revocations made by another process at its next
/// rebuild from the store.
pub(super) fn visibility(settings: &Settings) -> String {
    if settings.redis_url.is_some() {
        "now (Redis denylist)".into()
    } else {
        format!(
            "within CIAM_RECONCILE_INTERVAL ({} s) on a running server with the in-process denylist (the admin API revokes there at once)",
            settings.reconcile_interval
        )
    }
}

use std::io::BufRead;

use ciam::settings::Settings;
use ciam_domain::ports::BulkRevoked;
use ciam_domain::services::Services;
use ciam_domain::{Profile, Secret, User};
use serde_json::{json, Value};

use super::revoke::visibility;
use super::user_activity;
use super::{print_json, CommandError};
use crate::cli::{UserCommand, UserTarget};

pub fn run(
    services: &Services,
    settings: &Settings,
    command: UserCommand,
) -> Result<(), CommandError> {
    let accounts = &services.accounts;
    let lifecycle = &services.lifecycle;
    match command {
        UserCommand::Create {
            username,
            password_stdin: _,
            email,
            name,
        } => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.strip_suffix('\n').unwrap_or(&line);
            let password = password.strip_suffix('\r').unwrap_or(password);
            if password.is_empty() {
                return Err("no password on standard input".into());
            }
            let profile = Profile {
                name,
                email,
                email_verified: false,
            };
            let user = accounts.create_user_with_profile(
                &username,
                &Secret::new(password),
                profile,
                &ciam_domain::Initiator::cli(),
            )?;
            print_json(&json!({
                "id": user.id.as_str(),
                "username": user.username,
                "name": user.profile.name,
                "email": user.profile.email,
            }))
        }
        UserCommand::Show(target) => print_json(&describe(&find(services, target)?)),
        UserCommand::List {
            limit,
            after,
            search,
        } => {
            let page = accounts.list_users(Some(limit), after.as_deref(), search.as_deref())?;
            print_json(&json!({
                "users": page.users.iter().map(describe).collect::<Vec<_>>(),
                "next": page.next.map(|id| id.to_string()),
            }))
        }
        UserCommand::Disable(target) => {
            let user = find(services, target)?;
            let (user, revoked) = lifecycle
                .disable_user(user.id.as_str(), &ciam_domain::Initiator::cli())?
                .ok_or_else(|| gone(&user))?;
            print_json(&with_revoked(describe(&user), &revoked, settings))
        }
        UserCommand::Enable(target) => {
            let user = find(services, target)?;
            let user = lifecycle
                .enable_user(user.id.as_str(), &ciam_domain::Initiator::cli())?
                .ok_or_else(|| gone(&user))?;
            print_json(&describe(&user))
        }
        UserCommand::Delete(target) => {
            let user = find(services, target)?;
            let (user, revoked) = lifecycle
                .delete_user(user.id.as_str(), &ciam_domain::Initiator::cli())?
                .ok_or_else(|| gone(&user))?;
            let out = json!({ "id": user.id.as_str(), "username": user.username, "deleted": true });
            print_json(&with_revoked(out, &revoked, settings))
        }
        UserCommand::Sessions { target, page } => user_activity::sessions(services, target, page),
        UserCommand::Grants { target, page } => user_activity::grants(services, target, page),
        UserCommand::EndSession { target, session_id } => {
            user_activity::end_session(services, settings, target, &session_id)
        }
        UserCommand::RevokeGrant { target, grant_id } => {
            user_activity::revoke_grant(services, settings, target, &grant_id)
        }
    }
}

/// The user `target` names, or an error saying there is none.
pub(super) fn find(services: &Services, target: UserTarget) -> Result<User, CommandError> {
    let accounts = &services.accounts;
    match (target.id, target.username) {
        (Some(id), _) => accounts
            .find_user(&id)?
            .ok_or_else(|| format!("no user with id {id:?}").into()),
        (None, Some(username)) => accounts
            .find_user_by_username(&username)?
            .ok_or_else(|| format!("no user with username {username:?}").into()),
        (None, None) => Err("say a user id or --username".into()),
    }
}

/// Deleted by someone else between the lookup and the change.
fn gone(user: &User) -> CommandError {
    format!("no user with id {:?}", user.id.as_str()).into()
}

/// A user as shown to operators: never the password hash.
fn describe(user: &User) -> Value {
    json!({
        "id": user.id.as_str(),
        "username": user.username,
        "name": user.profile.name,
        "email": user.profile.email,
        "email_verified": user.profile.email_verified,
        "created_at": user.created_at.0,
        "disabled": user.is_disabled(),
        "disabled_at": user.disabled_at.map(|t| t.0),
    })
}

fn with_revoked(mut out: Value, revoked: &BulkRevoked, settings: &Settings) -> Value {
    out["grants_revoked"] = json!(revoked.grant_count);
    out["sessions_ended"] = json!(revoked.session_count);
    out["visible_to_servers"] = json!(visibility(settings));
    out
}

use std::io::BufRead;

use ciam_domain::{Accounts, Profile, Secret};
use serde_json::json;

use super::{print_json, CommandError};
use crate::cli::UserCommand;

pub fn run(accounts: &Accounts, command: UserCommand) -> Result<(), CommandError> {
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
            let user =
                accounts.create_user_with_profile(&username, &Secret::new(password), profile)?;
            print_json(&json!({
                "id": user.id.as_str(),
                "username": user.username,
                "name": user.profile.name,
                "email": user.profile.email,
            }))
        }
    }
}

use std::io::BufRead;

use ciam_domain::{Accounts, Secret};
use serde_json::json;

use super::{print_json, CommandError};
use crate::cli::UserCommand;

pub fn run(accounts: &Accounts, command: UserCommand) -> Result<(), CommandError> {
    match command {
        UserCommand::Create {
            username,
            password_stdin: _,
        } => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.strip_suffix('\n').unwrap_or(&line);
            let password = password.strip_suffix('\r').unwrap_or(password);
            if password.is_empty() {
                return Err("no password on standard input".into());
            }
            let user = accounts.create_user(&username, &Secret::new(password))?;
            print_json(&json!({ "id": user.id.as_str(), "username": user.username }))
        }
    }
}

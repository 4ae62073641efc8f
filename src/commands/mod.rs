//! One function per command: load settings, wire, call the domain, print JSON.

mod audit;
mod client;
mod keys;
mod revoke;
mod serve;
mod user;
mod user_activity;

use crate::cli::{Cli, Command};
use ciam::settings::Settings;
use ciam::wiring;

pub type CommandError = Box<dyn std::error::Error>;

pub fn run(cli: Cli) -> Result<(), CommandError> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    // A one-shot command checks the denylist rarely if at all: loading a replica of it
    // would cost a full scan of Redis for nothing.
    settings.redis_replica &= matches!(cli.command, Command::Serve);
    match cli.command {
        Command::Serve => serve::run(settings),
        Command::Migrate => {
            let url = ciam_store::DatabaseUrl::parse(settings.database_url.expose())?;
            let store = ciam_store::DieselStore::open(&url, &ciam_store::PoolSettings::default())?;
            let applied = store.migrate()?;
            print_json(&serde_json::json!({ "migrations_applied": applied }))
        }
        Command::Client(command) => client::run(&wiring::services(&settings)?.clients, command),
        Command::User(command) => user::run(&wiring::services(&settings)?, &settings, command),
        Command::Audit(command) => audit::run(&wiring::services(&settings)?.audit, command),
        Command::Revoke(args) => revoke::run(&wiring::services(&settings)?, &settings, args),
        Command::Keys(command) => {
            let services = wiring::services(&settings)?;
            keys::run(
                &services.access_tokens,
                services.config().access_token_alg,
                command,
            )
        }
    }
}

fn print_json(value: &serde_json::Value) -> Result<(), CommandError> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

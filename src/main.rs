//! The `ciam` binary: reads configuration, wires adapters into the domain, and runs a
//! command. Nothing else happens here.

mod background;
mod cli;
mod commands;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let Err(error) = telemetry::init(cli.command.is_server()) {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", ciam_domain::Chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

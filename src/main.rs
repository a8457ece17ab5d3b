use std::process::ExitCode;

use clap::Parser;
use parution::config::{Cli, Command};
use parution::startup::{self, Demo};

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let outcome = match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(settings) => actix_web::rt::System::new().block_on(startup::serve(settings)),
        Command::Migrate(settings) => startup::prepare(&settings, Demo::Never).map(|_| {
            log::info!("the database is up to date");
        }),
        Command::SeedDemo(settings) => startup::prepare(&settings, Demo::Always).map(|_| ()),
        Command::Openapi => {
            print!("{}", parution::openapi::to_pretty_json(&parution::openapi::document()));
            Ok(())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            log::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

use std::process::ExitCode;

use clap::Parser;
use parution::config::{Cli, Command, StorageCommand, TokenCommand};
use parution::startup::{self, Demo};

fn main() -> ExitCode {
    few_malloc_arenas();
    let cli = Cli::parse();
    parution::logging::init(cli.log_format);
    let outcome = match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(settings) => actix_web::rt::System::new().block_on(startup::serve(settings)),
        Command::Migrate(settings) => startup::prepare(&settings, Demo::Never).map(|_| {
            log::info!("the database is up to date");
        }),
        Command::SeedDemo(settings) => seed_demo(&settings),
        Command::Token { command, database } => token(command, &database),
        Command::Storage { command, database } => storage(command, &database),
        Command::Export { files, database } => export(files.as_deref(), &database),
        Command::Import { file, files, database } => import(&file, files.as_deref(), &database),
        Command::Health { url, bind, timeout } => health(&url.unwrap_or_else(|| ready_url(&bind)), timeout),
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

/// `/ready` at the address a server listens on: a wildcard one is asked
/// on loopback.
fn ready_url(bind: &str) -> String {
    let address = match bind.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => bind.to_owned(),
    };
    format!("http://{address}/ready")
}

/// Whether `url` answers 2xx within `timeout` seconds.
fn health(url: &str, timeout: u64) -> Result<(), String> {
    let agent = ureq::AgentBuilder::new().timeout(std::time::Duration::from_secs(timeout.max(1))).redirects(0).build();
    match agent.get(url).call() {
        Ok(answer) if (200..300).contains(&answer.status()) => {
            println!("{url}: {}", answer.status());
            Ok(())
        }
        Ok(answer) => Err(format!("{url}: {}", answer.status())),
        Err(ureq::Error::Status(status, _)) => Err(format!("{url}: {status}")),
        Err(error) => Err(format!("{url}: {error}")),
    }
}

fn token(command: TokenCommand, database: &parution::config::DatabaseSettings) -> Result<(), String> {
    use parution::tokens;
    let pool = startup::prepare(database, Demo::IntoNewSqlite)?;
    let connection = &mut pool.get().map_err(|error| error.to_string())?;
    match command {
        TokenCommand::Create { name, scopes, expires_in } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err("a token's name has 1 to 100 characters".into());
            }
            // Scopes are ranked: the widest given counts.
            let scope = scopes.into_iter().max().unwrap_or(tokens::Scope::Write);
            let expires_at = expires_in.map(|duration| parution::db::now() + duration);
            match tokens::create(connection, name, scope, expires_at).map_err(|error| error.to_string())? {
                Some((_, secret)) => {
                    let until = expires_at
                        .map(|at| format!(", valid until {} UTC", at.format("%Y-%m-%d %H:%M")))
                        .unwrap_or_default();
                    eprintln!(
                        "Token '{name}' created (scope {scope}{until}). Keep it now: it will not be shown again."
                    );
                    println!("{secret}");
                    Ok(())
                }
                None => Err(format!("a token named '{name}' exists already")),
            }
        }
        TokenCommand::List => {
            let rows = tokens::list(connection).map_err(|error| error.to_string())?;
            println!("{:<30} {:<6} {:<20} {:<20} STATUS", "NAME", "SCOPE", "CREATED", "LAST USED");
            let time = |at: Option<chrono::NaiveDateTime>| {
                at.map(|at| at.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())
            };
            for row in rows {
                let status = match (row.revoked_at, row.expires_at) {
                    (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    (None, Some(at)) if at <= parution::db::now() => format!("expired {}", at.format("%Y-%m-%d %H:%M")),
                    (None, Some(at)) => format!("active until {}", at.format("%Y-%m-%d %H:%M")),
                    (None, None) => "active".into(),
                };
                println!(
                    "{:<30} {:<6} {:<20} {:<20} {status}",
                    row.name,
                    row.scope,
                    time(Some(row.created_at)),
                    time(row.last_used_at)
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { name } => {
            if tokens::revoke(connection, &name).map_err(|error| error.to_string())? {
                eprintln!("Token '{name}' revoked.");
                Ok(())
            } else {
                Err(format!("no active token is named '{name}'"))
            }
        }
    }
}

fn seed_demo(settings: &parution::config::DatabaseSettings) -> Result<(), String> {
    let pool = startup::prepare(settings, Demo::Always)?;
    let files = settings.storage.open(&settings.database_url)?;
    let attached = actix_web::rt::System::new()
        .block_on(parution::attachments::demo::attach(&pool, &files))
        .map_err(|error| error.to_string())?;
    if attached {
        log::info!("attached the demo files to the demo article ({})", files.location);
    }
    Ok(())
}

fn storage(command: StorageCommand, database: &parution::config::DatabaseSettings) -> Result<(), String> {
    let StorageCommand::Gc { grace } = command;
    let pool = startup::prepare(database, Demo::Never)?;
    let files = database.storage.open(&database.database_url)?;
    let grace = grace.to_std().map_err(|error| error.to_string())?;
    let collected = actix_web::rt::System::new()
        .block_on(parution::attachments::collector::collect(&pool, &files, grace))
        .map_err(|error| error.to_string())?;
    eprintln!(
        "{}: {} file(s) referenced, {} removed ({} bytes), {} unreferenced but younger than the grace period.",
        files.location, collected.referenced, collected.removed, collected.removed_bytes, collected.young
    );
    Ok(())
}

fn export(files: Option<&std::path::Path>, database: &parution::config::DatabaseSettings) -> Result<(), String> {
    let pool = startup::prepare(database, Demo::IntoNewSqlite)?;
    let connection = &mut pool.get().map_err(|error| error.to_string())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (categories, publications) = parution::exchange::export(connection, &mut out)?;
    log::info!("exported {categories} categories and {publications} publications");
    let Some(folder) = files else { return Ok(()) };
    std::fs::create_dir_all(folder).map_err(|error| format!("cannot make {}: {error}", folder.display()))?;
    let storage = database.storage.open(&database.database_url)?;
    let blobs = parution::attachments::queries::referenced(connection).map_err(|error| error.to_string())?;
    let written = actix_web::rt::System::new().block_on(async {
        let mut written = 0;
        for sha256 in &blobs {
            written += storage.save_to(sha256, folder).await.map_err(|error| error.to_string())?;
        }
        Ok::<_, String>(written)
    })?;
    log::info!("{} file(s) are in {} ({written} bytes copied)", blobs.len(), folder.display());
    Ok(())
}

fn import(
    file: &std::path::Path,
    files: Option<&std::path::Path>,
    database: &parution::config::DatabaseSettings,
) -> Result<(), String> {
    use parution::exchange::Source;
    let source = if file.as_os_str() == "-" {
        Source::spooled(std::io::stdin().lock())?
    } else {
        std::fs::File::open(file).map_err(|error| format!("cannot open {}: {error}", file.display()))?;
        Source::File(file.to_owned())
    };
    let pool = startup::prepare(database, Demo::Never)?;
    // Every file the attachments need is in the storage before a row is
    // written.
    let blobs = parution::exchange::blobs_in(source.reader()?)?;
    if !blobs.is_empty() {
        let storage = database.storage.open(&database.database_url)?;
        let brought = actix_web::rt::System::new().block_on(async {
            let mut brought = 0;
            for sha256 in &blobs {
                brought += match files {
                    Some(folder) => storage.bring_from(sha256, folder).await.map_err(|error| error.to_string())?,
                    None if storage.exists(sha256).await.map_err(|error| error.to_string())? => 0,
                    None => {
                        return Err(format!(
                            "the file {sha256} is not in {}: give the folder written by export --files",
                            storage.location
                        ));
                    }
                };
            }
            Ok::<_, String>(brought)
        })?;
        log::info!("{} file(s) are in {} ({brought} bytes brought in)", blobs.len(), storage.location);
    }
    let connection = &mut pool.get().map_err(|error| error.to_string())?;
    // The bar shows on a terminal only; in a pipe or a log it stays silent.
    let bar = indicatif::ProgressBar::new(0);
    let report = parution::exchange::import(connection, &source, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let report = report?;
    eprintln!(
        "Imported {} categories ({} new, {} updated), {} publications ({} new, {} updated), {} links and {} attachments.",
        report.categories_created + report.categories_updated,
        report.categories_created,
        report.categories_updated,
        report.publications_created + report.publications_updated,
        report.publications_created,
        report.publications_updated,
        report.links,
        report.attachments
    );
    Ok(())
}

/// glibc gives each thread that allocates its own arena, up to eight per
/// core, and memory freed in one is not reused by another: under load, with
/// the workers and the database threads, that held 46 MiB of the peak RSS
/// (166 MiB against 120 MiB with two arenas, for the same throughput).
fn few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

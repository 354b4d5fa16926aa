//! `lcpf`: the one binary. Serves the product, loads the demo, migrates the database and
//! manages users and API tokens from the command line.
//!
//! Operator commands act as the system (they are run by whoever runs the server) and are
//! audited as `system`. Every error ends the command with a non-zero status and one line
//! on standard error.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use lcpf_app::auth::Password;
use lcpf_app::demo::{DEMO_LOGINS, DEMO_PASSWORD};
use lcpf_app::users::NewUserInput;
use lcpf_app::{Actor, App};

#[derive(Parser)]
#[command(
    name = "lcpf",
    version,
    about = "Runs the London Crime Prevention Fund end to end"
)]
struct Cli {
    /// Database: sqlite://PATH (embedded, the default) or postgres://USER@HOST/DB.
    #[arg(long, env = "LCPF_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Address to listen on.
    #[arg(
        long,
        env = "LCPF_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    listen: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the product (applies migrations and loads reference data first).
    Serve {
        /// Mark cookies Secure: set this when users reach LCPF over HTTPS.
        #[arg(long, env = "LCPF_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Behind a reverse proxy: the header whose last value is the client's address
        /// (e.g. X-Forwarded-For). Sign-in throttling counts attempts by that address.
        #[arg(long, env = "LCPF_CLIENT_ADDRESS_HEADER")]
        client_address_header: Option<String>,
    },
    /// Serve with demo data: one login per role. Uses lcpf-demo.db unless given a database.
    Demo,
    /// Apply database migrations and load reference data, then exit.
    Migrate,
    /// Write a consistent copy of the (SQLite) database while the server keeps serving.
    Backup {
        /// The backup file to write; it must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup back in place of the (SQLite) database, after checking it. Stop the
    /// server first; the replaced file is kept as <name>.before-restore.
    Restore {
        /// The backup file to restore.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Compute an allocation from files, with the same engine as the product (no database).
    Allocate(AllocateArgs),
}

#[derive(Args)]
struct AllocateArgs {
    /// The pot, in pounds (pence allowed), e.g. £18,000,000 or 18000000.
    #[arg(long, allow_hyphen_values = true)]
    pot: String,
    /// CSV of each area's previous allocation: header area,value (value in pounds).
    #[arg(long)]
    previous: Option<std::path::PathBuf>,
    /// NAME=FILE[:WEIGHT]: a CSV with header area,value; weights are percentages adding to 100.
    #[arg(long = "indicator", required = true)]
    indicators: Vec<String>,
    /// No area below this percentage of its previous allocation.
    #[arg(long, allow_hyphen_values = true)]
    floor: Option<String>,
    /// budget-neutral (scale back the others) or funded (the total grows).
    #[arg(long, default_value = "budget-neutral")]
    floor_mode: String,
    /// No area's change beyond ±this percentage of its previous allocation.
    #[arg(long, allow_hyphen_values = true)]
    ceiling: Option<String>,
    /// Percentage of the pot taken off first (co-commissioning).
    #[arg(long, allow_hyphen_values = true)]
    top_slice: Option<String>,
    /// Move only this percentage of the way from the previous allocation to the formula.
    #[arg(long, allow_hyphen_values = true)]
    uplift_phase: Option<String>,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    format: String,
}

fn allocate(args: &AllocateArgs) -> anyhow::Result<String> {
    use lcpf_app::allocation_files::{run, AllocateRequest, IndicatorSource, OutputFormat};
    use lcpf_domain::allocation::FloorMode;
    use lcpf_domain::{Money, Percentage};
    let pct = |flag: &str, v: &Option<String>| -> anyhow::Result<Option<Percentage>> {
        v.as_deref()
            .map(|t| Percentage::parse(t).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let request = AllocateRequest {
        pot: Money::parse(&args.pot).map_err(|e| anyhow::anyhow!("--pot: {e}"))?,
        previous: args.previous.clone(),
        indicators: args
            .indicators
            .iter()
            .map(|i| IndicatorSource::parse(i).map_err(|e| anyhow::anyhow!("--indicator: {e}")))
            .collect::<anyhow::Result<_>>()?,
        floor: pct("floor", &args.floor)?,
        floor_mode: FloorMode::parse(&args.floor_mode)
            .map_err(|e| anyhow::anyhow!("--floor-mode: {e}"))?,
        ceiling: pct("ceiling", &args.ceiling)?,
        top_slice: pct("top-slice", &args.top_slice)?,
        uplift_phase: pct("uplift-phase", &args.uplift_phase)?,
    };
    let format = OutputFormat::parse(&args.format).map_err(|e| anyhow::anyhow!("--format: {e}"))?;
    let outcome = run(&request).map_err(anyhow::Error::msg)?;
    Ok(outcome.render(format))
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password comes from LCPF_PASSWORD or standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// funder_admin, funder_officer, borough_officer, provider, assessor or viewer.
        #[arg(long)]
        role: String,
        /// The organisation's name, org-id or number.
        #[arg(long, default_value = "")]
        organisation: String,
    },
    /// List users.
    List,
    /// Disable a user and end their sessions.
    Disable(EmailArg),
    /// Set a new password (from LCPF_PASSWORD or standard input) and end their sessions.
    ResetPassword(EmailArg),
}

#[derive(Args)]
struct EmailArg {
    #[arg(long)]
    email: String,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it alone on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "API token")]
        label: String,
    },
    /// List live API tokens (id, owner, what it is for, created, last used), or one user's.
    List {
        #[arg(long)]
        email: Option<String>,
    },
    /// Revoke an API token by its id (from `lcpf token list`): it stops working at once.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

const DEFAULT_DATABASE: &str = "sqlite://lcpf.db";
const DEMO_DATABASE_FILE: &str = "lcpf-demo.db";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LCPF_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal; plain lines for a log file or a journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = format!("{e:#}").replace('\n', " ");
            eprintln!("lcpf: {line}");
            ExitCode::FAILURE
        }
    }
}

fn password_from_env_or_stdin() -> anyhow::Result<Password> {
    if let Ok(p) = std::env::var("LCPF_PASSWORD") {
        return Ok(Password::new(p));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']);
    if p.is_empty() {
        bail!("no password: set LCPF_PASSWORD or write it on standard input");
    }
    Ok(Password::new(p))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Allocate(args) = &cli.command {
        print!("{}", allocate(args)?);
        return Ok(());
    }
    let database_url = cli.database_url.clone();
    let url = || {
        database_url
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_string())
    };
    match cli.command {
        Command::Serve {
            secure_cookies,
            client_address_header,
        } => {
            let app = App::open(&url()).await?;
            let header = client_address_header
                .map(|h| {
                    lcpf_web::HeaderName::from_bytes(h.trim().as_bytes()).map_err(|_| {
                        anyhow::anyhow!("--client-address-header: “{h}” is not a header name")
                    })
                })
                .transpose()?;
            serve(app, &cli.listen, secure_cookies, header, None).await
        }
        Command::Demo => {
            let url = match &database_url {
                Some(u) => u.clone(),
                None => {
                    // A fresh demo every time: the demo database holds nothing worth keeping.
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{DEMO_DATABASE_FILE}{suffix}"));
                    }
                    format!("sqlite://{DEMO_DATABASE_FILE}")
                }
            };
            let app = App::open(&url).await?;
            app.load_demo_data().await?;
            serve(app, &cli.listen, false, None, Some(())).await
        }
        Command::Migrate => {
            let app = App::open(&url()).await?;
            app.db().close().await;
            println!("database is up to date");
            Ok(())
        }
        Command::Backup { to } => {
            let db = lcpf_store::Db::connect(&url()).await?;
            lcpf_store::backup::backup(&db, &to).await?;
            db.close().await;
            let summary = lcpf_store::backup::check(&to).await?;
            println!(
                "backed up to {} (schema version {}, {} audit records)",
                to.display(),
                summary.schema_version,
                summary.audit_records
            );
            Ok(())
        }
        Command::Restore { from } => {
            let database = lcpf_store::backup::sqlite_path(&url())?;
            let summary = lcpf_store::backup::restore(&from, &database).await?;
            println!(
                "restored {} to {} (schema version {}, {} audit records); start the server to apply any newer migrations",
                from.display(),
                database.display(),
                summary.schema_version,
                summary.audit_records
            );
            Ok(())
        }
        Command::User(cmd) => {
            let app = App::open(&url()).await?;
            let system = Actor::System;
            match cmd {
                UserCommand::Add {
                    email,
                    name,
                    role,
                    organisation,
                } => {
                    let password = password_from_env_or_stdin()?;
                    let user = app
                        .add_user(
                            &system,
                            &NewUserInput {
                                email,
                                name,
                                role,
                                organisation,
                                password: Some(password),
                            },
                        )
                        .await?;
                    println!("added {} ({}) as user {}", user.email, user.role, user.id);
                }
                UserCommand::List => {
                    for u in app.list_users(&system).await? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            u.id,
                            u.email,
                            u.role,
                            u.organisation_name.unwrap_or_default(),
                            if u.disabled { "disabled" } else { "active" }
                        );
                    }
                }
                UserCommand::Disable(EmailArg { email }) => {
                    let user = app.find_user(&system, &email).await?;
                    app.set_user_disabled(&system, user.id, true).await?;
                    println!("disabled {}", user.email);
                }
                UserCommand::ResetPassword(EmailArg { email }) => {
                    let user = app.find_user(&system, &email).await?;
                    let password = password_from_env_or_stdin()?;
                    app.reset_password(&system, user.id, &password).await?;
                    println!("password reset for {}", user.email);
                }
            }
            app.db().close().await;
            Ok(())
        }
        Command::Allocate(_) => Ok(()),
        Command::Token(TokenCommand::Create { email, label }) => {
            let app = App::open(&url()).await?;
            let token = app.create_token(&Actor::System, &email, &label).await?;
            app.db().close().await;
            println!("{token}");
            Ok(())
        }
        Command::Token(TokenCommand::List { email }) => {
            let app = App::open(&url()).await?;
            let tokens = app.live_tokens(&Actor::System).await?;
            app.db().close().await;
            println!("id\temail\tlabel\tcreated\tlast used");
            for t in tokens.iter().filter(|t| {
                email
                    .as_deref()
                    .is_none_or(|e| t.email.eq_ignore_ascii_case(e))
            }) {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.email,
                    t.label,
                    lcpf_domain::calendar::london_date_time_text(&t.created_at),
                    t.last_used_at
                        .as_deref()
                        .map(lcpf_domain::calendar::london_date_time_text)
                        .unwrap_or_else(|| "never".into())
                );
            }
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let app = App::open(&url()).await?;
            let token = app.revoke_token(&Actor::System, id).await?;
            app.db().close().await;
            println!(
                "revoked API token {} (“{}”) of {}",
                token.id, token.label, token.email
            );
            Ok(())
        }
    }
}

async fn serve(
    app: App,
    listen: &str,
    secure_cookies: bool,
    client_address_header: Option<lcpf_web::HeaderName>,
    demo: Option<()>,
) -> anyhow::Result<()> {
    let files = app.file_store().describe();
    let server = lcpf_web::Server::bind(app, listen, secure_cookies)
        .await?
        .client_address_header(client_address_header);
    let addr = server.local_addr()?;
    println!("LCPF is running at http://{addr}/");
    println!("Attached files are kept in {files}.");
    if demo.is_some() {
        println!("Demo logins (password for all: {DEMO_PASSWORD}):");
        for login in DEMO_LOGINS {
            let org = if login.organisation.is_empty() {
                String::new()
            } else {
                format!(" – {}", login.organisation)
            };
            println!("  {:<16} {}{}", login.role, login.email, org);
        }
        println!(
            "Try: Barking and Dagenham's 2017/18 draft proposal (Proposals, as its borough officer): submit it, then return or approve it as the funder officer."
        );
        println!(
            "Or: Advance Charity's grant (Grants): a year of claims, one returned, and a payment waiting for a second authoriser (Payments, as the finance officer)."
        );
        println!(
            "Or: Barnardo's Taith grant, paid on milestones: report the next one met as taith@barnardos.example, then confirm it as the grants officer; St Giles Trust's is paid quarterly in advance."
        );
    }
    println!("Press Ctrl+C to stop.");
    server.run().await
}

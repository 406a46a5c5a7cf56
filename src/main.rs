//! `examreg`: the whole system on one machine. `cargo run` serves every
//! function's routes behind one HTTP server, on embedded adapters (SQLite, a
//! folder, an outbox) and a simulated clock, with the sweeps on a timer.
//! `cargo run -- admin '<json>'` runs an exams-office event;
//! `cargo run -- staff add <email> --role R` makes a back-office account.

mod local;
mod staff;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use examreg_common::config::{self, AwsSettings, Settings};

/// mimalloc rather than glibc's malloc: the runner serves many requests at
/// once, and each password hash allocates 19 MiB on one of tokio's blocking
/// threads; glibc kept those in per-thread arenas (the runner stayed at
/// ~575 MiB after 512 hashes, see BENCHMARKS.md), mimalloc gives them back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "examreg",
    version,
    about = "Inscriptions aux examens professionnels : le système complet en local"
)]
struct Cli {
    /// Where the database, the documents, the outbox and the clock live.
    #[arg(
        long,
        global = true,
        env = "EXAMREG_DATA_DIR",
        default_value = "./.examreg"
    )]
    data_dir: PathBuf,
    /// The session whose calendar is in force.
    #[arg(long, global = true, env = config::SESSION, default_value = config::DEFAULT_SESSION,
          value_parser = session_arg)]
    session: String,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args, Debug, Clone)]
struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "EXAMREG_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Start the simulated clock at this instant (RFC 3339).
    #[arg(long, env = "EXAMREG_NOW")]
    now: Option<DateTime<Utc>>,
    /// The base URL put in email links (default: http://<addr>).
    #[arg(long, env = config::PUBLIC_URL, value_parser = public_url_arg)]
    public_url: Option<String>,
    /// `embedded` (SQLite, a folder, an outbox) or `aws` (DynamoDB, S3, SES
    /// from the environment: EXAMREG_TABLE, EXAMREG_BUCKET, EXAMREG_SENDER and
    /// the SDK's variables, AWS_ENDPOINT_URL for an emulator).
    #[arg(long, env = "EXAMREG_BACKEND", value_enum, default_value_t = Backend::Embedded)]
    backend: Backend,
    /// Seconds between two sweeps (they also run after every clock move).
    #[arg(long, env = "EXAMREG_SWEEP_EVERY", default_value_t = 30)]
    sweep_every: u64,
    /// Serve /_local/outbox, /_local/clock and /_local/checks even on an
    /// --addr that is not a loopback address. They show every email (its
    /// links' tokens included) and move the clock: keep them off any network
    /// others reach.
    #[arg(long, env = "EXAMREG_ALLOW_REMOTE_LOCAL_ROUTES",
          value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    allow_remote_local_routes: bool,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Embedded,
    Aws,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API, the portal and the local routes (the default).
    Serve(ServeArgs),
    /// Run one admin event, e.g. '{"action": "list"}', and print the answer.
    Admin {
        /// The base URL put in email links and the export's location
        /// (default: the address the runner last served this data at).
        #[arg(long, env = config::PUBLIC_URL, value_parser = public_url_arg)]
        public_url: Option<String>,
        /// The event, as JSON.
        event: String,
    },
    /// The back office's local staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

#[derive(Subcommand, Debug)]
enum StaffCommand {
    /// Create a staff account (or replace the role and password of an
    /// existing one). The password is read from EXAMREG_STAFF_PASSWORD, or
    /// generated and printed once; nothing is asked interactively.
    Add {
        /// The staff member's email address (their user name).
        email: String,
        /// lecteur, gestionnaire or responsable (read here rather than by
        /// clap, whose refusal takes several lines).
        #[arg(long)]
        role: String,
    },
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("examreg: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(&cli.data_dir, &cli.session, cli.serve).await,
        Some(Command::Serve(args)) => serve(&cli.data_dir, &cli.session, args).await,
        Some(Command::Admin { public_url, event }) => {
            let settings = settings(&cli.session, public_url.as_deref())?;
            let answer = local::admin(&cli.data_dir, settings, &event).await?;
            print_answer(&answer)
        }
        Some(Command::Staff {
            command: StaffCommand::Add { email, role },
        }) => {
            let role = staff::role_arg(&role).map_err(anyhow::Error::msg)?;
            let settings = settings(&cli.session, None)?;
            local::staff_add(&cli.data_dir, settings, &email, role).await
        }
    }
}

async fn serve(data_dir: &std::path::Path, session: &str, args: ServeArgs) -> anyhow::Result<()> {
    let settings = settings(session, args.public_url.as_deref())?;
    // The AWS adapters' variables are read only when they are used.
    let aws = match args.backend {
        Backend::Embedded => None,
        Backend::Aws => Some(AwsSettings::from_env()?),
    };
    local::serve(data_dir, settings, aws, args).await
}

/// The application's settings, as the Lambdas read them, except that
/// `--session` and `--public-url` (which clap read from `EXAMREG_SESSION`
/// and `EXAMREG_PUBLIC_URL` when they are not given) stand for those two.
fn settings(session: &str, public_url: Option<&str>) -> anyhow::Result<Settings> {
    Ok(Settings::from_lookup(|name| match name {
        config::SESSION => Some(session.to_owned()),
        config::PUBLIC_URL => public_url.map(str::to_owned),
        _ => config::env_lookup(name),
    })?)
}

/// `--session`, checked as `EXAMREG_SESSION` is.
fn session_arg(value: &str) -> Result<String, String> {
    config::parse_session(value).map_err(|expected| format!("expected {expected}"))
}

/// `--public-url`, checked as `EXAMREG_PUBLIC_URL` is.
fn public_url_arg(value: &str) -> Result<String, String> {
    config::parse_public_url(value).map_err(|expected| format!("expected {expected}"))
}

/// Prints an admin answer. A reader that stops early (`| head`) is not an
/// error of the event, which has already run: a closed pipe ends quietly.
fn print_answer(answer: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(answer).context("printing the answer")?;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("printing the answer")
        }
        _ => Ok(()),
    }
}

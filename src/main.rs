//! The `demarche` binary: parse arguments, set up logs, load config,
//! dispatch, print the fatal error. Each command's flags become its request
//! next to the command (`src/cmd/`), where they are tested; stopping on a
//! signal is `src/shutdown.rs`.

use std::io;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use demarche::cli::{
    Cli, Command, DictionariesAction, DictionariesImportArgs, ReplayArgs, SubscribeArgs, TopicsAction,
};
use demarche::config::{Config, LogFormat};
use demarche::{cmd, shutdown, telemetry};
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_flag = cli.log_format;
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            fatal(&e, log_flag);
            ExitCode::FAILURE
        }
    }
}

/// Reports the error that ends the run on one line, each cause once: a
/// readable line, or with JSON logs an ERROR event with the chain in `error`.
/// A configuration that failed to load never set up the logs: then
/// `--log-format` (or `DEMARCHE__LOG__FORMAT`) alone chooses.
fn fatal(e: &anyhow::Error, flag: Option<LogFormat>) {
    let format = telemetry::format().unwrap_or_else(|| {
        let env_json = std::env::var("DEMARCHE__LOG__FORMAT").is_ok_and(|v| v.trim() == "json");
        let f = flag.unwrap_or(if env_json { LogFormat::Json } else { LogFormat::Text });
        telemetry::init(f);
        f
    });
    let line = telemetry::error_chain(e.as_ref());
    // RUST_LOG=off must not make a failure silent.
    if format == LogFormat::Json && tracing::enabled!(tracing::Level::ERROR) {
        tracing::error!(error = %line, "demarche failed");
    } else {
        eprintln!("demarche: {}", telemetry::escape_controls(&line));
    }
}

/// A command's closing summary: a line on stderr, or with JSON logs an INFO
/// event (the fields are the caller's; the message is the same line).
macro_rules! summary {
    ($line:expr $(, $($field:tt)+)?) => {{
        let line: String = $line;
        if telemetry::format() == Some(LogFormat::Json) {
            tracing::info!($($($field)+,)? "{line}");
        } else {
            eprintln!("{line}");
        }
    }};
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Every ConfigError names its file or variable: no context to add.
    let mut cfg = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir.clone() {
        cfg.set_data_dir(dir);
    }
    if let Some(kafka) = cli.command.kafka_args() {
        kafka.apply(&mut cfg);
        // `-X message.max.bytes=...` takes part in the checks as the config file would.
        cfg.check()?;
    }
    telemetry::init(cli.log_format.unwrap_or(cfg.log.format));
    let done = match cli.command {
        Command::Extract(args) => {
            let started = Instant::now();
            let req = cmd::extract::Request::from_args(&args, io::IsTerminal::is_terminal(&io::stderr()));
            match cmd::extract::execute(&cfg, &req)? {
                cmd::extract::Ended::Done(s) => summary!(
                    cmd::extract::report(&s, started),
                    read = s.read,
                    extracted = s.extracted,
                    rejected = s.rejected,
                    statements = s.statements,
                    blank = s.blank,
                    bytes = s.bytes,
                    elapsed_ms = started.elapsed().as_millis() as u64
                ),
                cmd::extract::Ended::OutputClosed => {}
            }
            Ok(())
        }
        Command::Run(args) => Ok(shutdown::block_on(cmd::run::serve(cfg, &args))??),
        Command::Topics { action: TopicsAction::Create(_) } => {
            let created = runtime()?.block_on(cmd::topics::create(&cfg)).context("creating topics")?;
            cmd::topics::report(&created).iter().for_each(|line| println!("{line}"));
            Ok(())
        }
        Command::Quickstart(args) => {
            runtime()?.block_on(cmd::quickstart::execute(cfg, &args))?;
            Ok(())
        }
        Command::Replay(args) => runtime()?.block_on(replay(cfg, *args)),
        Command::Subscribe(args) => runtime()?.block_on(subscribe(cfg, *args)),
        Command::Dictionaries { action: DictionariesAction::Import(args) } => return import(&cfg, &args),
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// `dictionaries import`: the report on stderr, and a distinct status when lines were refused.
fn import(cfg: &Config, args: &DictionariesImportArgs) -> anyhow::Result<ExitCode> {
    let s = cmd::dictionaries::execute(cfg, args).context("importing dictionaries")?;
    for line in s.lines() {
        summary!(line);
    }
    summary!(s.line(), people = s.persons, organisations = s.orgs, refused = s.refused());
    Ok(if s.refused() == 0 { ExitCode::SUCCESS } else { ExitCode::from(cmd::dictionaries::EXIT_SOME_REFUSED) })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(shutdown::runtime()?)
}

/// Cancels `token` on SIGINT or SIGTERM.
fn on_signal(token: CancellationToken) {
    shutdown::on_signal(token)
}

async fn replay(cfg: Config, args: ReplayArgs) -> anyhow::Result<()> {
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let req = cmd::replay::Request::from_args(&args, &cfg, tty)?;
    let pipeline = std::sync::Arc::new(cmd::build_pipeline(&cfg).context("loading lexicons and gazetteers")?);
    let token = CancellationToken::new();
    on_signal(token.clone());
    let report = cmd::replay::run(&cfg, pipeline, req, token).await.context("replay")?;
    let path = args.checkpoint.display();
    let s = &report.summary;
    if report.already_done {
        summary!(format!("replay recorded in {path} is already complete: {}", s.line()), already_done = true);
        return Ok(());
    }
    let verb = if args.dry_run { "dry run (nothing extracted or written)" } else { "replay" };
    summary!(
        format!("{verb}: {} in {:.1} s ({:.0} records/s)", s.line(), report.elapsed.as_secs_f64(), report.rate()),
        read = s.read,
        processed = s.processed,
        statements = s.statements,
        alerts = s.alerts,
        dead_letters = s.dead_letters,
        skipped = s.skipped(),
        elapsed_ms = report.elapsed.as_millis() as u64,
        dry_run = args.dry_run,
        interrupted = report.interrupted
    );
    if report.interrupted {
        anyhow::bail!("interrupted; continue with: demarche replay --resume --checkpoint {path}");
    }
    Ok(())
}

async fn subscribe(cfg: Config, args: SubscribeArgs) -> anyhow::Result<()> {
    use demarche::cmd::subscribe::{Request, Terminal};
    let req = Request::from_args(&args, &cfg, Terminal::stdout())?;
    let token = CancellationToken::new();
    on_signal(token.clone());
    let mut out = io::stdout();
    let report = cmd::subscribe::run(&cfg, &req, &mut out, token).await.context("subscribe")?;
    tracing::info!(read = report.read, matched = report.matched, unreadable = report.unreadable, "subscription ended");
    Ok(())
}

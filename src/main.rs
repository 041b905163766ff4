//! The `demarche` binary: parse arguments, set up logs, load config, dispatch.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use demarche::cli::{Cli, Command, ExtractArgs, QuickstartArgs, ReplayArgs, RunArgs, SubscribeArgs, TopicsAction};
use demarche::config::{Config, LogFormat};
use demarche::{cmd, telemetry};
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_flag = cli.log_format;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
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

fn run(cli: Cli) -> anyhow::Result<()> {
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
    match cli.command {
        Command::Extract(args) => extract(&cfg, args),
        Command::Run(args) => {
            let rt = runtime()?;
            let result = rt.block_on(serve(cfg, args));
            // A signal may have interrupted a blocking Kafka call (a metadata request,
            // init_transactions) that still holds a thread: exit without waiting for it.
            rt.shutdown_timeout(std::time::Duration::from_millis(500));
            result
        }
        Command::Topics { action: TopicsAction::Create(_) } => runtime()?.block_on(create_topics(cfg)),
        Command::Quickstart(args) => runtime()?.block_on(quickstart(cfg, args)),
        Command::Replay(args) => runtime()?.block_on(replay(cfg, *args)),
        Command::Subscribe(args) => runtime()?.block_on(subscribe(cfg, *args)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Cancels `token` on SIGINT or SIGTERM.
fn on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: draining"),
            _ = term.recv() => tracing::info!("SIGTERM: draining"),
        }
        token.cancel();
    });
}

async fn serve(mut cfg: Config, args: RunArgs) -> anyhow::Result<()> {
    if let Some(g) = args.guarantee {
        cfg.kafka.guarantee = g;
    }
    let pipeline = std::sync::Arc::new(cmd::build_pipeline(&cfg).context("loading lexicons and gazetteers")?);
    let drain = std::time::Duration::from_millis(cfg.service.drain_timeout_ms);
    let token = CancellationToken::new();
    on_signal(token.clone());
    let running = cmd::run::start(cfg, pipeline, token.clone()).await?;
    let mut task = running.task;
    tokio::select! {
        r = &mut task => return r.context("service task")?.context("service stopped"),
        _ = token.cancelled() => {}
    }
    match tokio::time::timeout(drain, &mut task).await {
        Ok(r) => r.context("service task")?.context("service stopped while draining"),
        Err(_) => {
            anyhow::bail!("drain did not finish within {} ms; uncommitted work will be re-read", drain.as_millis())
        }
    }
}

async fn create_topics(cfg: Config) -> anyhow::Result<()> {
    for (topic, outcome) in cmd::topics::create(&cfg).await.context("creating topics")? {
        println!("{topic}: {outcome:?}");
    }
    Ok(())
}

async fn quickstart(cfg: Config, args: QuickstartArgs) -> anyhow::Result<()> {
    let pipeline = std::sync::Arc::new(cmd::build_pipeline(&cfg).context("loading lexicons and gazetteers")?);
    let token = CancellationToken::new();
    on_signal(token.clone());
    let color = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let input = match args.input {
        Some(p) => cmd::quickstart::Input::File(p),
        None => cmd::quickstart::Input::Sample,
    };
    // Statements on stdout, everything else on stderr.
    let (mut out, mut status) = (std::io::stdout(), std::io::stderr());
    cmd::quickstart::run(cfg, pipeline, &input, args.follow, token, &mut out, &mut status, color).await?;
    Ok(())
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

fn extract(cfg: &Config, args: ExtractArgs) -> anyhow::Result<()> {
    use demarche::cmd::extract::{ExtractError, Progress};
    let started = Instant::now();
    // Before anything is opened for writing: creating the output would truncate the input.
    cmd::extract::refuse_overwriting_input(&args.input, &args.output, args.rejects.as_deref())?;
    let pipeline = cmd::build_pipeline(cfg).context("loading lexicons and gazetteers")?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "resources loaded");
    let mut total_bytes = None;
    let mut input: Box<dyn io::BufRead> = if args.input == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(&args.input).with_context(|| format!("opening {}", args.input))?;
        total_bytes = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        Box::new(BufReader::with_capacity(1 << 20, file))
    };
    let mut output: Box<dyn Write> = if args.output == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(&args.output).with_context(|| format!("creating {}", args.output))?)
    };
    let mut rejects = match &args.rejects {
        Some(p) => Some(io::BufWriter::new(File::create(p).with_context(|| format!("creating {}", p.display()))?)),
        None => None,
    };
    let mut progress = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        Progress::on(Box::new(std::io::stderr()), total_bytes)
    } else {
        Progress::off()
    };
    let result = cmd::extract::run_with_progress(
        &pipeline,
        &mut input,
        &mut output,
        rejects.as_mut().map(|w| w as &mut dyn Write),
        cfg.extract.max_record_bytes,
        &mut progress,
    );
    progress.clear();
    match result {
        Ok(summary) => {
            summary!(
                cmd::extract::report(&summary, started),
                read = summary.read,
                extracted = summary.extracted,
                rejected = summary.rejected,
                statements = summary.statements,
                blank = summary.blank,
                bytes = summary.bytes,
                elapsed_ms = started.elapsed().as_millis() as u64
            );
            Ok(())
        }
        // The reader of stdout went away (`| head`): stop reading and end quietly with
        // status 0, as `head` asked for no more; no summary, since the run was cut short.
        Err(ExtractError::Output(e)) if args.output == "-" && e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

//! The `demarche` binary: parse arguments, set up logs, load config, dispatch.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use demarche::cli::{Cli, Command, ExtractArgs, QuickstartArgs, RunArgs, TopicsAction};
use demarche::config::Config;
use demarche::{cmd, telemetry};
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demarche: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = Config::load(cli.config.as_deref()).context("loading configuration")?;
    telemetry::init(cli.log_format.unwrap_or(cfg.log.format));
    match cli.command {
        Command::Extract(args) => extract(&cfg, args),
        Command::Run(args) => runtime()?.block_on(serve(cfg, args)),
        Command::Topics { action: TopicsAction::Create } => runtime()?.block_on(create_topics(cfg)),
        Command::Quickstart(args) => runtime()?.block_on(quickstart(cfg, args)),
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
    let mut out = std::io::stdout();
    cmd::quickstart::run(cfg, pipeline, &args.input, args.follow, token, &mut out, color).await?;
    Ok(())
}

fn extract(cfg: &Config, args: ExtractArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let pipeline = cmd::build_pipeline(cfg).context("loading lexicons and gazetteers")?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "resources loaded");
    let mut input: Box<dyn io::BufRead> = if args.input == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(BufReader::with_capacity(
            1 << 20,
            File::open(&args.input).with_context(|| format!("opening {}", args.input))?,
        ))
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
    let summary = cmd::extract::run(
        &pipeline,
        &mut input,
        &mut output,
        rejects.as_mut().map(|w| w as &mut dyn Write),
        cfg.extract.max_record_bytes,
    )?;
    eprintln!("{}", cmd::extract::report(&summary, started));
    Ok(())
}

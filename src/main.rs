//! The `demarche` binary: parse arguments, set up logs, load config, dispatch.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use demarche::cli::{
    Cli, ColorArg, Command, ExtractArgs, ProgressArg, QuickstartArgs, ReplayArgs, RunArgs, SubscribeArgs,
    SubscribeFormat, TopicsAction,
};
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
        Command::Run(args) => {
            let rt = runtime()?;
            let result = rt.block_on(serve(cfg, args));
            // A signal may have interrupted a blocking Kafka call (a metadata request,
            // init_transactions) that still holds a thread: exit without waiting for it.
            rt.shutdown_timeout(std::time::Duration::from_millis(500));
            result
        }
        Command::Topics { action: TopicsAction::Create } => runtime()?.block_on(create_topics(cfg)),
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
    let mut out = std::io::stdout();
    cmd::quickstart::run(cfg, pipeline, &args.input, args.follow, token, &mut out, color).await?;
    Ok(())
}

async fn replay(cfg: Config, args: ReplayArgs) -> anyhow::Result<()> {
    use demarche::cmd::replay::{ProgressMode, Request, Resume};
    use demarche::replay::checkpoint::Sink;
    use demarche::replay::window::PublishedWindow;
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = match args.progress {
        ProgressArg::Off => ProgressMode::Off,
        ProgressArg::Bar => ProgressMode::Bar,
        ProgressArg::Auto if tty => ProgressMode::Bar,
        ProgressArg::Auto | ProgressArg::Log => {
            ProgressMode::Log(std::time::Duration::from_secs(args.progress_interval.max(1)))
        }
    };
    let sink = match args.output {
        Some(statements) => Sink::Files { statements, alerts: args.alerts_output, rejects: args.rejects },
        None => Sink::Topics {
            statements: args.statements_topic.unwrap_or_else(|| cfg.kafka.statements_topic.clone()),
            alerts: args.alerts_topic.unwrap_or_else(|| cfg.kafka.alerts_topic.clone()),
            dead_letter: args.dead_letter_topic.unwrap_or_else(|| cfg.kafka.dead_letter_topic.clone()),
        },
    };
    let req = Request {
        input_topic: args.input_topic.unwrap_or_else(|| cfg.kafka.input_topics[0].clone()),
        from: args.from.parse().context("--from")?,
        to: args.to.parse().context("--to")?,
        partitions: args.partitions,
        published: PublishedWindow { from: args.published_from, to: args.published_to },
        sink,
        dry_run: args.dry_run,
        max_rate: args.max_rate.filter(|r| *r > 0.0),
        workers: args.workers.unwrap_or(cfg.service.workers),
        checkpoint: args.checkpoint.clone(),
        resume: match (args.resume, args.resume_if_unfinished) {
            (true, _) => Resume::Yes,
            (false, true) => Resume::IfUnfinished,
            (false, false) => Resume::No,
        },
        progress,
    };
    let pipeline = std::sync::Arc::new(cmd::build_pipeline(&cfg).context("loading lexicons and gazetteers")?);
    let token = CancellationToken::new();
    on_signal(token.clone());
    let report = cmd::replay::run(&cfg, pipeline, req, token).await.context("replay")?;
    let path = args.checkpoint.display();
    if report.already_done {
        eprintln!("replay recorded in {path} is already complete: {}", report.summary.line());
        return Ok(());
    }
    let verb = if args.dry_run { "dry run (nothing extracted or written)" } else { "replay" };
    eprintln!(
        "{verb}: {} in {:.1} s ({:.0} records/s)",
        report.summary.line(),
        report.elapsed.as_secs_f64(),
        report.rate()
    );
    if report.interrupted {
        anyhow::bail!("interrupted; continue with: demarche replay --resume --checkpoint {path}");
    }
    Ok(())
}

async fn subscribe(cfg: Config, args: SubscribeArgs) -> anyhow::Result<()> {
    use demarche::alerts::{Filter, FilterSpec};
    use demarche::cmd::subscribe::{Format, Request, Start};
    let filter = Filter::new(FilterSpec {
        actors: args.actors,
        actor_countries: args.countries,
        targets: args.targets,
        target_countries: args.target_countries,
        kinds: args.kinds,
        keywords: args.keywords,
        languages: args.languages,
        min_confidence: args.min_confidence,
    })
    .context("filter")?;
    let start = match (&args.since, args.from_beginning) {
        (Some(s), _) => {
            Start::Since(demarche::replay::position::parse_since(s, chrono::Utc::now()).context("--since")?)
        }
        (None, true) => Start::Beginning,
        (None, false) => Start::Latest,
    };
    let stdout_tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let format = match args.format {
        SubscribeFormat::Json => Format::Json,
        SubscribeFormat::Pretty => Format::Pretty {
            color: match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => stdout_tty && std::env::var_os("NO_COLOR").is_none(),
            },
        },
    };
    let topic = match (args.topic, args.alerts) {
        (Some(t), _) => t,
        (None, true) => cfg.kafka.alerts_topic.clone(),
        (None, false) => cfg.kafka.statements_topic.clone(),
    };
    let req = Request {
        topic,
        filter,
        start,
        follow: !args.no_follow,
        limit: args.limit,
        format,
        group: args.group,
        claim_width: 100,
    };
    let token = CancellationToken::new();
    on_signal(token.clone());
    let mut out = io::stdout();
    let report = cmd::subscribe::run(&cfg, &req, &mut out, token).await.context("subscribe")?;
    tracing::info!(read = report.read, matched = report.matched, unreadable = report.unreadable, "subscription ended");
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

//! The `demarche` binary: parse arguments, set up logs, load config, dispatch.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use demarche::cli::{Cli, Command, ExtractArgs};
use demarche::config::Config;
use demarche::{cmd, telemetry};

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
    }
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

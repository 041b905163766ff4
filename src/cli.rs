//! Command-line interface: raw flags here, validated settings in
//! [`crate::config::Config`], work in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "demarche",
    version,
    about = "Diplomatic statement events (actor, claim, target, date) from Arabic and English news"
)]
pub struct Cli {
    /// Configuration file (TOML); environment variables DEMARCHE__SECTION__KEY override it.
    #[arg(long, global = true, env = "DEMARCHE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format on stderr (overrides log.format).
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract statement events from article JSONL (offline, no Kafka).
    Extract(ExtractArgs),
    /// Run the consumer service: raw articles in, statements, alerts and dead letters out.
    Run(RunArgs),
    /// Manage the Kafka topics the service uses.
    Topics {
        #[command(subcommand)]
        action: TopicsAction,
    },
    /// The service path against an embedded in-process broker, fed with sample articles.
    Quickstart(QuickstartArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Delivery guarantee (overrides kafka.guarantee).
    #[arg(long, value_enum)]
    pub guarantee: Option<crate::config::Guarantee>,
}

#[derive(Debug, Subcommand)]
pub enum TopicsAction {
    /// Create the input, statements, alerts and dead-letter topics (existing ones are kept).
    Create,
}

#[derive(Debug, clap::Args)]
pub struct QuickstartArgs {
    /// Article JSONL to publish to the embedded broker.
    #[arg(long, default_value = "examples/articles.jsonl")]
    pub input: PathBuf,
    /// Keep running after the sample is processed (stop with Ctrl-C).
    #[arg(long)]
    pub follow: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// Article JSONL to read; `-` for stdin.
    #[arg(long, short, default_value = "-")]
    pub input: String,
    /// Where to write statement-event JSONL; `-` for stdout.
    #[arg(long, short, default_value = "-")]
    pub output: String,
    /// Where to write rejected lines (JSONL with line number and reason).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
}

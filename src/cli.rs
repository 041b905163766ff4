//! Command-line interface: raw flags here, validated settings in
//! [`crate::config::Config`], work in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "demarche",
    version = crate::resources_dir::LONG_VERSION,
    about = "Diplomatic statement events (actor, claim, target, date) from Arabic and English news"
)]
pub struct Cli {
    /// Configuration file (TOML); environment variables DEMARCHE__SECTION__KEY override it.
    #[arg(long, global = true, env = "DEMARCHE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (lexicon/, gazetteer/, roles.toml, alerts.toml) instead of the built-in data;
    /// wins over DEMARCHE__EXTRACT__DATA_DIR and extract.data_dir.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
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
    /// Re-process a bounded range of a raw-article topic (a backfill), or re-drive dead letters.
    Replay(Box<ReplayArgs>),
    /// Follow the statements or alerts topic, filtered, as readable lines or JSONL.
    Subscribe(Box<SubscribeArgs>),
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Topic to read (default: the first of kafka.input_topics). Point it at the
    /// dead-letter topic to re-drive dead letters after a fix.
    #[arg(long)]
    pub input_topic: Option<String>,
    /// Where to start: earliest, latest, an RFC 3339 time, or partition:offset pairs (0:120,1:98).
    #[arg(long, default_value = "earliest", conflicts_with = "resume")]
    pub from: String,
    /// Where to stop (exclusive): latest (the end when the replay starts), a time, or partition:offset pairs.
    #[arg(long, default_value = "latest", conflicts_with = "resume")]
    pub to: String,
    /// Only these partitions (comma-separated).
    #[arg(long, value_delimiter = ',', conflicts_with = "resume")]
    pub partitions: Option<Vec<i32>>,
    /// Only articles published on or after this day (YYYY-MM-DD), by their published_at.
    #[arg(long, conflicts_with = "resume")]
    pub published_from: Option<chrono::NaiveDate>,
    /// Only articles published on or before this day (YYYY-MM-DD), inclusive.
    #[arg(long, conflicts_with = "resume")]
    pub published_to: Option<chrono::NaiveDate>,
    /// Statements topic (default: kafka.statements_topic, the live one).
    #[arg(long, conflicts_with_all = ["resume", "output"])]
    pub statements_topic: Option<String>,
    /// Alerts topic (default: kafka.alerts_topic).
    #[arg(long, conflicts_with_all = ["resume", "output"])]
    pub alerts_topic: Option<String>,
    /// Dead-letter topic (default: kafka.dead_letter_topic).
    #[arg(long, conflicts_with_all = ["resume", "output"])]
    pub dead_letter_topic: Option<String>,
    /// Write statement events to this JSONL file instead of topics.
    #[arg(long, short, conflicts_with = "resume")]
    pub output: Option<PathBuf>,
    /// With --output: write alerts to this JSONL file.
    #[arg(long, requires = "output")]
    pub alerts_output: Option<PathBuf>,
    /// With --output: write dead letters (position, kind, reason) to this JSONL file.
    #[arg(long, requires = "output")]
    pub rejects: Option<PathBuf>,
    /// Resolve the range and count what would be processed; extract and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// At most this many records per second (leave the brokers to the live service).
    #[arg(long)]
    pub max_rate: Option<f64>,
    /// Extraction threads (default: service.workers; 0 is one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Checkpoint file: where the replay stands after each batch.
    #[arg(long, default_value = "replay-checkpoint.json")]
    pub checkpoint: PathBuf,
    /// Continue the replay recorded in --checkpoint (same range, filters and outputs).
    #[arg(long)]
    pub resume: bool,
    /// Continue the unfinished replay in --checkpoint if there is one (of the same topic
    /// and outputs), else start the one these flags describe: for restarted jobs.
    #[arg(long, conflicts_with = "resume")]
    pub resume_if_unfinished: bool,
    /// Progress display: a bar on a terminal, log lines otherwise.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressArg,
    /// Seconds between progress log lines when not on a terminal.
    #[arg(long, default_value_t = 10)]
    pub progress_interval: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressArg {
    Auto,
    Bar,
    Log,
    Off,
}

#[derive(Debug, clap::Args)]
pub struct SubscribeArgs {
    /// Follow the alerts topic instead of the statements topic.
    #[arg(long, conflicts_with = "topic")]
    pub alerts: bool,
    /// Topic to follow (default: kafka.statements_topic).
    #[arg(long)]
    pub topic: Option<String>,
    /// Actor id or name (repeatable): the id equals it, or the name contains it as words.
    #[arg(long = "actor")]
    pub actors: Vec<String>,
    /// Target id or name (repeatable); any target may match.
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Country of the actor, ISO 3166-1 alpha-3 (repeatable).
    #[arg(long = "country")]
    pub countries: Vec<String>,
    /// Country of a target, ISO 3166-1 alpha-3 (repeatable).
    #[arg(long = "target-country")]
    pub target_countries: Vec<String>,
    /// Claim kind (repeatable): say, announce, demand, warn, accuse, ...
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// Word or phrase in the claim (repeatable).
    #[arg(long = "keyword")]
    pub keywords: Vec<String>,
    /// Article language (repeatable): ar, en.
    #[arg(long = "lang")]
    pub languages: Vec<String>,
    /// Least extractor confidence, 0 to 1.
    #[arg(long)]
    pub min_confidence: Option<f32>,
    /// Start this far back (90s, 30m, 2h, 7d) or at an RFC 3339 time.
    #[arg(long, conflicts_with_all = ["from_beginning", "group"])]
    pub since: Option<String>,
    /// Start from the beginning of the topic.
    #[arg(long)]
    pub from_beginning: bool,
    /// Keep following new events (the default).
    #[arg(long, overrides_with = "no_follow")]
    pub follow: bool,
    /// Stop at the end of the topic as it was when the subscription started.
    #[arg(long)]
    pub no_follow: bool,
    /// Stop after this many matching events.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Output: pretty (one line per event, for a terminal) or json (JSONL, for pipes).
    #[arg(long, value_enum, default_value = "pretty")]
    pub format: SubscribeFormat,
    /// Colour in pretty output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// Consumer group: resume where this group left off and commit progress (default: no group, no commits).
    #[arg(long)]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SubscribeFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
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
    /// Article JSONL to publish to the embedded broker (default: the sample
    /// articles built into the binary, examples/articles.jsonl).
    #[arg(long)]
    pub input: Option<PathBuf>,
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

//! Command-line interface: raw flags here, validated settings in
//! [`crate::config::Config`], work in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, LogFormat};

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
    /// Data directory (lexicon/, gazetteer/, roles.toml) instead of the built-in data;
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
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Manage the Kafka topics the service uses.
    Topics {
        #[command(subcommand)]
        action: TopicsAction,
    },
    /// The service path against an embedded in-process broker, fed with sample articles.
    Quickstart(QuickstartArgs),
    /// Re-process a bounded range of a raw-article topic (a backfill), or re-drive dead letters.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(Box<ReplayArgs>),
    /// Follow the statements or alerts topic, filtered, as readable lines or JSONL.
    #[command(after_help = SUBSCRIBE_EXAMPLES)]
    Subscribe(Box<SubscribeArgs>),
    /// Convert third-party actor dictionaries into a gazetteer file.
    Dictionaries {
        #[command(subcommand)]
        action: DictionariesAction,
    },
}

impl Command {
    /// The broker flags of a Kafka command.
    pub fn kafka_args(&self) -> Option<&KafkaArgs> {
        match self {
            Command::Run(a) => Some(&a.kafka),
            Command::Topics { action: TopicsAction::Create(a) } => Some(&a.kafka),
            Command::Replay(a) => Some(&a.kafka),
            Command::Subscribe(a) => Some(&a.kafka),
            Command::Extract(_) | Command::Quickstart(_) | Command::Dictionaries { .. } => None,
        }
    }
}

const RUN_EXAMPLES: &str = "\
Examples:
  demarche run --config /etc/demarche/demarche.toml
  demarche run -b kafka-1:9092,kafka-2:9092 --guarantee at_least_once
  demarche run -b broker:9093 -X security.protocol=SSL -X ssl.ca.location=/etc/ssl/ca.pem";

const TOPICS_EXAMPLES: &str = "\
Examples:
  demarche topics create
  demarche topics create -b kafka-1:9092 -X security.protocol=SASL_SSL -X sasl.mechanism=PLAIN";

const REPLAY_EXAMPLES: &str = "\
Examples:
  demarche replay --from 2024-05-01T00:00:00Z --to 2024-05-02T00:00:00Z -o statements.jsonl
  demarche replay --from 7d --dry-run
  demarche replay --input-topic articles.dlq --from 0:120,1:98 -b kafka-1:9092
  demarche replay --resume --checkpoint replay-checkpoint.json";

const SUBSCRIBE_EXAMPLES: &str = "\
Examples:
  demarche subscribe --actor Lavrov --from 2h
  demarche subscribe --alerts --from beginning --no-follow --format json
  demarche subscribe --country RUS --kind warn -b kafka-1:9092 -X client.id=me
  demarche subscribe --plover ACCUSE --actor-cameo RUS --target-cameo USA
  demarche subscribe --cameo 11,12 --from 2h
  demarche subscribe --from 0:120,1:98 --limit 10";

/// The broker flags every Kafka command takes, as in kcat and the Kafka tools.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, comma-separated (overrides kafka.brokers; default 127.0.0.1:9092).
    #[arg(short = 'b', long = "brokers", value_name = "LIST")]
    pub brokers: Option<String>,
    /// A librdkafka property (repeatable), applied like [kafka.client] and winning over it.
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
}

impl KafkaArgs {
    /// Applies the flags over the loaded configuration.
    pub fn apply(&self, cfg: &mut Config) {
        if let Some(b) = &self.brokers {
            cfg.kafka.brokers.clone_from(b);
        }
        for (k, v) in &self.properties {
            cfg.kafka.client.insert(k.clone(), v.clone());
        }
    }
}

/// `-X key=value`: a property name without spaces, then its value (which may be empty).
fn parse_property(s: &str) -> Result<(String, String), String> {
    let (k, v) =
        s.split_once('=').ok_or_else(|| format!("`{s}` is not key=value (for example -X security.protocol=SSL)"))?;
    let k = k.trim();
    if k.is_empty() || k.contains(char::is_whitespace) {
        return Err(format!("`{s}`: the property name before `=` is empty or has spaces"));
    }
    Ok((k.to_string(), v.to_string()))
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Topic to read (default: the first of kafka.input_topics). Point it at the
    /// dead-letter topic to re-drive dead letters after a fix.
    #[arg(long)]
    pub input_topic: Option<String>,
    /// Where to start: earliest (beginning), latest (end), a duration ago (30m, 2h, 7d),
    /// an RFC 3339 time, or partition:offset pairs (0:120,1:98).
    #[arg(long, value_name = "POSITION", default_value = "earliest", conflicts_with = "resume")]
    pub from: String,
    /// Where to stop (exclusive): latest (the end when the replay starts), a duration ago,
    /// a time, or partition:offset pairs.
    #[arg(long, value_name = "POSITION", default_value = "latest", conflicts_with = "resume")]
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
    #[command(flatten)]
    pub kafka: KafkaArgs,
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
    /// CAMEO event code prefix, 1 to 4 digits (repeatable or comma-separated): 11 selects 110 to 116
    /// and 1121 to 1125, 112 selects 112 and 1121 to 1125.
    #[arg(long = "cameo", value_name = "CODE", value_delimiter = ',')]
    pub cameo: Vec<String>,
    /// PLOVER event type (repeatable or comma-separated): ACCUSE, THREATEN, REQUEST, ... (case ignored).
    #[arg(long = "plover", value_name = "TYPE", value_delimiter = ',')]
    pub plover: Vec<String>,
    /// CAMEO actor code prefix of the actor (repeatable or comma-separated): RUS, RUSGOV, IGOUNO.
    #[arg(long = "actor-cameo", value_name = "CODE", value_delimiter = ',')]
    pub actor_cameo: Vec<String>,
    /// CAMEO actor code prefix of a target (repeatable or comma-separated); any target may match.
    #[arg(long = "target-cameo", value_name = "CODE", value_delimiter = ',')]
    pub target_cameo: Vec<String>,
    /// Where to start: latest (only new events), earliest (beginning), a duration ago
    /// (90s, 30m, 2h, 7d), an RFC 3339 time, or partition:offset pairs (0:120,1:98; partitions
    /// not listed from their beginning). With --group, only earliest or latest: where a group
    /// without commits starts. `--since` is the same flag.
    #[arg(long, alias = "since", value_name = "POSITION", default_value = "latest")]
    pub from: String,
    /// Start from the beginning of the topic (same as --from earliest).
    #[arg(long, conflicts_with = "from")]
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
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Delivery guarantee (overrides kafka.guarantee).
    #[arg(long, value_enum)]
    pub guarantee: Option<crate::config::Guarantee>,
}

#[derive(Debug, Subcommand)]
pub enum TopicsAction {
    /// Create the input, statements, alerts and dead-letter topics (existing ones are kept).
    #[command(after_help = TOPICS_EXAMPLES)]
    Create(TopicsCreateArgs),
}

#[derive(Debug, clap::Args)]
pub struct TopicsCreateArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

#[derive(Debug, Subcommand)]
pub enum DictionariesAction {
    /// Convert TABARI/PETRARCH (Phoenix) actor dictionaries into one gazetteer TOML file.
    #[command(after_help = DICTIONARIES_IMPORT_HELP)]
    Import(DictionariesImportArgs),
}

const DICTIONARIES_IMPORT_HELP: &str = "\
Actors become [[person]] (any date-restricted code) or [[org]] entries, every CAMEO code kept
in `cameo` with its dates; six-digit years 00-30 are 20YY, 31-99 are 19YY (TABARI's rule).
The same name met twice, or met as another actor's synonym, is one entry (merged). Lines the
import cannot use are refused, each with its file, line and reason, on stderr.

Exit status: 0 when every line was imported; 3 when the file was written but some lines were
refused; 1 when nothing was written (a file could not be read or the output written).

Put the output under gazetteer/ of a data directory (a copy of data/) and use --data-dir.
Keep the source dictionaries' licence with the file (the Phoenix dictionaries are MIT).

Examples:
  demarche dictionaries import --format petrarch Phoenix.Countries.actors.txt -o mydata/gazetteer/phoenix.toml
  demarche dictionaries import --format petrarch a.actors.txt b.actors.txt > actors.toml";

/// The dictionary formats `dictionaries import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DictionaryFormat {
    /// TABARI / PETRARCH / Phoenix actor dictionaries (`NAME_`, `+SYNONYM_`, `[CODE YYMMDD-YYMMDD]`).
    Petrarch,
}

#[derive(Debug, clap::Args)]
pub struct DictionariesImportArgs {
    /// Format of the input files.
    #[arg(long, value_enum)]
    pub format: DictionaryFormat,
    /// Where to write the gazetteer TOML; `-` for stdout.
    #[arg(long, short, default_value = "-")]
    pub output: String,
    /// Dictionary files, read in order (an actor met again is merged into the first).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("demarche").chain(args.iter().copied()))
    }

    fn kafka(args: &[&str]) -> KafkaArgs {
        parse(args).unwrap().command.kafka_args().expect("a Kafka command").clone()
    }

    #[test]
    fn every_kafka_command_takes_brokers_and_properties() {
        let props = vec![("security.protocol".to_string(), "SSL".to_string()), ("client.id".into(), "a=b".into())];
        for cmd in [&["run"][..], &["topics", "create"], &["replay"], &["subscribe"]] {
            let mut args = cmd.to_vec();
            args.extend(["-b", "k1:9092,k2:9092", "-X", "security.protocol=SSL", "-X", "client.id=a=b"]);
            let k = kafka(&args);
            assert_eq!(k.brokers.as_deref(), Some("k1:9092,k2:9092"), "{cmd:?}");
            assert_eq!(k.properties, props, "{cmd:?}");
            let mut args = cmd.to_vec();
            args.extend(["--brokers", "k3:9092"]);
            assert_eq!(kafka(&args).brokers.as_deref(), Some("k3:9092"), "{cmd:?}");
        }
        assert!(parse(&["extract"]).unwrap().command.kafka_args().is_none());
        assert!(parse(&["extract", "-b", "x"]).is_err());
    }

    #[test]
    fn a_malformed_property_is_refused_with_a_clear_message() {
        for bad in ["security.protocol", "=SSL", " =x", "a b=c"] {
            let err = parse(&["run", "-X", bad]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
            let text = err.to_string();
            assert!(text.contains("-X") && text.contains(bad.trim_start()), "{text}");
        }
        // An empty value is a value (some properties are cleared that way).
        assert_eq!(kafka(&["run", "-X", "sasl.password="]).properties, vec![("sasl.password".into(), "".into())]);
    }

    #[test]
    fn brokers_and_properties_override_the_configuration() {
        let mut cfg = Config::load_with_env(
            None,
            vec![
                ("DEMARCHE__KAFKA__BROKERS".into(), "from-env:9092".into()),
                ("DEMARCHE__KAFKA__CLIENT__CLIENT_ID".into(), "from-env".into()),
                ("DEMARCHE__KAFKA__CLIENT__SOCKET_TIMEOUT_MS".into(), "5000".into()),
            ],
        )
        .unwrap();
        kafka(&["subscribe", "-b", "cli:9092", "-X", "client.id=cli", "-X", "acks=all"]).apply(&mut cfg);
        assert_eq!(cfg.kafka.brokers, "cli:9092");
        assert_eq!(cfg.kafka.client["client.id"], "cli");
        assert_eq!(cfg.kafka.client["acks"], "all");
        assert_eq!(cfg.kafka.client["socket.timeout.ms"], "5000");
        // Without flags the configuration stands.
        let before = cfg.kafka.brokers.clone();
        kafka(&["run"]).apply(&mut cfg);
        assert_eq!(cfg.kafka.brokers, before);
    }

    fn subscribe(args: &[&str]) -> SubscribeArgs {
        let mut all = vec!["subscribe"];
        all.extend(args);
        match parse(&all).unwrap().command {
            Command::Subscribe(a) => *a,
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn subscribe_and_replay_share_the_from_vocabulary_and_the_old_flags_still_work() {
        assert_eq!(subscribe(&[]).from, "latest");
        assert_eq!(subscribe(&["--from", "2h"]).from, "2h");
        assert_eq!(subscribe(&["--since", "2h"]).from, "2h");
        assert_eq!(subscribe(&["--from", "0:12,1:5"]).from, "0:12,1:5");
        let a = subscribe(&["--from-beginning"]);
        assert!(a.from_beginning);
        assert!(parse(&["subscribe", "--from-beginning", "--from", "2h"]).is_err());
        assert!(parse(&["subscribe", "--since", "2h", "--from", "1h"]).is_err());
        // Every value is one the shared parser reads, in replay and in subscribe alike.
        for v in ["earliest", "beginning", "latest", "end", "2h", "30m", "7d", "2024-05-01T00:00:00Z", "0:120,1:98"] {
            assert!(v.parse::<crate::replay::position::Position>().is_ok(), "{v}");
            assert_eq!(subscribe(&["--from", v]).from, v);
            let Command::Replay(r) = parse(&["replay", "--from", v]).unwrap().command else { panic!() };
            assert_eq!(r.from, v);
        }
        let Command::Replay(r) = parse(&["replay"]).unwrap().command else { panic!() };
        assert_eq!((r.from.as_str(), r.to.as_str()), ("earliest", "latest"));
    }

    #[test]
    fn help_shows_examples_and_defaults() {
        for cmd in [&["run"][..], &["topics", "create"], &["replay"], &["subscribe"]] {
            let mut args = cmd.to_vec();
            args.push("--help");
            let err = parse(&args).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
            let help = err.to_string();
            assert!(help.contains("Examples:") && help.contains("-b, --brokers <LIST>"), "{cmd:?}: {help}");
            assert!(help.contains("-X <KEY=VALUE>"), "{help}");
        }
        let Err(e) = parse(&["subscribe", "--help"]) else { panic!() };
        assert!(e.to_string().contains("[default: latest]"), "{e}");
    }
}

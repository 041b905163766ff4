//! Configuration: built-in defaults < TOML file (`--config`) < environment
//! (`DEMARCHE__SECTION__KEY=value`).
//!
//! Every layer is merged as TOML before one typed deserialisation with
//! `deny_unknown_fields`, so a misspelt key, in a file or in the
//! environment, is an error that names it instead of a silently ignored
//! setting. An environment value is taken verbatim where its key takes a
//! string (a password `12e3` stays `12e3`) and as a TOML value otherwise
//! (`42`, `true`, `["a", "b"]`).
//!
//! Errors never quote the file's text: a syntax error is reported by line and
//! column, since the line may hold a password.
//!
//! This file holds the typed sections, their defaults and the checks across
//! fields; `config/layers.rs` the loading of the layers and the resolution of
//! the paths they name (`extract.data_dir`, `service.alerts_file`).

use std::path::PathBuf;

use serde::Deserialize;

/// Environment variables with this prefix override the file.
pub const ENV_PREFIX: &str = "DEMARCHE__";

/// What a dead letter adds to the input's bytes: demarche's headers (the
/// reason is at most 1 KiB), the key and the input's headers. The
/// configuration refuses an `extract.max_record_bytes` that leaves less than
/// this below `message.max.bytes`, so a rejected record that was within the
/// limit travels whole; anything larger is cut (`service::records::fit_dead_letter`).
pub const DEAD_LETTER_HEADROOM: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A TOML syntax error: where and what, without the text there.
    #[error("config file {path}: line {line}, column {column}: {what}")]
    Parse { path: PathBuf, line: usize, column: usize, what: String },
    #[error("{origin}: {what}")]
    Invalid { origin: String, what: String },
    #[error("environment variable {name}: {why}")]
    Env { name: String, why: String },
    #[error("invalid configuration: {0}")]
    Check(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub extract: ExtractConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default)]
    pub kafka: KafkaConfig,
    #[serde(default)]
    pub service: ServiceConfig,
    /// The directory the config file was read from; relative paths resolve against it.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
    /// Where the data files come from, resolved from `extract.data_dir` and its
    /// layer; `--data-dir` replaces it ([`Config::set_data_dir`]).
    #[serde(skip)]
    pub data_source: DataSource,
    /// Where the alert rules come from, resolved from `service.alerts_file`
    /// and the layer that set it.
    #[serde(skip)]
    pub alerts_source: AlertsSource,
}

/// Where the lexicons, gazetteers and roles come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DataSource {
    /// The files of data/ built into the binary: works from any directory.
    #[default]
    BuiltIn,
    /// A directory, as resolved, and who asked for it (for the error when it is missing).
    Dir { path: PathBuf, origin: String },
}

/// Where the alert rules come from. They are the operator's policy, not
/// linguistic data: they live in config/ beside the service config, not in
/// the data directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AlertsSource {
    /// `service.alerts_file` unset: the rules built into the binary
    /// (config/alerts.toml at build time), unless the data directory in use
    /// holds an `alerts.toml`, as data directories copied from config/ did
    /// before the data moved to data/; then that file, so they keep working.
    #[default]
    Default,
    /// `service.alerts_file` as resolved (absolute, relative to the config
    /// file's directory, or to the working directory when set by the
    /// environment), and who named it.
    File { path: PathBuf, origin: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractConfig {
    /// Directory of lexicons, gazetteers and roles (`lexicon/`, `gazetteer/`,
    /// `roles.toml`) replacing the built-in ones; relative to the config file's
    /// directory, or to the working directory when set by the environment.
    /// Unset or empty: the built-in data.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Records larger than this are rejected before parsing.
    #[serde(default = "default_max_record_bytes")]
    pub max_record_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    #[serde(default)]
    pub format: LogFormat,
}

/// The delivery guarantee of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Guarantee {
    /// Transactional producer: outputs and input offsets commit together;
    /// readers with isolation.level=read_committed see each event once.
    #[default]
    ExactlyOnce,
    /// Idempotent producer; offsets are committed only after every output of a
    /// record is acknowledged. A crash may repeat outputs (same event ids).
    AtLeastOnce,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap servers, comma-separated.
    #[serde(default = "default_brokers")]
    pub brokers: String,
    /// Consumer group of the live service. Replays never join it.
    #[serde(default = "default_group")]
    pub group_id: String,
    /// Raw-article topics.
    #[serde(default = "default_input_topics")]
    pub input_topics: Vec<String>,
    #[serde(default = "default_statements_topic")]
    pub statements_topic: String,
    #[serde(default = "default_alerts_topic")]
    pub alerts_topic: String,
    #[serde(default = "default_dead_letter_topic")]
    pub dead_letter_topic: String,
    #[serde(default)]
    pub guarantee: Guarantee,
    /// Transactional id (exactly_once). Stable per instance across restarts, so
    /// a restarted instance fences its previous self; unique per instance.
    /// Default: "<group_id>-<hostname>".
    #[serde(default)]
    pub transactional_id: Option<String>,
    /// Partitions and replication factor used by `demarche topics create`.
    #[serde(default = "default_partitions")]
    pub partitions: i32,
    #[serde(default = "default_replication")]
    pub replication_factor: i32,
    /// Any librdkafka property, passed through unchanged to every client
    /// (security.protocol, sasl.*, ssl.*...). Values here win over demarche's.
    #[serde(default, deserialize_with = "scalars_as_strings")]
    pub client: std::collections::BTreeMap<String, String>,
}

/// librdkafka takes every property as a string; TOML (and the environment)
/// may give `false` or `5000`: accept any scalar and keep its text.
fn scalars_as_strings<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    let raw: std::collections::BTreeMap<String, toml::Value> = Deserialize::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k, s)),
            toml::Value::Integer(i) => Ok((k, i.to_string())),
            toml::Value::Float(f) => Ok((k, f.to_string())),
            toml::Value::Boolean(b) => Ok((k, b.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "kafka.client.{k}: expected a string, number or boolean, got {}",
                other.type_str()
            ))),
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Address of the HTTP listener for /metrics, /healthz and /readyz.
    #[serde(default = "default_http_addr")]
    pub http_addr: String,
    /// At most this many records are extracted and committed together.
    #[serde(default = "default_batch_max_records")]
    pub batch_max_records: usize,
    /// How long a batch waits to fill before it is processed.
    #[serde(default = "default_batch_linger_ms")]
    pub batch_linger_ms: u64,
    /// Extraction threads; 0 = one per core.
    #[serde(default)]
    pub workers: usize,
    /// On SIGTERM / SIGINT: time allowed to finish and commit in-flight work.
    #[serde(default = "default_drain_timeout_ms")]
    pub drain_timeout_ms: u64,
    /// Consumer max.poll.interval.ms: a consumer silent longer leaves the group.
    #[serde(default = "default_max_poll_interval_ms")]
    pub max_poll_interval_ms: u64,
    /// Producer transaction.timeout.ms (exactly_once).
    #[serde(default = "default_transaction_timeout_ms")]
    pub transaction_timeout_ms: u64,
    /// librdkafka statistics (consumer lag) every this many ms; 0 disables.
    #[serde(default = "default_statistics_interval_ms")]
    pub statistics_interval_ms: u64,
    /// Alert rules file: absolute, or relative to the config file's directory
    /// (to the working directory when set by the environment). Unset: the
    /// built-in rules ([`AlertsSource::Default`]); resolved in
    /// [`Config::alerts_source`].
    #[serde(default)]
    pub alerts_file: Option<PathBuf>,
    /// HTTP: a request header must arrive within this (also the keep-alive idle time).
    #[serde(default = "default_http_header_read_timeout_ms")]
    pub http_header_read_timeout_ms: u64,
    /// HTTP: a connection that moves no byte for this long is closed.
    #[serde(default = "default_http_idle_timeout_ms")]
    pub http_idle_timeout_ms: u64,
    /// HTTP: open connections at most; at the cap the quietest one is closed.
    #[serde(default = "default_http_max_connections")]
    pub http_max_connections: usize,
    /// Start-up checks (brokers reachable, topics present, transactions
    /// supported) give up after this long, with one line saying what is wrong.
    #[serde(default = "default_startup_timeout_ms")]
    pub startup_timeout_ms: u64,
    /// The consumer failing for longer than this without reading a record
    /// (no broker, say) turns /healthz to 503 and stops the service with an
    /// error, so a supervisor restarts it and alerts; 0 disables.
    #[serde(default = "default_consumer_error_timeout_ms")]
    pub consumer_error_timeout_ms: u64,
}

fn default_http_header_read_timeout_ms() -> u64 {
    5_000
}
fn default_http_idle_timeout_ms() -> u64 {
    30_000
}
fn default_http_max_connections() -> usize {
    256
}

fn default_brokers() -> String {
    "127.0.0.1:9092".into()
}
fn default_group() -> String {
    "demarche".into()
}
fn default_input_topics() -> Vec<String> {
    vec!["articles".into()]
}
fn default_statements_topic() -> String {
    "statements".into()
}
fn default_alerts_topic() -> String {
    "alerts".into()
}
fn default_dead_letter_topic() -> String {
    "articles.dlq".into()
}
fn default_partitions() -> i32 {
    6
}
fn default_replication() -> i32 {
    1
}
fn default_http_addr() -> String {
    "127.0.0.1:9464".into()
}
fn default_batch_max_records() -> usize {
    500
}
fn default_batch_linger_ms() -> u64 {
    50
}
fn default_drain_timeout_ms() -> u64 {
    20_000
}
fn default_max_poll_interval_ms() -> u64 {
    300_000
}
fn default_transaction_timeout_ms() -> u64 {
    60_000
}
fn default_statistics_interval_ms() -> u64 {
    5_000
}
fn default_startup_timeout_ms() -> u64 {
    10_000
}
fn default_consumer_error_timeout_ms() -> u64 {
    60_000
}
/// The name of the alert rules file a data directory may hold (the layout
/// before data/ and config/ were apart), and of the shipped config/alerts.toml.
pub const DEFAULT_ALERTS_FILE: &str = "alerts.toml";

/// librdkafka properties whose values are secrets: never printed.
pub fn is_secret_property(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k == "ssl.key.pem"
        || k == "ssl_key"
        || k == "sasl.oauthbearer.config"
}

/// Written out by hand so that `{:?}` of a configuration (in a test failure,
/// a panic, a debug log) never shows a secret of `kafka.client`.
impl std::fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let client: std::collections::BTreeMap<&str, &str> = self
            .client
            .iter()
            .map(|(k, v)| (k.as_str(), if is_secret_property(k) { "<redacted>" } else { v.as_str() }))
            .collect();
        f.debug_struct("KafkaConfig")
            .field("brokers", &self.brokers)
            .field("group_id", &self.group_id)
            .field("input_topics", &self.input_topics)
            .field("statements_topic", &self.statements_topic)
            .field("alerts_topic", &self.alerts_topic)
            .field("dead_letter_topic", &self.dead_letter_topic)
            .field("guarantee", &self.guarantee)
            .field("transactional_id", &self.transactional_id)
            .field("partitions", &self.partitions)
            .field("replication_factor", &self.replication_factor)
            .field("client", &client)
            .finish()
    }
}

impl Default for KafkaConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}

/// librdkafka's `message.max.bytes` when `[kafka.client]` does not set it.
pub const DEFAULT_MESSAGE_MAX_BYTES: usize = 1_000_000;

impl KafkaConfig {
    /// The producer's `message.max.bytes`: the `[kafka.client]` value, or
    /// librdkafka's default. No output record is larger.
    pub fn message_max_bytes(&self) -> usize {
        self.message_max_bytes_setting().unwrap_or(DEFAULT_MESSAGE_MAX_BYTES)
    }

    fn message_max_bytes_setting(&self) -> Result<usize, String> {
        match self.client.get("message.max.bytes") {
            None => Ok(DEFAULT_MESSAGE_MAX_BYTES),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1000..=1_000_000_000).contains(n))
                .ok_or_else(|| format!("kafka.client.\"message.max.bytes\" ({v:?}) must be a whole number of bytes from 1000 to 1000000000")),
        }
    }

    /// The transactional id of this instance.
    pub fn transactional_id(&self) -> String {
        self.transactional_id.clone().unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME")
                .ok()
                .filter(|h| !h.is_empty())
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()))
                .unwrap_or_else(|| "local".into());
            format!("{}-{}", self.group_id, host)
        })
    }
}

/// 960 KiB: with the dead-letter headroom below librdkafka's default
/// `message.max.bytes` (1,000,000), so a rejected record travels whole.
fn default_max_record_bytes() -> usize {
    960 * 1024
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig { data_dir: None, max_record_bytes: default_max_record_bytes() }
    }
}

impl Config {
    /// `--data-dir`: the directory given on the command line wins over every layer.
    pub fn set_data_dir(&mut self, dir: PathBuf) {
        self.data_source = DataSource::Dir { path: dir, origin: "--data-dir".into() };
    }

    /// Checks fields against each other; run again after command-line flags
    /// (`-b`, `-X`) changed a loaded configuration.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.extract.max_record_bytes < 64 {
            return Err(ConfigError::Check("extract.max_record_bytes must be at least 64".into()));
        }
        let s = &self.service;
        if s.batch_max_records == 0 {
            return Err(ConfigError::Check("service.batch_max_records must be at least 1".into()));
        }
        // A drain longer than the transaction timeout would have its transaction aborted
        // under it; one longer than max.poll.interval.ms would be evicted from the group.
        if s.drain_timeout_ms >= s.transaction_timeout_ms || s.drain_timeout_ms >= s.max_poll_interval_ms {
            return Err(ConfigError::Check(format!(
                "service.drain_timeout_ms ({}) must be shorter than transaction_timeout_ms ({}) and max_poll_interval_ms ({})",
                s.drain_timeout_ms, s.transaction_timeout_ms, s.max_poll_interval_ms
            )));
        }
        if s.http_header_read_timeout_ms == 0 || s.http_idle_timeout_ms == 0 || s.http_max_connections == 0 {
            return Err(ConfigError::Check(
                "service.http_header_read_timeout_ms, http_idle_timeout_ms and http_max_connections must be at least 1"
                    .into(),
            ));
        }
        if s.startup_timeout_ms == 0 {
            return Err(ConfigError::Check("service.startup_timeout_ms must be at least 1".into()));
        }
        if s.http_addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Check(format!("service.http_addr {:?} is not an address:port", s.http_addr)));
        }
        let k = &self.kafka;
        // A record within max_record_bytes that is rejected goes to the dead-letter topic
        // whole, with headers: the producer must be able to send it. (Larger dead letters
        // and oversize outputs are cut or dead-lettered per record, never retried.)
        let max_message = k.message_max_bytes_setting().map_err(ConfigError::Check)?;
        let headroom = DEAD_LETTER_HEADROOM;
        if self.extract.max_record_bytes.saturating_add(headroom) > max_message {
            return Err(ConfigError::Check(format!(
                "extract.max_record_bytes ({}) exceeds what the producer can send: it must be at most \
                 kafka.client.\"message.max.bytes\" ({max_message}{}) less {headroom} bytes for a dead letter's \
                 key and headers, that is {}; lower extract.max_record_bytes, or raise message.max.bytes \
                 (and the brokers' message.max.bytes and the topics' max.message.bytes with it)",
                self.extract.max_record_bytes,
                if k.client.contains_key("message.max.bytes") { "" } else { ", librdkafka's default" },
                max_message.saturating_sub(headroom),
            )));
        }
        if k.input_topics.is_empty() {
            return Err(ConfigError::Check("kafka.input_topics is empty".into()));
        }
        let outputs = [&k.statements_topic, &k.alerts_topic, &k.dead_letter_topic];
        if outputs.iter().any(|t| k.input_topics.contains(t)) {
            return Err(ConfigError::Check(
                "an output topic is also an input topic: the service would read its own output".into(),
            ));
        }
        if k.partitions < 1 || k.replication_factor < 1 {
            return Err(ConfigError::Check("kafka.partitions and kafka.replication_factor must be at least 1".into()));
        }
        Ok(())
    }
}

mod layers;

#[cfg(test)]
mod tests;

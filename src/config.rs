//! Configuration: built-in defaults < TOML file (`--config`) < environment
//! (`DEMARCHE__SECTION__KEY=value`).
//!
//! Every layer is merged as TOML before one typed deserialisation with
//! `deny_unknown_fields`, so a misspelt key, in a file or in the
//! environment, is an error that names it instead of a silently ignored
//! setting.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Table, Value};

/// Environment variables with this prefix override the file.
pub const ENV_PREFIX: &str = "DEMARCHE__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("{origin}: {source}")]
    Invalid { origin: String, source: toml::de::Error },
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractConfig {
    /// Directory of lexicons, gazetteers and roles (`lexicon/`, `gazetteer/`, `roles.toml`).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
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

#[derive(Debug, Clone, Deserialize)]
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
    /// Alert rules, relative to the data directory.
    #[serde(default = "default_alerts_file")]
    pub alerts_file: PathBuf,
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
fn default_alerts_file() -> PathBuf {
    PathBuf::from("alerts.toml")
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

impl KafkaConfig {
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

fn default_data_dir() -> PathBuf {
    PathBuf::from("config")
}

fn default_max_record_bytes() -> usize {
    4 * 1024 * 1024
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig { data_dir: default_data_dir(), max_record_bytes: default_max_record_bytes() }
    }
}

impl Config {
    /// Loads the layers: defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// As [`Config::load`], with the environment given explicitly (for tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = Table::new();
        let mut origin = "built-in defaults".to_string();
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(path).map_err(|e| ConfigError::Read { path: path.to_path_buf(), source: e })?;
            table = toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), source: e })?;
            origin = format!("config file {}", path.display());
        }
        let mut from_env = Vec::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let mut path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            // librdkafka properties are dotted, environment names cannot be:
            // DEMARCHE__KAFKA__CLIENT__SASL_USERNAME sets sasl.username.
            if path.len() == 3 && path[0] == "kafka" && path[1] == "client" {
                path[2] = path[2].replace('_', ".");
            }
            if path.len() < 2 || path.iter().any(|p| p.is_empty()) {
                return Err(ConfigError::Env { name, why: "expected DEMARCHE__SECTION__KEY".into() });
            }
            set_path(&mut table, &path, parse_env_value(&value))
                .map_err(|why| ConfigError::Env { name: name.clone(), why })?;
            from_env.push(name);
        }
        if !from_env.is_empty() {
            origin = format!("{origin} with environment overrides ({})", from_env.join(", "));
        }
        let mut cfg: Config = Value::Table(table).try_into().map_err(|e| ConfigError::Invalid { origin, source: e })?;
        cfg.base_dir = file.and_then(|p| p.parent()).map(Path::to_path_buf);
        cfg.check()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<(), ConfigError> {
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
        if s.startup_timeout_ms == 0 {
            return Err(ConfigError::Check("service.startup_timeout_ms must be at least 1".into()));
        }
        if s.http_addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Check(format!("service.http_addr {:?} is not an address:port", s.http_addr)));
        }
        let k = &self.kafka;
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

    /// The data directory: as given when absolute or present from the working
    /// directory, otherwise next to the config file.
    pub fn data_dir(&self) -> PathBuf {
        let d = &self.extract.data_dir;
        if d.is_absolute() || d.exists() {
            return d.clone();
        }
        match &self.base_dir {
            Some(base) => {
                let beside = base.join(d);
                if beside.exists() {
                    return beside;
                }
                // A config file inside the data directory itself (config/demarche.toml).
                if base.ends_with(d) {
                    return base.clone();
                }
                d.clone()
            }
            None => d.clone(),
        }
    }
}

/// Environment values are TOML scalars when they parse as one (`42`, `true`,
/// `["a","b"]`), strings otherwise.
fn parse_env_value(v: &str) -> Value {
    let doc = format!("v = {v}");
    match toml::from_str::<Table>(&doc) {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| Value::String(v.to_string())),
        Err(_) => Value::String(v.to_string()),
    }
}

fn set_path(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut cur = table;
    for p in parents {
        let entry = cur.entry(p.clone()).or_insert_with(|| Value::Table(Table::new()));
        cur = match entry {
            Value::Table(t) => t,
            _ => return Err(format!("`{p}` is not a section")),
        };
    }
    cur.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("d.toml");
        std::fs::write(&f, "[extract]\nmax_record_bytes = 1000\n[log]\nformat = \"json\"\n").unwrap();
        let c = Config::load_with_env(Some(&f), env(&[])).unwrap();
        assert_eq!(c.extract.max_record_bytes, 1000);
        assert_eq!(c.log.format, LogFormat::Json);
        let c = Config::load_with_env(Some(&f), env(&[("DEMARCHE__EXTRACT__MAX_RECORD_BYTES", "2000")])).unwrap();
        assert_eq!(c.extract.max_record_bytes, 2000);
        let c = Config::load_with_env(None, env(&[])).unwrap();
        assert_eq!(c.extract.max_record_bytes, 4 * 1024 * 1024);
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("d.toml");
        std::fs::write(&f, "[extract]\nmax_recrod_bytes = 1000\n").unwrap();
        let e = Config::load_with_env(Some(&f), env(&[])).unwrap_err().to_string();
        assert!(e.contains("max_recrod_bytes"), "{e}");
        let e = Config::load_with_env(None, env(&[("DEMARCHE__EXTRAKT__DATA_DIR", "x")])).unwrap_err().to_string();
        assert!(e.contains("extrakt"), "{e}");
        assert!(e.contains("DEMARCHE__EXTRAKT__DATA_DIR"), "{e}");
    }

    #[test]
    fn checks_values() {
        let e = Config::load_with_env(None, env(&[("DEMARCHE__EXTRACT__MAX_RECORD_BYTES", "3")])).unwrap_err();
        assert!(matches!(e, ConfigError::Check(_)));
    }
}

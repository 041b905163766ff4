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
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
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

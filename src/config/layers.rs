//! Loading the layers: the file, then the environment, merged as TOML and
//! deserialised once; the data directory and the alert rules file resolved
//! against the layer that named them.

use std::path::Path;

use toml::{Table, Value};

use super::{AlertsSource, Config, ConfigError, DataSource, ENV_PREFIX};

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
            table = toml::from_str(&text).map_err(|e| syntax_error(path, &text, &e))?;
            origin = format!("config file {}", path.display());
        }
        let mut from_env = Vec::new();
        let mut data_dir_var = None;
        let mut alerts_file_var = None;
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
            set_path(&mut table, &path, env_value(&path, &value))
                .map_err(|why| ConfigError::Env { name: name.clone(), why })?;
            if path == ["extract", "data_dir"] {
                data_dir_var = Some(name.clone());
            }
            if path == ["service", "alerts_file"] {
                alerts_file_var = Some(name.clone());
            }
            from_env.push(name);
        }
        if !from_env.is_empty() {
            origin = format!("{origin} with environment overrides ({})", from_env.join(", "));
        }
        let mut cfg: Config = Value::Table(table)
            .try_into()
            // From a table, not text: the message names the key and its section ("in `extract`").
            .map_err(|e: toml::de::Error| ConfigError::Invalid { origin, what: one_line(&e.to_string()) })?;
        cfg.base_dir = file.and_then(|p| p.parent()).map(Path::to_path_buf);
        cfg.data_source = match (&cfg.extract.data_dir, data_dir_var, file) {
            (None, _, _) => DataSource::BuiltIn,
            (Some(d), _, _) if d.as_os_str().is_empty() => DataSource::BuiltIn,
            // The environment belongs to the process: its paths are the working directory's.
            (Some(d), Some(var), _) => {
                DataSource::Dir { path: d.clone(), origin: format!("environment variable {var}") }
            }
            // A file's paths are the file's, wherever demarche is started from.
            (Some(d), None, Some(f)) => DataSource::Dir {
                path: cfg.base_dir.as_deref().unwrap_or(Path::new("")).join(d),
                origin: format!("extract.data_dir in config file {}", f.display()),
            },
            (Some(d), None, None) => DataSource::Dir { path: d.clone(), origin: "extract.data_dir".into() },
        };
        // Resolved as extract.data_dir is: the environment's paths are the working directory's,
        // a file's are the file's.
        cfg.alerts_source = match (&cfg.service.alerts_file, alerts_file_var, file) {
            (None, _, _) => AlertsSource::Default,
            (Some(a), _, _) if a.as_os_str().is_empty() => AlertsSource::Default,
            (Some(a), Some(var), _) => {
                AlertsSource::File { path: a.clone(), origin: format!("environment variable {var}") }
            }
            (Some(a), None, Some(f)) => AlertsSource::File {
                path: cfg.base_dir.as_deref().unwrap_or(Path::new("")).join(a),
                origin: format!("service.alerts_file in config file {}", f.display()),
            },
            (Some(a), None, None) => AlertsSource::File { path: a.clone(), origin: "service.alerts_file".into() },
        };
        cfg.check()?;
        Ok(cfg)
    }
}

/// An environment value typed by its key: verbatim where the key takes a
/// string (so `12e3` stays a password, `2024` a group id, `"x"` keeps its
/// quotes), else read as a TOML value (`42`, `true`, `["a", "b"]`). The key's
/// type is asked of the typed deserialisation itself, with this value alone.
fn env_value(path: &[String], raw: &str) -> Value {
    let as_string = Value::String(raw.to_string());
    let Ok(mut doc) = toml::from_str::<Table>(&format!("v = {raw}")) else {
        return as_string;
    };
    let typed = doc.remove("v").unwrap_or_else(|| as_string.clone());
    let mut alone = Table::new();
    if set_path(&mut alone, path, as_string.clone()).is_ok() && Value::Table(alone).try_into::<Config>().is_ok() {
        return as_string;
    }
    typed
}

/// A TOML syntax error by line and column of `text`, without quoting it.
fn syntax_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let mut at = e.span().map_or(0, |s| s.start).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    ConfigError::Parse { path: path.to_path_buf(), line, column, what: one_line(e.message()) }
}

/// Error messages are printed on one line.
fn one_line(s: &str) -> String {
    s.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
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

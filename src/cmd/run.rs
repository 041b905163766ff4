//! `demarche run`: the consumer service with its HTTP listener, until a
//! signal or a fatal error. Also used, against the embedded broker, by
//! `demarche quickstart`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::alerts::{AlertRules, AlertsError};
use crate::config::{Config, DataSource, DEFAULT_ALERTS_FILE};
use crate::pipeline::Pipeline;
use crate::resources_dir;
use crate::service::consumer::{Progress, Service, ServiceError};
use crate::service::health::Health;
use crate::service::http;
use crate::service::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read alert rules {path}")]
    ReadRules {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "service.alerts_file {0} is relative to the data directory, but the data are built in: \
         give an absolute path, or a data directory (--data-dir, extract.data_dir) that holds it"
    )]
    RulesWithoutDir(PathBuf),
    #[error(transparent)]
    Rules(#[from] AlertsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// The alert rules named by `service.alerts_file`: an absolute path, or one
/// relative to the data directory; the default name with the built-in data
/// is the built-in rules.
pub fn load_rules(cfg: &Config) -> Result<AlertRules, RunError> {
    let file = &cfg.service.alerts_file;
    let path = match &cfg.data_source {
        _ if file.is_absolute() => file.clone(),
        DataSource::Dir { path, .. } => path.join(file),
        DataSource::BuiltIn if file.as_os_str() == DEFAULT_ALERTS_FILE => {
            return Ok(AlertRules::from_toml("built-in alerts.toml", resources_dir::BUILTIN_ALERTS)?);
        }
        DataSource::BuiltIn => return Err(RunError::RulesWithoutDir(file.clone())),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| RunError::ReadRules { path: path.clone(), source: e })?;
    Ok(AlertRules::from_toml(&path.display().to_string(), &text)?)
}

/// A running service: where it listens and how far it got.
pub struct Running {
    pub http_addr: SocketAddr,
    pub progress: Arc<Progress>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub task: tokio::task::JoinHandle<Result<(), ServiceError>>,
}

/// Starts the HTTP listener and the service; returns once both are running.
pub async fn start(cfg: Config, pipeline: Arc<Pipeline>, shutdown: CancellationToken) -> Result<Running, RunError> {
    let rules = Arc::new(load_rules(&cfg)?);
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health::new());
    let progress = Arc::new(Progress::default());
    let addr: SocketAddr = cfg.service.http_addr.parse().expect("checked when the config loaded");
    let limits = http::HttpLimits::from_config(&cfg.service);
    let (http_addr, _http) = http::serve_with(addr, limits, metrics.clone(), health.clone(), shutdown.clone())
        .await
        .map_err(|e| RunError::Listen { addr: cfg.service.http_addr.clone(), source: e })?;
    tracing::info!(%http_addr, "metrics on http://{http_addr}/metrics");
    let service =
        Service { cfg, pipeline, rules, metrics: metrics.clone(), health: health.clone(), progress: progress.clone() };
    let token = shutdown.clone();
    let task = tokio::spawn(async move { service.run(token).await });
    Ok(Running { http_addr, progress, metrics, health, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(env: &[(&str, &str)]) -> Config {
        Config::load_with_env(None, env.iter().map(|(a, b)| (a.to_string(), b.to_string()))).unwrap()
    }

    #[test]
    fn alert_rules_are_built_in_or_the_data_directory_s() {
        let on_disk = AlertRules::from_toml("x", &std::fs::read_to_string("config/alerts.toml").unwrap()).unwrap();
        let built_in = load_rules(&cfg(&[])).unwrap();
        assert_eq!(built_in.name(), "built-in alerts.toml");
        assert_eq!(built_in.len(), on_disk.len());
        // A data directory brings its own alerts.toml.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("alerts.toml"),
            "[[rule]]\nname = \"one\"\nseverity = \"warning\"\nkinds = [\"warn\"]\n",
        )
        .unwrap();
        let mut c = cfg(&[]);
        c.set_data_dir(dir.path().to_path_buf());
        assert_eq!(load_rules(&c).unwrap().len(), 1);
        // An absolute file wins over both.
        let abs = dir.path().join("alerts.toml");
        let c = cfg(&[("DEMARCHE__SERVICE__ALERTS_FILE", abs.to_str().unwrap())]);
        assert_eq!(load_rules(&c).unwrap().len(), 1);
        // Another relative name has no directory to be relative to: said, not guessed.
        let e = load_rules(&cfg(&[("DEMARCHE__SERVICE__ALERTS_FILE", "desk.toml")])).unwrap_err().to_string();
        assert!(e.contains("desk.toml") && e.contains("built in"), "{e}");
    }
}

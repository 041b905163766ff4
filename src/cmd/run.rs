//! `demarche run`: the consumer service with its HTTP listener, until a
//! signal or a fatal error. Also used, against the embedded broker, by
//! `demarche quickstart`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::alerts::{AlertRules, AlertsError};
use crate::config::Config;
use crate::pipeline::Pipeline;
use crate::service::consumer::{Progress, Service, ServiceError};
use crate::service::health::Health;
use crate::service::http;
use crate::service::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read alert rules {path}: {source}")]
    ReadRules { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Rules(#[from] AlertsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// The alert rules named by `service.alerts_file`, relative to the data directory.
pub fn load_rules(cfg: &Config) -> Result<AlertRules, RunError> {
    let path = if cfg.service.alerts_file.is_absolute() {
        cfg.service.alerts_file.clone()
    } else {
        cfg.data_dir().join(&cfg.service.alerts_file)
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

//! `demarche run`: the consumer service with its HTTP listener, until a
//! signal or a fatal error. Also used, against the embedded broker, by
//! `demarche quickstart`.
//!
//! [`serve`] is the whole command: the flags applied ([`apply`]), the
//! pipeline built, the service started ([`start`]), and on SIGTERM or SIGINT
//! the drain within `service.drain_timeout_ms` ([`crate::shutdown::drain`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::alerts::{AlertRules, AlertsError};
use crate::cli::RunArgs;
use crate::config::{AlertsSource, Config, DataSource, DEFAULT_ALERTS_FILE};
use crate::pipeline::Pipeline;
use crate::resources_dir::{self, LoadError};
use crate::service::consumer::{Progress, Service, ServiceError};
use crate::service::health::Health;
use crate::service::http;
use crate::service::metrics::Metrics;
use crate::shutdown::{self, DrainError};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read alert rules {path}")]
    ReadRules {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Rules(#[from] AlertsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Why `demarche run` ended with an error: at start, or at the end of the
/// service (kept apart from [`RunError`], which replay shares, so that stays small).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("loading lexicons and gazetteers")]
    Data(#[source] LoadError),
    #[error(transparent)]
    Start(#[from] RunError),
    #[error(transparent)]
    Drain(#[from] DrainError<ServiceError>),
}

/// `run`'s flags over the loaded configuration: `--guarantee` replaces
/// `kafka.guarantee` (the broker flags were applied with every Kafka command's).
pub fn apply(cfg: &mut Config, args: &RunArgs) {
    if let Some(g) = args.guarantee {
        cfg.kafka.guarantee = g;
    }
}

/// `demarche run`: the service until it fails, or until a signal and the
/// drain after it, which must end within `service.drain_timeout_ms`.
pub async fn serve(mut cfg: Config, args: &RunArgs) -> Result<(), ServeError> {
    apply(&mut cfg, args);
    let pipeline = Arc::new(crate::cmd::build_pipeline(&cfg).map_err(ServeError::Data)?);
    let drain = std::time::Duration::from_millis(cfg.service.drain_timeout_ms);
    let token = CancellationToken::new();
    shutdown::on_signal(token.clone());
    let running = start(cfg, pipeline, token.clone()).await?;
    Ok(shutdown::drain(running.task, &token, drain).await?)
}

/// The alert rules of [`Config::alerts_source`]: the file `service.alerts_file`
/// names, or by default the built-in rules, unless the data directory in use
/// holds an `alerts.toml` (a data directory copied from config/ before the
/// data moved to data/), whose rules its users keep.
pub fn load_rules(cfg: &Config) -> Result<AlertRules, RunError> {
    let path = match (&cfg.alerts_source, &cfg.data_source) {
        (AlertsSource::File { path, .. }, _) => path.clone(),
        (AlertsSource::Default, DataSource::Dir { path, .. }) if path.join(DEFAULT_ALERTS_FILE).is_file() => {
            path.join(DEFAULT_ALERTS_FILE)
        }
        (AlertsSource::Default, _) => {
            return Ok(AlertRules::from_toml("built-in alerts.toml", resources_dir::BUILTIN_ALERTS)?);
        }
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
    use std::path::Path;

    fn cfg(env: &[(&str, &str)]) -> Config {
        Config::load_with_env(None, env.iter().map(|(a, b)| (a.to_string(), b.to_string()))).unwrap()
    }

    const ONE_RULE: &str = "[[rule]]\nname = \"one\"\nseverity = \"warning\"\nkinds = [\"warn\"]\n";

    #[test]
    fn the_guarantee_flag_replaces_the_configured_one() {
        use crate::config::Guarantee;
        let args = |g| RunArgs { kafka: Default::default(), guarantee: g };
        let mut c = cfg(&[("DEMARCHE__KAFKA__GUARANTEE", "at_least_once")]);
        apply(&mut c, &args(None));
        assert_eq!(c.kafka.guarantee, Guarantee::AtLeastOnce);
        apply(&mut c, &args(Some(Guarantee::ExactlyOnce)));
        assert_eq!(c.kafka.guarantee, Guarantee::ExactlyOnce);
    }

    #[test]
    fn alert_rules_are_built_in_a_named_file_or_a_legacy_data_directory_s() {
        let on_disk = AlertRules::from_toml("x", &std::fs::read_to_string("config/alerts.toml").unwrap()).unwrap();
        let built_in = load_rules(&cfg(&[])).unwrap();
        assert_eq!(built_in.name(), "built-in alerts.toml");
        assert_eq!(built_in.len(), on_disk.len());
        // A data directory without alerts.toml (the data/ layout) keeps the built-in rules.
        let mut c = cfg(&[]);
        c.set_data_dir("data".into());
        assert_eq!(load_rules(&c).unwrap().name(), "built-in alerts.toml");
        // A data directory copied from config/ before the split brings its own alerts.toml.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alerts.toml"), ONE_RULE).unwrap();
        let mut c = cfg(&[]);
        c.set_data_dir(dir.path().to_path_buf());
        assert_eq!(load_rules(&c).unwrap().len(), 1);
        // A named file wins over both.
        let abs = dir.path().join("alerts.toml");
        let c = cfg(&[("DEMARCHE__SERVICE__ALERTS_FILE", abs.to_str().unwrap())]);
        assert_eq!(load_rules(&c).unwrap().len(), 1);
        // A named file that is missing is an error naming it, never the built-in rules.
        let e = load_rules(&cfg(&[("DEMARCHE__SERVICE__ALERTS_FILE", "/nonexistent/desk.toml")])).unwrap_err();
        assert!(e.to_string().contains("desk.toml"), "{e}");
    }

    #[test]
    fn a_relative_alerts_file_in_a_config_file_is_the_file_s() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("desk.toml"), ONE_RULE).unwrap();
        let f = dir.path().join("demarche.toml");
        std::fs::write(&f, "[service]\nalerts_file = \"desk.toml\"\n").unwrap();
        let c = Config::load_with_env(Some(&f), Vec::new()).unwrap();
        match &c.alerts_source {
            AlertsSource::File { path, origin } => {
                assert_eq!(path, &dir.path().join("desk.toml"));
                assert!(origin.contains("service.alerts_file") && origin.contains("demarche.toml"), "{origin}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(load_rules(&c).unwrap().len(), 1);
        // The environment's relative path is the working directory's.
        let c = Config::load_with_env(Some(&f), vec![("DEMARCHE__SERVICE__ALERTS_FILE".into(), "x.toml".into())]);
        assert!(matches!(c.unwrap().alerts_source, AlertsSource::File { path, .. } if path == Path::new("x.toml")));
    }
}

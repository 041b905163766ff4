//! How every Kafka client of ours is configured and reports errors.
//!
//! A client starts from [`client_config`] (the brokers), adds the settings of
//! its job, and ends with [`apply_passthrough`]: the operator's
//! `[kafka.client]` table (or `-X key=value`) is applied last so it wins.
//! Every client but the service's consumer (which has a context of its own
//! for rebalances and statistics) uses [`LoggingContext`], whose errors go
//! through [`log_client_error`]: one line per distinct error per
//! [`ERROR_LOG_INTERVAL`], not librdkafka's twenty a second with no broker.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;

use crate::config::Config;

/// Settings every client of ours starts from: the brokers, then the
/// `[kafka.client]` passthrough applied by [`apply_passthrough`] last.
pub fn client_config(cfg: &Config) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &cfg.kafka.brokers);
    c
}

/// The user's `[kafka.client]` properties, applied after ours so they win.
pub fn apply_passthrough(c: &mut ClientConfig, cfg: &Config) {
    for (k, v) in &cfg.kafka.client {
        c.set(k, v);
    }
}

/// The context of our clients other than the service's consumer (producers,
/// and readers that ask for end-of-partition events: replay, subscribe, the
/// offset probe). Errors are logged rate-limited ([`log_client_error`]), not
/// as librdkafka's default context does, once per report (some twenty a second
/// per client with no broker). End of partition, which librdkafka also reports
/// through the error callback, is the expected end of a range: logged at debug.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoggingContext;

impl rdkafka::ClientContext for LoggingContext {
    fn error(&self, error: KafkaError, reason: &str) {
        match error {
            KafkaError::PartitionEOF(p) => tracing::debug!(partition = p, reason, "end of partition"),
            KafkaError::Global(rdkafka::types::RDKafkaErrorCode::PartitionEOF) => {
                tracing::debug!(reason, "end of partition")
            }
            e => log_client_error(&e, reason),
        }
    }
}

impl rdkafka::consumer::ConsumerContext for LoggingContext {}

/// How often one kind of client error is logged at most.
pub const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Logs a librdkafka client error, each distinct error at most once per
/// [`ERROR_LOG_INTERVAL`] across the process, with the count of repeats left
/// out since it was last logged. With no broker, librdkafka reports "all
/// brokers down" about twenty times a second per client; one line says as much.
pub fn log_client_error(error: &KafkaError, reason: &str) {
    static LOG: OnceLock<ErrorLog> = OnceLock::new();
    let log = LOG.get_or_init(|| ErrorLog::new(ERROR_LOG_INTERVAL));
    // The error (its code) is the key: the reason carries timings and counters that vary.
    if let Some(suppressed) = log.admit(&error.to_string(), Instant::now()) {
        tracing::error!(error = %error, reason, suppressed, "kafka client");
    }
}

/// A rate limit per error text: [`ErrorLog::admit`] says whether to log now.
#[derive(Debug)]
pub struct ErrorLog {
    every: Duration,
    /// Per error: when it was last logged, and repeats not logged since.
    seen: Mutex<HashMap<String, (Instant, u64)>>,
}

impl ErrorLog {
    pub fn new(every: Duration) -> ErrorLog {
        ErrorLog { every, seen: Mutex::new(HashMap::new()) }
    }

    /// `Some(repeats suppressed since the last line)` when `key` should be
    /// logged at `now`, `None` when it was logged less than `every` ago.
    pub fn admit(&self, key: &str, now: Instant) -> Option<u64> {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match seen.get_mut(key) {
            Some((last, suppressed)) if now.duration_since(*last) < self.every => {
                *suppressed += 1;
                None
            }
            Some((last, suppressed)) => {
                *last = now;
                Some(std::mem::take(suppressed))
            }
            None => {
                // Distinct errors are few (codes); the bound only guards against a flood of new texts.
                if seen.len() >= 1024 {
                    seen.clear();
                }
                seen.insert(key.to_string(), (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_logged_once_per_interval_with_the_repeats_counted() {
        let log = ErrorLog::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(log.admit("all brokers down", t0), Some(0), "the first is logged");
        for i in 1..=200 {
            assert_eq!(log.admit("all brokers down", t0 + Duration::from_millis(i * 40)), None);
        }
        assert_eq!(log.admit("transport failure", t0 + Duration::from_secs(1)), Some(0), "another error is its own");
        assert_eq!(log.admit("all brokers down", t0 + Duration::from_secs(10)), Some(200), "then once, with the count");
        assert_eq!(log.admit("all brokers down", t0 + Duration::from_secs(11)), None);
        assert_eq!(log.admit("all brokers down", t0 + Duration::from_secs(25)), Some(1));
    }
}

//! What the live service and the replay share once records are in hand:
//! client settings, detaching a consumed message, extracting a batch in
//! parallel (outputs in input order), and handing outputs to the producer.
//! Keeping it in one place is what makes a replay produce exactly what the
//! live path produced.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};

use super::records::{self, InputRecord, Outcome, OutputRecord, OutputTopics};
use crate::alerts::AlertRules;
use crate::config::Config;
use crate::pipeline::Pipeline;

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

/// The producer of outputs (service and replay), whose errors are rate-limited.
pub type OutputProducer = FutureProducer<LoggingContext>;

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

impl rdkafka::consumer::ConsumerContext for LoggingContext {}

/// The idempotent producer both `run` (at_least_once) and `replay` use.
pub fn idempotent_producer(cfg: &Config) -> ClientConfig {
    let mut c = client_config(cfg);
    c.set("enable.idempotence", "true").set("acks", "all").set("linger.ms", "5");
    c
}

/// A consumed message as plain data.
pub fn detach<M: Message>(m: &M) -> InputRecord {
    let headers = m
        .headers()
        .map(|h| h.iter().map(|x| (x.key.to_string(), x.value.map(<[u8]>::to_vec).unwrap_or_default())).collect())
        .unwrap_or_default();
    InputRecord {
        topic: m.topic().to_string(),
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(<[u8]>::to_vec),
        payload: m.payload().map(<[u8]>::to_vec),
        headers,
        timestamp_ms: m.timestamp().to_millis(),
    }
}

/// The extraction side of a batch: the pipeline, the alert rules, the
/// producer's record size limit and a thread pool of `workers` threads.
#[derive(Clone)]
pub struct Extraction {
    pub pipeline: Arc<Pipeline>,
    pub rules: Arc<AlertRules>,
    pub topics: OutputTopics,
    /// The producer's `message.max.bytes`: no output is larger
    /// ([`records::process`] dead-letters an article whose outputs would be).
    pub max_message_bytes: usize,
    pool: Arc<rayon::ThreadPool>,
}

impl Extraction {
    /// `workers` 0 means one per available core; `max_message_bytes` is the
    /// producer's (`Config::kafka.message_max_bytes()`).
    pub fn new(
        pipeline: Arc<Pipeline>,
        rules: Arc<AlertRules>,
        topics: OutputTopics,
        workers: usize,
        max_message_bytes: usize,
    ) -> Result<Self, rayon::ThreadPoolBuildError> {
        let workers = match workers {
            0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            n => n,
        };
        let pool =
            rayon::ThreadPoolBuilder::new().num_threads(workers).thread_name(|i| format!("extract-{i}")).build()?;
        Ok(Extraction { pipeline, rules, topics, max_message_bytes, pool: Arc::new(pool) })
    }

    /// Extracts a batch in parallel, off the async runtime; outcomes come
    /// back in input order, so each partition's order holds downstream.
    pub async fn process(&self, batch: Arc<Vec<InputRecord>>) -> Vec<Outcome> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            this.pool.install(|| {
                batch
                    .par_iter()
                    .map(|r| {
                        records::process(&this.pipeline, &this.rules, &this.topics, this.max_message_bytes, r, &now)
                    })
                    .collect()
            })
        })
        .await
        .expect("extraction task")
    }
}

/// Enqueues every output (send_result returns at once) so a batch costs one
/// round trip, not one per record; stops at the first record the producer
/// refuses (its queue full, say) and returns that error beside what was queued.
pub fn enqueue(producer: &OutputProducer, outputs: &[&OutputRecord]) -> (Vec<DeliveryFuture>, Option<KafkaError>) {
    let mut pending = Vec::with_capacity(outputs.len());
    for o in outputs {
        match producer.send_result(future_record(o)) {
            Ok(f) => pending.push(f),
            Err((e, _)) => return (pending, Some(e)),
        }
    }
    (pending, None)
}

/// Enqueues every output and waits for every acknowledgement; the first
/// error, if any, once all have settled.
pub async fn deliver(producer: &OutputProducer, outputs: &[&OutputRecord]) -> Result<(), KafkaError> {
    let (pending, mut error) = enqueue(producer, outputs);
    for f in pending {
        match f.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => {
                error.get_or_insert(e);
            }
            Err(_) => {
                error.get_or_insert(KafkaError::Canceled);
            }
        }
    }
    error.map_or(Ok(()), Err)
}

fn future_record(o: &OutputRecord) -> FutureRecord<'_, [u8], [u8]> {
    let mut headers = OwnedHeaders::new_with_capacity(o.headers.len());
    for (k, v) in &o.headers {
        headers = headers.insert(Header { key: k, value: Some(v.as_slice()) });
    }
    let mut r = FutureRecord::to(&o.topic).payload(o.payload.as_slice()).headers(headers);
    if let Some(k) = &o.key {
        r = r.key(k.as_slice());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::types::RDKafkaErrorCode;

    /// `records::wire_size` is librdkafka's own accounting: a record of exactly
    /// `message.max.bytes` is accepted, one byte more is refused, with a key
    /// and headers as well as a payload.
    #[test]
    fn wire_size_is_what_librdkafka_checks_against_message_max_bytes() {
        const MAX: usize = 20_000;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:9")
            .set("message.max.bytes", MAX.to_string())
            .set("message.timeout.ms", "1000")
            .create()
            .unwrap();
        let headers = vec![("content-type".to_string(), b"application/json".to_vec()), ("h".to_string(), vec![7; 300])];
        let rec = |payload_len: usize| OutputRecord {
            topic: "t".into(),
            key: Some(b"actor-key".to_vec()),
            payload: vec![b'x'; payload_len],
            headers: headers.clone(),
        };
        let fixed = rec(0).wire_size();
        let exact = rec(MAX - fixed);
        assert_eq!(exact.wire_size(), MAX);
        assert!(producer.send_result(future_record(&exact)).is_ok(), "a record of exactly the limit is accepted");
        let over = rec(MAX - fixed + 1);
        match producer.send_result(future_record(&over)) {
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge), _)) => {}
            other => panic!("one byte over is refused for its size, got {:?}", other.map(|_| ()).map_err(|e| e.0)),
        }
        rdkafka::producer::Producer::purge(&producer, rdkafka::producer::PurgeConfig::default().queue().inflight());
    }

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

//! Start-up checks shared by every Kafka command (`run`, `topics create`,
//! `replay`, `subscribe`): before any real work, and within
//! `service.startup_timeout_ms`, the brokers must answer a metadata request,
//! the topics the command reads must exist, and `exactly_once` needs a
//! broker that implements transactions. Each failure is one line that names
//! what to fix, instead of a client retrying (and logging) for a minute.
//!
//! librdkafka does not tell which APIs a broker supports, and it accepts
//! `init_transactions` from a broker that lacks EndTxn (tansu 0.6.0), only to
//! refuse the first `commit_transaction`. So the transaction check asks the
//! broker itself: a Kafka ApiVersions v0 request over a plain TCP connection
//! to a bootstrap broker. It is skipped for TLS or SASL listeners (the raw
//! request would not be understood), where the first commit still fails
//! loudly (see [`super::consumer`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::Config;
use crate::kafka::client::{apply_passthrough, client_config};

/// How to point demarche at other brokers, said with every broker error.
const SET_BROKERS: &str =
    "set them with -b/--brokers, `kafka.brokers` in the config file, or the DEMARCHE__KAFKA__BROKERS environment variable";

#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("no Kafka broker answered at {brokers} (kafka.brokers) within {seconds} s ({detail}); {SET_BROKERS}")]
    Unreachable { brokers: String, seconds: u64, detail: String },
    #[error("topic{} {} not found on the Kafka brokers at {brokers} (kafka.brokers): create {} with `demarche topics create`, or name an existing topic", plural(.topics), .topics.join(", "), if .topics.len() > 1 { "them" } else { "it" })]
    MissingTopics { topics: Vec<String>, brokers: String },
    #[error("the Kafka broker at {addr} does not support transactions (its ApiVersions answer lacks {}), so kafka.guarantee exactly_once cannot work there: run with --guarantee at_least_once (or kafka.guarantee = \"at_least_once\"), or use a broker with transactions", .missing.join(", "))]
    NoTransactions { addr: String, missing: Vec<&'static str> },
    #[error("kafka client for the start-up check: {0}")]
    Client(#[source] KafkaError),
}

fn plural(items: &[String]) -> &'static str {
    if items.len() > 1 {
        "s"
    } else {
        ""
    }
}

/// What a command needs from the cluster besides reachable brokers.
#[derive(Debug, Default, Clone, Copy)]
pub struct Needs<'a> {
    /// Topics that must exist (with partitions).
    pub topics: &'a [String],
    /// The broker must implement transactions (exactly_once).
    pub transactions: bool,
}

/// Runs the checks; every step is bounded by `service.startup_timeout_ms`.
/// The blocking metadata request runs off the async runtime, so a caller can
/// drop this future (on a signal) without waiting for it.
pub async fn check(cfg: &Config, needs: Needs<'_>) -> Result<(), PreflightError> {
    let budget = Duration::from_millis(cfg.service.startup_timeout_ms);
    let started = Instant::now();
    let c = cfg.clone();
    let found = tokio::task::spawn_blocking(move || topics(&c, budget))
        .await
        .map_err(|_| PreflightError::Client(KafkaError::Canceled))??;
    let missing: Vec<String> =
        needs.topics.iter().filter(|t| !found.get(*t).copied().unwrap_or(false)).cloned().collect();
    if !missing.is_empty() {
        return Err(PreflightError::MissingTopics { topics: missing, brokers: cfg.kafka.brokers.clone() });
    }
    if needs.transactions {
        let left = budget.saturating_sub(started.elapsed()).max(Duration::from_secs(1));
        check_transactions(cfg, left).await?;
    }
    Ok(())
}

/// Keeps librdkafka's logs and errors at debug while the check waits: the
/// one error line says it all.
#[derive(Default)]
struct QuietContext;

impl rdkafka::ClientContext for QuietContext {
    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        tracing::debug!(fac, "librdkafka: {log_message}");
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(error = %error, reason, "start-up check");
    }
}

impl rdkafka::consumer::ConsumerContext for QuietContext {}

/// Every topic of the cluster, usable (no error, some partitions) or not.
fn topics(cfg: &Config, timeout: Duration) -> Result<BTreeMap<String, bool>, PreflightError> {
    let mut c = client_config(cfg);
    apply_passthrough(&mut c, cfg);
    let consumer: BaseConsumer<QuietContext> = c.create_with_context(QuietContext).map_err(PreflightError::Client)?;
    // No topic named: the answer lists every topic, and creates none on brokers that auto-create.
    let md = consumer.fetch_metadata(None, timeout).map_err(|e| PreflightError::Unreachable {
        brokers: cfg.kafka.brokers.clone(),
        seconds: timeout.as_secs_f64().ceil() as u64,
        detail: why_unreachable(&cfg.kafka.brokers).unwrap_or_else(|| e.to_string()),
    })?;
    Ok(md.topics().iter().map(|t| (t.name().to_string(), t.error().is_none() && !t.partitions().is_empty())).collect())
}

/// What a plain TCP connection to each bootstrap broker says: refused, not
/// resolved, timed out, or connected (then the listener does not speak what
/// the client was configured for). librdkafka's own reasons wait in the
/// consumer's queue for a poll, so they are not at hand.
fn why_unreachable(brokers: &str) -> Option<String> {
    use std::net::{TcpStream, ToSocketAddrs};
    let reasons: Vec<String> = bootstrap_addrs(brokers)
        .into_iter()
        .map(|addr| match addr.to_socket_addrs().map(|mut a| a.next()) {
            Err(e) => format!("{addr}: cannot resolve ({e})"),
            Ok(None) => format!("{addr}: no address"),
            Ok(Some(sa)) => match TcpStream::connect_timeout(&sa, Duration::from_secs(2)) {
                Ok(_) => format!("{addr}: connects, but no Kafka metadata answer (check the listener and kafka.client security settings)"),
                Err(e) => format!("{addr}: {e}"),
            },
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// The APIs a transactional producer uses, by ApiVersions key.
const TRANSACTION_APIS: [(i16, &str); 5] = [
    (22, "InitProducerId"),
    (24, "AddPartitionsToTxn"),
    (25, "AddOffsetsToTxn"),
    (26, "EndTxn"),
    (28, "TxnOffsetCommit"),
];

/// The transaction APIs missing from a broker's ApiVersions answer.
pub fn missing_transaction_apis(apis: &BTreeMap<i16, (i16, i16)>) -> Vec<&'static str> {
    TRANSACTION_APIS.iter().filter(|(k, _)| !apis.contains_key(k)).map(|(_, name)| *name).collect()
}

async fn check_transactions(cfg: &Config, timeout: Duration) -> Result<(), PreflightError> {
    let protocol = cfg.kafka.client.get("security.protocol").map(|p| p.to_ascii_lowercase());
    if protocol.as_deref().is_some_and(|p| p != "plaintext") {
        tracing::debug!("transaction support not probed on a TLS/SASL listener; the first commit will tell");
        return Ok(());
    }
    for addr in bootstrap_addrs(&cfg.kafka.brokers) {
        match api_versions(&addr, timeout).await {
            Ok(apis) => {
                let missing = missing_transaction_apis(&apis);
                if missing.is_empty() {
                    return Ok(());
                }
                return Err(PreflightError::NoTransactions { addr, missing });
            }
            Err(e) => tracing::debug!(%addr, error = %e, "ApiVersions probe"),
        }
    }
    // The brokers answered librdkafka's metadata request, just not this probe (a proxy,
    // another listener): leave it to the first commit, which fails loudly.
    tracing::warn!(brokers = %cfg.kafka.brokers, "could not ask the brokers for their API versions; transaction support is not checked");
    Ok(())
}

/// `host:port` of each bootstrap server, without a `plaintext://` style prefix.
pub fn bootstrap_addrs(brokers: &str) -> Vec<String> {
    brokers
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| b.split_once("://").map_or(b, |(_, rest)| rest).to_string())
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("malformed ApiVersions answer: {0}")]
    Malformed(&'static str),
    #[error("ApiVersions error code {0}")]
    Broker(i16),
}

/// Asks `addr` for its ApiVersions (v0): api key -> (min, max) version.
pub async fn api_versions(addr: &str, timeout: Duration) -> Result<BTreeMap<i16, (i16, i16)>, ProbeError> {
    const CORRELATION: i32 = 0x4445_4d41;
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        s.write_all(&encode_api_versions_request(CORRELATION, "demarche-preflight")).await?;
        let len = s.read_i32().await?;
        // Some hundred APIs at six bytes each: anything near a megabyte is not this answer.
        if !(10..=1 << 20).contains(&len) {
            return Err(ProbeError::Malformed("frame size"));
        }
        let mut frame = vec![0; len as usize];
        s.read_exact(&mut frame).await?;
        Ok(frame)
    };
    let frame = tokio::time::timeout(timeout, exchange).await.map_err(|_| ProbeError::Timeout(timeout))??;
    let (correlation, apis) = decode_api_versions_response(&frame)?;
    if correlation != CORRELATION {
        return Err(ProbeError::Malformed("correlation id"));
    }
    apis
}

/// An ApiVersions v0 request, size-prefixed: api key 18, version 0,
/// correlation id, client id; the v0 body is empty.
pub fn encode_api_versions_request(correlation_id: i32, client_id: &str) -> Vec<u8> {
    let id = &client_id.as_bytes()[..client_id.len().min(i16::MAX as usize)];
    let mut body = Vec::with_capacity(10 + id.len());
    body.extend_from_slice(&18i16.to_be_bytes());
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&correlation_id.to_be_bytes());
    body.extend_from_slice(&(id.len() as i16).to_be_bytes());
    body.extend_from_slice(id);
    let mut out = (body.len() as i32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// An ApiVersions v0 response frame (after its size): the correlation id,
/// and the APIs or the broker's error code.
#[allow(clippy::type_complexity)]
pub fn decode_api_versions_response(
    frame: &[u8],
) -> Result<(i32, Result<BTreeMap<i16, (i16, i16)>, ProbeError>), ProbeError> {
    let mut r = Reader(frame);
    let correlation = r.i32()?;
    let error = r.i16()?;
    if error != 0 {
        return Ok((correlation, Err(ProbeError::Broker(error))));
    }
    let n = r.i32()?;
    if n < 0 || n as usize > frame.len() / 6 {
        return Err(ProbeError::Malformed("api count"));
    }
    let mut apis = BTreeMap::new();
    for _ in 0..n {
        let (key, min, max) = (r.i16()?, r.i16()?, r.i16()?);
        apis.insert(key, (min, max));
    }
    Ok((correlation, Ok(apis)))
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ProbeError> {
        if self.0.len() < N {
            return Err(ProbeError::Malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("length checked"))
    }

    fn i16(&mut self) -> Result<i16, ProbeError> {
        self.take::<2>().map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> Result<i32, ProbeError> {
        self.take::<4>().map(i32::from_be_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v0 response frame (without its size) listing `apis`.
    fn response(correlation: i32, error: i16, apis: &[(i16, i16, i16)]) -> Vec<u8> {
        let mut f = correlation.to_be_bytes().to_vec();
        f.extend_from_slice(&error.to_be_bytes());
        f.extend_from_slice(&(apis.len() as i32).to_be_bytes());
        for (k, lo, hi) in apis {
            for v in [k, lo, hi] {
                f.extend_from_slice(&v.to_be_bytes());
            }
        }
        f
    }

    fn all_but(skip: &[i16]) -> Vec<(i16, i16, i16)> {
        (0..=30).filter(|k| !skip.contains(k)).map(|k| (k, 0, 3)).collect()
    }

    #[test]
    fn the_request_is_a_size_prefixed_api_versions_v0_header() {
        let r = encode_api_versions_request(7, "dm");
        assert_eq!(r, [0, 0, 0, 12, 0, 18, 0, 0, 0, 0, 0, 7, 0, 2, b'd', b'm']);
    }

    #[test]
    fn a_response_decodes_to_its_api_ranges() {
        let (c, apis) = decode_api_versions_response(&response(7, 0, &[(0, 0, 9), (26, 0, 3)])).unwrap();
        assert_eq!(c, 7);
        let apis = apis.unwrap();
        assert_eq!(apis[&0], (0, 9));
        assert_eq!(apis[&26], (0, 3));
        assert_eq!(
            missing_transaction_apis(&apis),
            ["InitProducerId", "AddPartitionsToTxn", "AddOffsetsToTxn", "TxnOffsetCommit"]
        );
    }

    #[test]
    fn broker_errors_and_malformed_frames_are_told_apart() {
        let (_, apis) = decode_api_versions_response(&response(1, 35, &[])).unwrap();
        assert!(matches!(apis, Err(ProbeError::Broker(35))));
        let mut truncated = response(1, 0, &[(1, 0, 1), (2, 0, 1)]);
        truncated.truncate(truncated.len() - 3);
        assert!(matches!(decode_api_versions_response(&truncated), Err(ProbeError::Malformed(_))));
        let mut huge = response(1, 0, &[]);
        huge[6..10].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(decode_api_versions_response(&huge), Err(ProbeError::Malformed(_))));
    }

    #[test]
    fn bootstrap_addresses_lose_their_scheme() {
        assert_eq!(bootstrap_addrs("a:1, PLAINTEXT://b:2,,c:3 "), ["a:1", "b:2", "c:3"]);
    }

    /// A broker stand-in that answers one ApiVersions request with `apis`.
    async fn fake_broker(apis: Vec<(i16, i16, i16)>) -> String {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let len = s.read_i32().await.unwrap();
            let mut req = vec![0; len as usize];
            s.read_exact(&mut req).await.unwrap();
            assert_eq!(&req[..4], &[0, 18, 0, 0], "ApiVersions v0");
            let correlation = i32::from_be_bytes(req[4..8].try_into().unwrap());
            let f = response(correlation, 0, &apis);
            s.write_all(&(f.len() as i32).to_be_bytes()).await.unwrap();
            s.write_all(&f).await.unwrap();
        });
        addr
    }

    fn cfg(brokers: &str) -> Config {
        Config::load_with_env(None, vec![("DEMARCHE__KAFKA__BROKERS".to_string(), brokers.to_string())]).unwrap()
    }

    #[tokio::test]
    async fn a_broker_without_end_txn_is_refused_for_exactly_once() {
        let addr = fake_broker(all_but(&[26])).await;
        let e = check_transactions(&cfg(&addr), Duration::from_secs(5)).await.unwrap_err();
        let line = e.to_string();
        assert!(matches!(&e, PreflightError::NoTransactions { missing, .. } if missing == &["EndTxn"]), "{line}");
        assert!(line.contains("--guarantee at_least_once") && line.contains(&addr), "{line}");
        assert!(!line.contains('\n'));
    }

    #[tokio::test]
    async fn a_broker_with_transactions_passes_and_a_tls_listener_is_not_probed() {
        let addr = fake_broker(all_but(&[])).await;
        check_transactions(&cfg(&addr), Duration::from_secs(5)).await.unwrap();
        // Nothing listens there: a TLS listener is not probed at all.
        let mut c = cfg("127.0.0.1:1");
        c.kafka.client.insert("security.protocol".into(), "SSL".into());
        check_transactions(&c, Duration::from_secs(5)).await.unwrap();
    }

    #[test]
    fn error_lines_name_the_setting_and_the_fix() {
        let e = PreflightError::Unreachable { brokers: "k:9092".into(), seconds: 10, detail: "refused".into() };
        let s = e.to_string();
        for part in ["k:9092", "kafka.brokers", "--brokers", "DEMARCHE__KAFKA__BROKERS", "refused"] {
            assert!(s.contains(part), "{part} in {s}");
        }
        let e = PreflightError::MissingTopics { topics: vec!["a".into(), "b".into()], brokers: "k:9092".into() };
        assert_eq!(
            e.to_string(),
            "topics a, b not found on the Kafka brokers at k:9092 (kafka.brokers): create them with `demarche topics create`, or name an existing topic"
        );
    }
}

//! Shared by the test modules: the default pipeline, built once; and for the
//! Kafka tests, configs for a test broker, producing raw records, reading
//! whole topics, the expected output of a set of records.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use demarche::config::Config;
use demarche::event::StatementEvent;
use demarche::pipeline::Pipeline;

/// A raw input record: key and value, either may be absent.
pub type Rec = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The pipeline of the default configuration (the built-in data), built
/// once for the whole test binary and shared by every module.
pub fn pipeline() -> Arc<Pipeline> {
    shared_pipeline().clone()
}

/// [`pipeline`], borrowed: for the tests that only call it.
pub fn default_pipeline() -> &'static Pipeline {
    shared_pipeline().as_ref()
}

fn shared_pipeline() -> &'static Arc<Pipeline> {
    static P: OnceLock<Arc<Pipeline>> = OnceLock::new();
    P.get_or_init(|| {
        let cfg = Config::load_with_env(None, Vec::new()).expect("default configuration");
        Arc::new(demarche::cmd::build_pipeline(&cfg).expect("data files under data/ load"))
    })
}

/// A unique suffix so tests never share topics or groups.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// Logs of the code under test, filtered by RUST_LOG (shown with --nocapture).
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A service configuration for `brokers`, with per-test topics and group.
pub fn config(brokers: &str, name: &str) -> Config {
    logs();
    let id = unique(name);
    let mut env = vec![
        ("DEMARCHE__KAFKA__BROKERS".to_string(), brokers.to_string()),
        ("DEMARCHE__KAFKA__GROUP_ID".to_string(), format!("g-{id}")),
        ("DEMARCHE__KAFKA__INPUT_TOPICS".to_string(), format!("[\"in-{id}\"]")),
        ("DEMARCHE__KAFKA__STATEMENTS_TOPIC".to_string(), format!("st-{id}")),
        ("DEMARCHE__KAFKA__ALERTS_TOPIC".to_string(), format!("al-{id}")),
        ("DEMARCHE__KAFKA__DEAD_LETTER_TOPIC".to_string(), format!("dl-{id}")),
        ("DEMARCHE__KAFKA__TRANSACTIONAL_ID".to_string(), format!("tx-{id}")),
        ("DEMARCHE__SERVICE__HTTP_ADDR".to_string(), "127.0.0.1:0".to_string()),
        ("DEMARCHE__SERVICE__BATCH_MAX_RECORDS".to_string(), "8".to_string()),
        ("DEMARCHE__SERVICE__BATCH_LINGER_MS".to_string(), "20".to_string()),
        // Group joins wait for the rebalance timeout on some brokers: keep it short.
        ("DEMARCHE__SERVICE__MAX_POLL_INTERVAL_MS".to_string(), "10000".to_string()),
        ("DEMARCHE__SERVICE__DRAIN_TIMEOUT_MS".to_string(), "8000".to_string()),
        ("DEMARCHE__SERVICE__TRANSACTION_TIMEOUT_MS".to_string(), "30000".to_string()),
        ("DEMARCHE__SERVICE__STATISTICS_INTERVAL_MS".to_string(), "1000".to_string()),
        // tansu holds every fetch for fetch.wait.max.ms even when records wait (README).
        ("DEMARCHE__KAFKA__CLIENT__FETCH_WAIT_MAX_MS".to_string(), "10".to_string()),
    ];
    // DEMARCHE_TEST_KAFKA_DEBUG=eos,protocol shows librdkafka's own debug log.
    if let Ok(d) = std::env::var("DEMARCHE_TEST_KAFKA_DEBUG") {
        env.push(("DEMARCHE__KAFKA__CLIENT__DEBUG".to_string(), d));
    }
    Config::load_with_env(None, env).unwrap()
}

/// Raw input records: good articles (English and Arabic, written for the
/// tests) and bad ones of every kind, as (key, value) pairs.
pub fn inputs() -> Vec<Rec> {
    let mut v: Vec<Rec> = Vec::new();
    let examples = std::fs::read_to_string("examples/articles.jsonl").unwrap();
    for (i, l) in examples.lines().enumerate() {
        v.push((Some(format!("ex-{i}").into_bytes()), Some(l.as_bytes().to_vec())));
    }
    let fixtures = [
        r#"{"id":"fx-1","lang":"en","published_at":"2018-08-01","body":"The US Secretary of State said on Monday that sanctions on Iran would stay. He added that Tehran must stop its missile tests."}"#,
        r#"{"id":"fx-2","lang":"ar","published_at":"2016-05-03","body":"حذر وزير الخارجية الإيراني محمد جواد ظريف الولايات المتحدة من أي عمل عسكري، مؤكداً أن طهران سترد."}"#,
        r#"{"id":"fx-3","lang":"en","published_at":"2016-05-03","body":"Turkish President Recep Tayyip Erdogan threatened to close the border, and warned Russia that Ankara would respond."}"#,
        r#"{"id":"fx-4","body":"No statement here, only a weather report."}"#,
    ];
    for (i, f) in fixtures.iter().enumerate() {
        v.push((Some(format!("fx-{i}").into_bytes()), Some(f.as_bytes().to_vec())));
    }
    v.push((Some(b"bad-1".to_vec()), Some(b"not json at all".to_vec())));
    v.push((Some(b"bad-2".to_vec()), Some(br#"{"id":"x"}"#.to_vec())));
    v.push((Some(b"bad-3".to_vec()), Some(b"{\"id\":\"\xff\xfe\",\"body\":\"x\"}".to_vec())));
    v.push((Some(b"bad-4".to_vec()), None));
    v.push((None, Some(br#"{"id":7,"body":"wrong type"}"#.to_vec())));
    v
}

/// What the offline path gives for the same records: event ids, and the
/// number of records that must be dead-lettered.
pub fn expected(records: &[Rec]) -> (Vec<String>, usize) {
    let p = pipeline();
    let mut ids = Vec::new();
    let mut dead = 0;
    for (_, v) in records {
        match v.as_deref().map(|b| p.process(b)) {
            Some(Ok(out)) => ids.extend(out.events.into_iter().map(|e| e.event_id)),
            _ => dead += 1,
        }
    }
    (ids, dead)
}

/// Produces `records` one produce request (one record batch) each: the
/// batching a test must use on tansu when it restarts or resumes inside a
/// partition, since tansu 0.6.0 skips the rest of a multi-record batch when a
/// fetch starts inside it (README, broker table). Elsewhere use
/// [`produce_batched`], which is how real producers send.
pub async fn produce(brokers: &str, topic: &str, records: &[Rec]) {
    let p: FutureProducer = ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
    for (k, v) in records {
        p.send(record(topic, k, v), Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }
    p.flush(Duration::from_secs(10)).unwrap();
}

/// Produces `records` as a batching producer does: everything is enqueued
/// before any acknowledgement is awaited, with a linger, so consecutive
/// records of a partition travel in multi-record batches.
pub async fn produce_batched(brokers: &str, topic: &str, records: &[Rec]) {
    let p: FutureProducer =
        ClientConfig::new().set("bootstrap.servers", brokers).set("linger.ms", "100").create().unwrap();
    let pending: Vec<_> = records.iter().map(|(k, v)| p.send_result(record(topic, k, v)).unwrap()).collect();
    for f in pending {
        f.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
    p.flush(Duration::from_secs(10)).unwrap();
}

fn record<'a>(topic: &'a str, k: &'a Option<Vec<u8>>, v: &'a Option<Vec<u8>>) -> FutureRecord<'a, [u8], [u8]> {
    let headers = OwnedHeaders::new()
        .insert(Header { key: "traceparent", value: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") });
    let mut r = FutureRecord::<[u8], [u8]>::to(topic).headers(headers);
    if let Some(k) = k {
        r = r.key(k.as_slice());
    }
    if let Some(v) = v {
        r = r.payload(v.as_slice());
    }
    r
}

/// A record read back from an output topic.
#[derive(Debug, Clone)]
pub struct Read {
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: HashMap<String, String>,
}

/// Reads every record of `topic` (all partitions, from the beginning) until
/// nothing new arrives for `quiet`.
pub fn read_all(brokers: &str, topic: &str, quiet: Duration) -> Vec<Read> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let md = c.fetch_metadata(Some(topic), Duration::from_secs(10)).unwrap();
    let parts = md.topics()[0].partitions().len() as i32;
    let mut tpl = TopicPartitionList::new();
    for p in 0..parts {
        tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    c.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let mut last = Instant::now();
    while last.elapsed() < quiet {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|x| (x.key.to_string(), String::from_utf8_lossy(x.value.unwrap_or_default()).to_string()))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Read {
                key: m.key().map(<[u8]>::to_vec),
                payload: m.payload().unwrap_or_default().to_vec(),
                headers,
            });
            last = Instant::now();
        }
    }
    out
}

pub fn events(reads: &[Read]) -> Vec<StatementEvent> {
    reads.iter().map(|r| serde_json::from_slice(&r.payload).expect("statement JSON")).collect()
}

/// Waits until `f` holds, or panics after `limit`.
pub async fn wait_until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sum of the group's committed offsets over the first three partitions of the input topic.
pub fn committed(brokers: &str, cfg: &Config) -> i64 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", &cfg.kafka.group_id)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition(&cfg.kafka.input_topics[0], p);
    }
    match c.committed_offsets(tpl, Duration::from_secs(10)) {
        Ok(got) => got.elements().iter().map(|e| if let Offset::Offset(o) = e.offset() { o } else { 0 }).sum(),
        Err(_) => 0,
    }
}

/// Runs the service on `cfg` until it has processed `n` records, then shuts
/// it down gracefully (which must succeed); returns its progress counters.
pub async fn process_all(cfg: &Config, n: usize, limit: Duration) -> Arc<demarche::service::consumer::Progress> {
    let token = tokio_util::sync::CancellationToken::new();
    let running = demarche::cmd::run::start(cfg.clone(), pipeline(), token.clone()).await.unwrap();
    let progress = running.progress.clone();
    wait_until(limit, "every record processed", || progress.records() >= n as u64).await;
    token.cancel();
    running.task.await.unwrap().unwrap();
    progress
}

/// Produces `records` with explicit timestamps (milliseconds since the
/// epoch), one per record, to partition `partition` (None: the partitioner's choice).
pub async fn produce_at(brokers: &str, topic: &str, records: &[Rec], timestamps: &[i64], partition: Option<i32>) {
    assert_eq!(records.len(), timestamps.len());
    let p: FutureProducer = ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
    for ((k, v), ts) in records.iter().zip(timestamps) {
        let mut r = FutureRecord::<[u8], [u8]>::to(topic).timestamp(*ts);
        if let Some(k) = k {
            r = r.key(k.as_slice());
        }
        if let Some(v) = v {
            r = r.payload(v.as_slice());
        }
        if let Some(part) = partition {
            r = r.partition(part);
        }
        p.send(r, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }
    p.flush(Duration::from_secs(10)).unwrap();
}

/// Creates one topic (an extra output topic, say).
pub async fn create_topic(brokers: &str, name: &str, partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
    let r = admin
        .create_topics(&[NewTopic::new(name, partitions, TopicReplication::Fixed(1))], &AdminOptions::new())
        .await
        .unwrap();
    r[0].as_ref().unwrap();
}

/// The good records of `inputs()` only (those that give an article).
pub fn good_inputs() -> Vec<Rec> {
    let p = pipeline();
    inputs().into_iter().filter(|(_, v)| v.as_deref().is_some_and(|b| p.process(b).is_ok())).collect()
}

/// Sorted event ids of statement JSONL text.
pub fn ids_of_jsonl(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<StatementEvent>(l).expect("statement JSON").event_id)
        .collect();
    v.sort();
    v
}

/// The broker the Kafka tests run against (`DEMARCHE_TEST_BROKERS`). Those
/// tests are `#[ignore]`d, so `cargo test` lists them as ignored; run
/// explicitly (`--include-ignored`, as scripts/test.sh does) without a broker,
/// they fail instead of passing without having run.
pub fn test_brokers() -> String {
    match std::env::var("DEMARCHE_TEST_BROKERS") {
        Ok(b) if !b.is_empty() => b,
        _ => panic!("DEMARCHE_TEST_BROKERS is not set: scripts/test.sh starts a broker and sets it"),
    }
}

/// An in-process broker (librdkafka's mock cluster) with the test's topics,
/// three partitions each, and a config for it.
pub fn mock_cluster(
    name: &str,
) -> (rdkafka::mocking::MockCluster<'static, rdkafka::producer::DefaultProducerContext>, String, Config) {
    let mock = rdkafka::mocking::MockCluster::new(1).unwrap();
    let brokers = mock.bootstrap_servers();
    let cfg = config(&brokers, name);
    for t in demarche::cmd::topics::all_topics(&cfg) {
        mock.create_topic(&t, 3, 1).unwrap();
    }
    (mock, brokers, cfg)
}

/// The records with every article id suffixed by `-tag`, so their events are
/// new ones; values that are not an article with a string id stay as they are.
pub fn relabeled(records: &[Rec], tag: &str) -> Vec<Rec> {
    records
        .iter()
        .map(|(k, v)| {
            let v = v.as_ref().map(|b| match serde_json::from_slice::<serde_json::Value>(b) {
                Ok(mut j) if j.get("id").is_some_and(|i| i.is_string()) => {
                    j["id"] = serde_json::Value::String(format!("{}-{tag}", j["id"].as_str().unwrap()));
                    serde_json::to_vec(&j).unwrap()
                }
                _ => b.clone(),
            });
            (k.clone(), v)
        })
        .collect()
}

/// `n` copies of `records`, each relabeled `{prefix}{i}`.
pub fn copies(records: &[Rec], n: usize, prefix: &str) -> Vec<Rec> {
    (0..n).flat_map(|i| relabeled(records, &format!("{prefix}{i}"))).collect()
}

/// A replay of the whole input topic of `cfg` into `sink`, two extraction threads.
pub fn replay_request(
    cfg: &Config,
    sink: demarche::replay::checkpoint::Sink,
    checkpoint: &std::path::Path,
) -> demarche::cmd::replay::Request {
    demarche::cmd::replay::Request {
        workers: 2,
        ..demarche::cmd::replay::Request::new(&cfg.kafka.input_topics[0], sink, checkpoint.to_path_buf())
    }
}

/// An outage on the mock cluster: produce requests fail with retriable
/// errors, then the broker is down for three seconds and comes back.
pub async fn outage(mock: &rdkafka::mocking::MockCluster<'static, rdkafka::producer::DefaultProducerContext>) {
    use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT],
    );
    mock.broker_down(1).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    mock.broker_up(1).unwrap();
}

/// The shared material (corpus, scorer, dictionaries): `DEMARCHE_SHARED`, else `../shared`.
pub fn shared_dir() -> std::path::PathBuf {
    std::env::var_os("DEMARCHE_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("../shared"))
}

/// Copies the directory `from` into `to` (created), recursively: a copy of data/ to edit.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

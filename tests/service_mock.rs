//! The service against librdkafka's in-process mock cluster: the tool for
//! transactions and fault injection (a broker down, produce requests and
//! transaction commits failing). The mock cluster, like tansu, does not hide
//! aborted transactions from read_committed readers, so these tests prove
//! exactly-once by what is observable: every input is processed, the
//! committed offsets match, an aborted batch is processed again, and
//! duplicates a reader sees are bounded by the aborted batches.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use tokio_util::sync::CancellationToken;

use common::*;
use demarche::config::Guarantee;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_exactly_once_with_dead_letters_and_graceful_shutdown() {
    let (mock, brokers, cfg) = mock_cluster("e2e");
    let records = inputs();
    let (want_ids, want_dead) = expected(&records);
    produce(&brokers, &cfg.kafka.input_topics[0], &records).await;

    // Ends with a graceful shutdown that must succeed. (The mock cluster acknowledges
    // offsets sent inside a transaction without storing them — TxnOffsetCommit is a
    // no-op there — so committed offsets are checked on tansu and in the
    // at-least-once test below.)
    let progress = process_all(&cfg, records.len(), Duration::from_secs(60)).await;

    let st = read_all(&brokers, &cfg.kafka.statements_topic, Duration::from_secs(2));
    let got: Vec<String> = events(&st).into_iter().map(|e| e.event_id).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &got {
        *counts.entry(id).or_default() += 1;
    }
    assert_eq!(progress.aborted.load(Ordering::Relaxed), 0);
    assert!(counts.values().all(|&n| n == 1), "each event once without aborts");
    let mut a = got.clone();
    let mut b = want_ids.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "exactly the events `extract` gives for the same records");

    let dl = read_all(&brokers, &cfg.kafka.dead_letter_topic, Duration::from_secs(1));
    assert_eq!(dl.len(), want_dead);
    assert_eq!(records.len(), records.len() - want_dead + dl.len(), "read = extracted + dead-lettered");
    let kinds: Vec<&str> = dl.iter().map(|r| r.headers["demarche-error-kind"].as_str()).collect();
    for k in ["not_json", "missing_field", "not_utf8", "invalid_field", "wrong_type"] {
        assert!(kinds.contains(&k), "dead letter of kind {k} in {kinds:?}");
    }
    let bad = dl.iter().find(|r| r.key.as_deref() == Some(&b"bad-1"[..])).expect("key kept");
    assert_eq!(bad.payload, b"not json at all", "original bytes kept");
    assert_eq!(bad.headers["demarche-source-topic"], cfg.kafka.input_topics[0]);

    // Headers on statements: schema, article, actor, kind, and the traceparent carried over.
    let first = &st[0];
    for h in
        ["content-type", "demarche-schema-version", "demarche-article-id", "demarche-actor-id", "demarche-claim-kind"]
    {
        assert!(first.headers.contains_key(h), "header {h}");
    }
    assert_eq!(first.headers["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    // Keys: the actor id (or name), so one actor's timeline stays in one partition.
    for (r, e) in st.iter().zip(events(&st)) {
        assert_eq!(r.key.as_deref(), Some(e.key().as_bytes()));
    }
    // Alerts from the starter rules: Erdogan warning Russia, ceasefire announcements.
    let al = read_all(&brokers, &cfg.kafka.alerts_topic, Duration::from_secs(1));
    assert!(!al.is_empty(), "alerts produced");
    let rules: Vec<String> = al
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.payload).unwrap()["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(rules.iter().any(|r| r == "warning-to-state"), "{rules:?}");
    assert!(rules.iter().any(|r| r == "ceasefire"), "{rules:?}");
    drop(mock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_transaction_commits_abort_and_reprocess_without_loss() {
    let (mock, brokers, cfg) = mock_cluster("txfail");
    let records = inputs();
    let (want_ids, _) = expected(&records);
    produce(&brokers, &cfg.kafka.input_topics[0], &records).await;
    // The first two commits fail with a retriable-then-abortable error.
    mock.request_errors(
        RDKafkaApiKey::EndTxn,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        ],
    );
    mock.request_errors(RDKafkaApiKey::AddOffsetsToTxn, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS]);
    // An error that makes the transaction abortable: the batch must be aborted and re-read.
    mock.request_errors(RDKafkaApiKey::TxnOffsetCommit, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION]);

    let progress = process_all(&cfg, records.len(), Duration::from_secs(90)).await;

    let got: Vec<String> = events(&read_all(&brokers, &cfg.kafka.statements_topic, Duration::from_secs(2)))
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    for id in &want_ids {
        assert!(got.contains(id), "event {id} lost");
    }
    // Aborted records stay visible on this broker; they are bounded by the aborted batches.
    let extra = got.len() - want_ids.len();
    let aborted = progress.aborted.load(Ordering::Relaxed) as usize;
    assert!(aborted >= 1, "the injected commit failure aborted a batch");
    let per_batch_max = 8 * 12; // batch size × the most events one test record yields
    assert!(extra <= aborted * per_batch_max, "{extra} duplicates for {aborted} aborted batches");
    drop(mock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_for_seconds_and_failing_produce_requests_lose_nothing() {
    let (mock, brokers, mut cfg) = mock_cluster("down");
    cfg.kafka.guarantee = Guarantee::AtLeastOnce;
    let records = inputs();
    let (want_ids, _) = expected(&records);
    let (first, second) = records.split_at(records.len() / 2);
    produce(&brokers, &cfg.kafka.input_topics[0], first).await;

    let token = CancellationToken::new();
    let running = demarche::cmd::run::start(cfg.clone(), pipeline(), token.clone()).await.unwrap();
    let progress = running.progress.clone();
    wait_until(Duration::from_secs(60), "first half processed", || progress.records() >= first.len() as u64).await;

    outage(&mock).await;
    produce(&brokers, &cfg.kafka.input_topics[0], second).await;
    wait_until(Duration::from_secs(90), "every record processed after the outage", || {
        progress.records() >= records.len() as u64
    })
    .await;
    token.cancel();
    running.task.await.unwrap().unwrap();
    // Graceful shutdown leaves the group's offsets at the end of the input.
    assert_eq!(committed(&brokers, &cfg), records.len() as i64, "committed offsets cover every record");

    let got: Vec<String> = events(&read_all(&brokers, &cfg.kafka.statements_topic, Duration::from_secs(2)))
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    for id in &want_ids {
        assert!(got.contains(id), "event {id} lost");
    }
    drop(mock);
}

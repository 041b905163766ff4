//! The service against librdkafka's in-process mock cluster: the tool for
//! transactions and fault injection (a broker down, produce requests and
//! transaction commits failing). The mock cluster, like tansu, does not hide
//! aborted transactions from read_committed readers, so these tests prove
//! exactly-once by what is observable: every input is processed, the
//! committed offsets match, an aborted batch is processed again, and
//! duplicates a reader sees are bounded by the aborted batches.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use tokio_util::sync::CancellationToken;

use crate::common::*;
use demarche::config::Guarantee;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_exactly_once_with_dead_letters_and_graceful_shutdown() {
    let (mock, brokers, cfg) = mock_cluster("e2e");
    let records = inputs();
    let (want_ids, want_dead) = expected(&records);
    produce_batched(&brokers, &cfg.kafka.input_topics[0], &records).await;

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
    // Every record read is accounted for by what reached the topics: an article with
    // statements (its id on the statements read back), an article without any (known
    // offline: nothing of it reaches a topic), or a dead letter.
    let with_statements: HashSet<&str> = st.iter().map(|r| r.headers["demarche-article-id"].as_str()).collect();
    let p = pipeline();
    let without = records
        .iter()
        .filter(|(_, v)| v.as_deref().is_some_and(|b| p.process(b).is_ok_and(|o| o.events.is_empty())))
        .count();
    assert_eq!(progress.records(), records.len() as u64, "every record read once");
    assert_eq!(
        progress.records() as usize,
        with_statements.len() + without + dl.len(),
        "read = articles with statements + articles without + dead letters"
    );
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
    produce_batched(&brokers, &cfg.kafka.input_topics[0], &records).await;
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
    produce_batched(&brokers, &cfg.kafka.input_topics[0], first).await;

    let token = CancellationToken::new();
    let running = demarche::cmd::run::start(cfg.clone(), pipeline(), token.clone()).await.unwrap();
    let progress = running.progress.clone();
    wait_until(Duration::from_secs(60), "first half processed", || progress.records() >= first.len() as u64).await;

    outage(&mock).await;
    produce_batched(&brokers, &cfg.kafka.input_topics[0], second).await;
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

/// The quick start prints every committed statement, once, and nothing else on
/// its statement output (regression: its reader stopped on an idle timer that
/// had run out before the statements arrived, printing none in most runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_prints_every_statement_once() {
    use demarche::cmd::quickstart::{self, Input};
    let (_, _, cfg) = mock_cluster("quickstart");
    let p = pipeline();
    let want: usize = quickstart::SAMPLE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| p.process(l.as_bytes()).expect("sample articles are valid").events.len())
        .sum();
    assert!(want > 10, "the sample has statements");
    let (mut out, mut status) = (Vec::new(), Vec::new());
    let report = quickstart::run(cfg, p, &Input::Sample, false, CancellationToken::new(), &mut out, &mut status, false)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(report.statements as usize, want);
    assert_eq!(lines.len(), want, "one printed line per statement:\n{out}");
    let unique: std::collections::HashSet<&str> = lines.iter().copied().collect();
    assert_eq!(unique.len(), lines.len(), "no statement printed twice");
    assert!(lines.iter().all(|l| l.contains(" · ")), "only statement lines on the statement output");
    let status = String::from_utf8(status).unwrap();
    assert!(status.contains(&format!("done: {} records consumed, {want} statements", report.articles)), "{status}");
}

/// README's first command as a user runs it, from any directory: statements alone on stdout (one
/// line each, every one of them), status and logs on stderr, and a metrics port
/// that is taken does not stop it.
#[test]
fn quickstart_binary_prints_statements_on_stdout_with_its_port_taken() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let p = pipeline();
    let want: usize = demarche::cmd::quickstart::SAMPLE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| p.process(l.as_bytes()).unwrap().events.len())
        .sum();
    // From a directory with no data files or examples in it: both are built in.
    let elsewhere = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_demarche"))
        .arg("quickstart")
        .current_dir(elsewhere.path())
        .env("DEMARCHE__SERVICE__HTTP_ADDR", &addr)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "quickstart failed:\n{stderr}");
    assert_eq!(stdout.lines().count(), want, "every statement printed:\n{stdout}\n--- stderr:\n{stderr}");
    assert!(stdout.lines().all(|l| l.contains(" · ")), "nothing but statements on stdout:\n{stdout}");
    assert!(stderr.contains(&format!("{addr} is taken")), "{stderr}");
    drop(held);
}

/// A batch with two poison records among good ones, all in partition 0, in
/// this order: good, a valid article with a 600 KB id (every statement and
/// its article-id header carry it: each output over 1 MB), good, a 0.99 MB
/// line that is not JSON (its dead letter with headers is over the limit),
/// the other good ones. Returns the records and the two poison values.
fn poison_batch() -> (Vec<Rec>, Vec<u8>, Vec<u8>) {
    let long_id = serde_json::to_vec(&serde_json::json!({
        "id": "i".repeat(600_000),
        "lang": "en",
        "published_at": "2016-05-03",
        "body": "Turkish President Recep Tayyip Erdogan threatened to close the border, and warned Russia that Ankara would respond.",
    }))
    .unwrap();
    let not_json = b"not json, ".repeat(99_900);
    assert_eq!(not_json.len(), 999_000);
    let mut records = good_inputs();
    records.insert(1, (Some(b"long-id".to_vec()), Some(long_id.clone())));
    records.insert(3, (Some(b"huge".to_vec()), Some(not_json.clone())));
    (records, long_id, not_json)
}

/// The bytes librdkafka would count for a record read back.
fn read_size(r: &Read) -> usize {
    let headers: Vec<(String, Vec<u8>)> = r.headers.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect();
    demarche::service::records::wire_size(r.key.as_deref(), &r.payload, &headers)
}

/// Both poison records dead-lettered (within the producer's limit), every
/// statement of the good ones once, nothing retried.
fn check_poison_outputs(brokers: &str, cfg: &demarche::config::Config, good: &[Rec], long_id: &[u8], not_json: &[u8]) {
    let limit = demarche::service::records::output_limit(cfg.kafka.message_max_bytes());
    let dl = read_all(brokers, &cfg.kafka.dead_letter_topic, Duration::from_secs(2));
    assert_eq!(dl.len(), 2, "each poison record dead-lettered once");
    let by_key = |k: &[u8]| dl.iter().find(|r| r.key.as_deref() == Some(k)).expect("dead letter by its key");
    let long = by_key(b"long-id");
    assert_eq!(long.headers["demarche-error-kind"], "output_too_large");
    assert!(long.headers["demarche-error-reason"].contains("message.max.bytes"));
    assert_eq!(long.payload, long_id, "the whole article: its dead letter fits");
    let huge = by_key(b"huge");
    assert_eq!(huge.headers["demarche-error-kind"], "too_large");
    assert_eq!(huge.headers["demarche-truncated-payload"], not_json.len().to_string());
    assert!(not_json.starts_with(&huge.payload) && huge.payload.len() > 990_000);
    for r in &dl {
        assert!(read_size(r) <= limit, "{} bytes > {limit}", read_size(r));
    }
    let mut got: Vec<String> = events(&read_all(brokers, &cfg.kafka.statements_topic, Duration::from_secs(2)))
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    got.sort();
    let mut want = expected(good).0;
    want.sort();
    assert_eq!(got, want, "every statement of the good records, once");
}

async fn poison_records_never_block_the_partition(guarantee: Guarantee) {
    let (mock, brokers, mut cfg) = mock_cluster("poison");
    cfg.kafka.guarantee = guarantee;
    // One batch for the whole input, so the poison records share it with good ones.
    cfg.service.batch_max_records = 64;
    cfg.service.batch_linger_ms = 1000;
    let (records, long_id, not_json) = poison_batch();
    let now = chrono::Utc::now().timestamp_millis();
    produce_at(&brokers, &cfg.kafka.input_topics[0], &records, &vec![now; records.len()], Some(0)).await;

    let progress = process_all(&cfg, records.len(), Duration::from_secs(60)).await;
    assert_eq!(progress.aborted.load(Ordering::Relaxed), 0, "no batch aborted");
    assert_eq!(progress.dead_letters.load(Ordering::Relaxed), 2);
    assert_eq!(progress.records(), records.len() as u64, "no record processed twice");
    let good: Vec<Rec> =
        records.iter().filter(|(k, _)| !matches!(k.as_deref(), Some(b"long-id" | b"huge"))).cloned().collect();
    check_poison_outputs(&brokers, &cfg, &good, &long_id, &not_json);
    if guarantee == Guarantee::AtLeastOnce {
        // (Under exactly_once the mock cluster does not store offsets sent in a transaction.)
        assert_eq!(committed(&brokers, &cfg), records.len() as i64, "committed offsets past every record");
    }
    drop(mock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_records_are_dead_lettered_and_the_partition_moves_on_exactly_once() {
    poison_records_never_block_the_partition(Guarantee::ExactlyOnce).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_records_are_dead_lettered_and_the_partition_moves_on_at_least_once() {
    poison_records_never_block_the_partition(Guarantee::AtLeastOnce).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_dead_letters_the_same_poison_records_into_topics_and_files() {
    use demarche::cmd::replay;
    use demarche::replay::checkpoint::Sink;
    let (mock, brokers, mut cfg) = mock_cluster("poison-replay");
    cfg.service.batch_max_records = 64;
    let (records, long_id, not_json) = poison_batch();
    let now = chrono::Utc::now().timestamp_millis();
    produce_at(&brokers, &cfg.kafka.input_topics[0], &records, &vec![now; records.len()], Some(0)).await;
    let good: Vec<Rec> =
        records.iter().filter(|(k, _)| !matches!(k.as_deref(), Some(b"long-id" | b"huge"))).cloned().collect();
    let dir = tempfile::tempdir().unwrap();

    let sink = Sink::Topics {
        statements: cfg.kafka.statements_topic.clone(),
        alerts: cfg.kafka.alerts_topic.clone(),
        dead_letter: cfg.kafka.dead_letter_topic.clone(),
    };
    let req = replay_request(&cfg, sink, &dir.path().join("topics.json"));
    let r = replay::run(&cfg, pipeline(), req, CancellationToken::new()).await.unwrap();
    assert_eq!((r.summary.read, r.summary.dead_letters), (records.len() as u64, 2));
    check_poison_outputs(&brokers, &cfg, &good, &long_id, &not_json);

    let (out, rejects) = (dir.path().join("st.jsonl"), dir.path().join("rejects.jsonl"));
    let sink = Sink::Files { statements: out.clone(), alerts: None, rejects: Some(rejects.clone()) };
    let req = replay_request(&cfg, sink, &dir.path().join("files.json"));
    let r = replay::run(&cfg, pipeline(), req, CancellationToken::new()).await.unwrap();
    assert_eq!(r.summary.dead_letters, 2);
    let mut want = expected(&good).0;
    want.sort();
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), want, "what the live service publishes");
    let kinds: Vec<String> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["output_too_large", "too_large"]);
    drop(mock);
}

/// The black-box check: `quickstart --input` with a 600 KB-id article
/// and a 0.99 MB line that is not JSON among good articles exits 0, both bad
/// records dead-lettered, every statement of the good ones printed.
#[test]
fn quickstart_with_poison_records_dead_letters_them_and_prints_the_rest() {
    let (records, _, _) = poison_batch();
    let (want_ids, want_dead) = expected(&records);
    assert_eq!(want_dead, 1, "offline, only the non-JSON line is rejected (the long id is a valid article)");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("poison.jsonl");
    let mut text = Vec::new();
    for (_, v) in &records {
        text.extend_from_slice(v.as_deref().unwrap());
        text.push(b'\n');
    }
    std::fs::write(&input, text).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_demarche"))
        .args(["quickstart", "--input"])
        .arg(&input)
        .current_dir(dir.path())
        .env("DEMARCHE__SERVICE__HTTP_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "quickstart failed:\n{stderr}");
    // The long-id article's statements cannot be published: they are its dead letter.
    let p = pipeline();
    let long_id_events = p.process(records[1].1.as_deref().unwrap()).unwrap().events.len();
    assert!(long_id_events > 0);
    let printable = want_ids.len() - long_id_events;
    assert_eq!(stdout.lines().count(), printable, "every publishable statement printed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("{} records consumed, {printable} statements", records.len()))
            && stderr.contains("2 dead letters"),
        "{stderr}"
    );
}

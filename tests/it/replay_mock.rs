//! `demarche replay` on librdkafka's in-process mock cluster: the broker
//! that cannot find offsets by time at all, and the one that can be taken
//! down in the middle of a replay.

use std::collections::HashMap;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::common::*;
use demarche::cmd::replay;
use demarche::replay::checkpoint::Sink;
use demarche::replay::time_index::Basis;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_range_is_exact_on_a_broker_without_a_time_index() {
    let (mock, brokers, cfg) = mock_cluster("replay-notime");
    let good = good_inputs();
    let t0 = chrono::DateTime::parse_from_rfc3339("2024-03-01T10:00:00Z").unwrap().timestamp_millis();
    let ts: Vec<i64> = (0..good.len() as i64).map(|i| t0 + i * 60_000).collect();
    produce_at(&brokers, &cfg.kafka.input_topics[0], &good, &ts, None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let mut req = replay_request(
        &cfg,
        Sink::Files { statements: out.clone(), alerts: None, rejects: None },
        &dir.path().join("c.json"),
    );
    // Minutes 2, 3 and 4.
    req.from = "2024-03-01T10:02:00Z".parse().unwrap();
    req.to = "2024-03-01T10:05:00Z".parse().unwrap();
    let r = replay::run(&cfg, pipeline(), req, CancellationToken::new()).await.unwrap();
    // The mock answers the end of the partition for any time: as a start that would
    // drop records, so the start is a scan; as an end it is safe and kept.
    assert!(r.plan.partitions.values().all(|p| p.start_basis == Basis::Scan), "{:?}", r.plan);
    assert_eq!(r.summary.processed, 3);
    assert_eq!(r.summary.skipped_time, good.len() as u64 - 3);
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), {
        let mut v = expected(&good[2..5]).0;
        v.sort();
        v
    });
    drop(mock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_during_a_replay_loses_and_repeats_nothing() {
    let (mock, brokers, cfg) = mock_cluster("replay-down");
    let records = copies(&inputs(), 4, "d");
    let (want_ids, want_dead) = expected(&records);
    produce_batched(&brokers, &cfg.kafka.input_topics[0], &records).await;
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("c.json");
    let sink = Sink::Topics {
        statements: cfg.kafka.statements_topic.clone(),
        alerts: cfg.kafka.alerts_topic.clone(),
        dead_letter: cfg.kafka.dead_letter_topic.clone(),
    };
    let mut req = replay_request(&cfg, sink, &ckpt);
    req.max_rate = Some(15.0);
    let task = {
        let cfg = cfg.clone();
        tokio::spawn(async move { replay::run(&cfg, pipeline(), req, CancellationToken::new()).await })
    };
    wait_until(Duration::from_secs(30), "the replay under way", || {
        demarche::replay::checkpoint::Checkpoint::load(&ckpt).ok().flatten().is_some_and(|c| c.summary.read >= 10)
    })
    .await;
    outage(&mock).await;
    let r = tokio::time::timeout(Duration::from_secs(90), task).await.expect("the replay finishes").unwrap().unwrap();
    assert_eq!(r.summary.read, records.len() as u64);
    assert_eq!(r.summary.dead_letters, want_dead as u64);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for e in events(&read_all(&brokers, &cfg.kafka.statements_topic, Duration::from_secs(2))) {
        *counts.entry(e.event_id).or_default() += 1;
    }
    let mut got: Vec<String> = counts.keys().cloned().collect();
    got.sort();
    let mut want = want_ids;
    want.sort();
    assert_eq!(got, want, "every event");
    assert!(counts.values().all(|&n| n == 1), "none twice: the idempotent producer retried through the outage");
    drop(mock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_of_a_transactional_topic_reads_every_committed_record_and_ends() {
    use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
    let (mock, brokers, cfg) = mock_cluster("replay-txn");
    // Topics written by a transactional producer (the live service's outputs under
    // exactly_once, the dead-letter topic included) are replayed like any other. On
    // Apache Kafka their commit markers take offsets, and the replay's end test uses the
    // consumer's position at end of partition, which librdkafka (since 1.4) moves past
    // markers; the mock cluster gives markers no offsets, so that part is not shown here.
    let p: FutureProducer = rdkafka::config::ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("transactional.id", unique("txn"))
        .create()
        .unwrap();
    p.init_transactions(Duration::from_secs(10)).unwrap();
    let good = good_inputs();
    for chunk in good.chunks(3) {
        p.begin_transaction().unwrap();
        for (k, v) in chunk {
            let r = FutureRecord::<[u8], [u8]>::to(&cfg.kafka.input_topics[0])
                .key(k.as_deref().unwrap())
                .payload(v.as_deref().unwrap());
            p.send(r, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
        }
        p.commit_transaction(Duration::from_secs(10)).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let req = replay_request(
        &cfg,
        Sink::Files { statements: out.clone(), alerts: None, rejects: None },
        &dir.path().join("c.json"),
    );
    let r = tokio::time::timeout(Duration::from_secs(60), replay::run(&cfg, pipeline(), req, CancellationToken::new()))
        .await
        .expect("the replay ends")
        .unwrap();
    assert_eq!(r.summary.read, good.len() as u64);
    let mut want = expected(&good).0;
    want.sort();
    assert_eq!(ids_of_jsonl(&std::fs::read_to_string(&out).unwrap()), want);
    drop(p);
    drop(mock);
}

/// `--log-format json`: the closing summary of a replay is a JSON event with
/// its counts, like every other line on stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replay_summary_is_a_json_event_with_json_logs() {
    let (mock, brokers, cfg) = mock_cluster("replay-json");
    let good = good_inputs();
    produce(&brokers, &cfg.kafka.input_topics[0], &good).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_demarche"));
    cmd.current_dir(dir.path())
        .env_clear()
        .env("DEMARCHE__KAFKA__BROKERS", &brokers)
        .args(["--log-format", "json", "replay", "--input-topic", &cfg.kafka.input_topics[0]])
        .args(["--output", "out.jsonl", "--checkpoint", "c.json", "--progress", "off"]);
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.unwrap().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let events: Vec<serde_json::Value> =
        err.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let summary = events.iter().find(|e| e.get("processed").is_some()).unwrap_or_else(|| panic!("{err}"));
    assert_eq!(summary["level"], "INFO");
    assert_eq!(summary["read"], good.len() as u64);
    assert_eq!(summary["processed"], good.len() as u64);
    assert_eq!(summary["interrupted"], false);
    drop(mock);
}

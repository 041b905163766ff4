//! End-to-end throughput and latency through a real broker, beside a
//! pass-through consumer→producer with no extraction, in the same run.
//!
//! Needs a broker: `DEMARCHE_BENCH_BROKERS=127.0.0.1:PORT cargo bench --bench service`
//! (start one with `tansu broker --listener-url tcp://127.0.0.1:PORT
//! --advertised-listener-url tcp://127.0.0.1:PORT --storage-engine memory://tansu/`).
//! Articles come from `../shared/corpus/bulk/` (or DEMARCHE_SHARED).
//! `DEMARCHE_BENCH_ARTICLES` sets the backlog size (default 20,000);
//! `DEMARCHE_BENCH_GUARANTEE=exactly_once` for brokers with transactions
//! (tansu 0.6.0 has none usable by librdkafka, so the default is at_least_once);
//! `DEMARCHE_BENCH_CLIENT=k=v,...` adds librdkafka properties, as `[kafka.client]`
//! does (tansu 0.6.0 holds each fetch for `fetch.wait.max.ms` even when records
//! wait: `fetch.wait.max.ms=10` measures demarche rather than that wait).
//!
//! Reports: backlog throughput (articles/s) for demarche and for the
//! pass-through; latency p50 / p99 from producing an article to its first
//! statement being readable, at a paced rate; resident memory while running.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use demarche::config::{Config, Guarantee};

#[path = "common/mod.rs"]
mod common;
use common::{articles, cfg, client, produce, rss_mb, PeakRss};

/// The transport alone: consume, produce each value unchanged, commit per batch.
async fn passthrough(brokers: &str, input: &str, output: &str, n: u64, batch: usize) -> Duration {
    let c: StreamConsumer = client(brokers)
        .set("group.id", format!("pass-{input}"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("max.poll.interval.ms", "10000")
        .set("session.timeout.ms", "10000")
        .create()
        .unwrap();
    c.subscribe(&[input]).unwrap();
    let p: FutureProducer = client(brokers).set("linger.ms", "5").create().unwrap();
    let start = Instant::now();
    let mut done = 0u64;
    while done < n {
        let mut buf = Vec::new();
        let first = c.recv().await.unwrap();
        buf.push(first.detach());
        while buf.len() < batch {
            match tokio::time::timeout(Duration::from_millis(5), c.recv()).await {
                Ok(Ok(m)) => buf.push(m.detach()),
                _ => break,
            }
        }
        // Enqueue all, then wait: the same pattern as the service.
        let mut pending = Vec::new();
        for m in &buf {
            let r = FutureRecord::<(), [u8]>::to(output).payload(m.payload().unwrap_or_default());
            pending.push(p.send_result(r).map_err(|(e, _)| e).unwrap());
        }
        for f in pending {
            f.await.unwrap().map_err(|(e, _)| e).unwrap();
        }
        let mut tpl = TopicPartitionList::new();
        let mut last: HashMap<i32, i64> = HashMap::new();
        for m in &buf {
            let e = last.entry(m.partition()).or_insert(m.offset());
            *e = (*e).max(m.offset());
        }
        for (part, off) in last {
            tpl.add_partition_offset(input, part, Offset::Offset(off + 1)).unwrap();
        }
        c.commit(&tpl, CommitMode::Sync).unwrap();
        done += buf.len() as u64;
    }
    start.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(brokers) = std::env::var("DEMARCHE_BENCH_BROKERS") else {
        println!("skipping: set DEMARCHE_BENCH_BROKERS to a broker address (see the module docs)");
        return;
    };
    let n: usize = std::env::var("DEMARCHE_BENCH_ARTICLES").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let guarantee = match std::env::var("DEMARCHE_BENCH_GUARANTEE").as_deref() {
        Ok("exactly_once") => Guarantee::ExactlyOnce,
        _ => Guarantee::AtLeastOnce,
    };
    let records = articles(n);
    let bytes: usize = records.iter().map(Vec::len).sum();
    let pipeline = Arc::new(demarche::cmd::build_pipeline(&Config::load_with_env(None, Vec::new()).unwrap()).unwrap());
    println!("backlog: {n} articles, {:.1} MB, guarantee {guarantee:?}, broker {brokers}", bytes as f64 / 1e6);

    // 1. Pass-through over the same backlog.
    let c = cfg(&brokers, "pass", guarantee);
    let mut tc = c.clone();
    tc.kafka.partitions = 4;
    demarche::cmd::topics::create(&tc).await.unwrap();
    produce(&brokers, &c.kafka.input_topics[0], &records).await;
    let batch = c.service.batch_max_records;
    let d = passthrough(&brokers, &c.kafka.input_topics[0], &c.kafka.statements_topic, n as u64, batch).await;
    let pass_rate = n as f64 / d.as_secs_f64();
    println!(
        "pass-through (consume → produce → commit, no extraction): {:.2} s, {:.0} articles/s",
        d.as_secs_f64(),
        pass_rate
    );

    // 2. demarche over the same backlog.
    let c = cfg(&brokers, "demarche", guarantee);
    demarche::cmd::topics::create(&c).await.unwrap();
    produce(&brokers, &c.kafka.input_topics[0], &records).await;
    let token = CancellationToken::new();
    let start = Instant::now();
    let running = demarche::cmd::run::start(c.clone(), pipeline.clone(), token.clone()).await.unwrap();
    let progress = running.progress.clone();
    let rss = PeakRss::start();
    while progress.records() < n as u64 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = start.elapsed();
    let rate = n as f64 / d.as_secs_f64();
    println!(
        "demarche (consume → extract → produce statements/alerts → commit): {:.2} s, {:.0} articles/s, {} statements ({:.0}% of pass-through rate)",
        d.as_secs_f64(),
        rate,
        progress.statements.load(Ordering::Relaxed),
        100.0 * rate / pass_rate
    );

    // 3. Latency at a paced rate, on the running service: produce-to-readable.
    let reader: StreamConsumer = client(&brokers)
        .set("group.id", format!("lat-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "latest")
        .create()
        .unwrap();
    reader.subscribe(&[c.kafka.statements_topic.as_str()]).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let paced: Vec<Vec<u8>> = records
        .iter()
        .take(1000)
        .enumerate()
        .map(|(i, r)| {
            let mut v: serde_json::Value = serde_json::from_slice(r).unwrap();
            v["id"] = serde_json::Value::String(format!("lat-{i}"));
            serde_json::to_vec(&v).unwrap()
        })
        .collect();
    let sent: Arc<std::sync::Mutex<HashMap<String, Instant>>> = Default::default();
    let producer_task = {
        let (brokers, topic, sent) = (brokers.clone(), c.kafka.input_topics[0].clone(), sent.clone());
        tokio::spawn(async move {
            let p: FutureProducer = client(&brokers).set("linger.ms", "0").create().unwrap();
            for (i, r) in paced.iter().enumerate() {
                sent.lock().unwrap().insert(format!("lat-{i}"), Instant::now());
                p.send(FutureRecord::<(), [u8]>::to(&topic).payload(r.as_slice()), Duration::from_secs(10))
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await; // ~200 articles/s
            }
        })
    };
    let mut lat = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && seen.len() < 900 {
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(500), reader.recv()).await {
            if let Some(Ok(e)) = m.payload().map(serde_json::from_slice::<demarche::event::StatementEvent>) {
                if seen.insert(e.article.id.clone()) {
                    if let Some(t) = sent.lock().unwrap().get(&e.article.id) {
                        lat.push(t.elapsed());
                    }
                }
            }
        }
    }
    producer_task.await.unwrap();
    let peak = rss.stop().await;
    lat.sort();
    if !lat.is_empty() {
        let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e3;
        println!(
            "latency at ~200 articles/s, produce → first statement readable: p50 {:.1} ms, p99 {:.1} ms ({} articles)",
            p(0.5),
            p(0.99),
            lat.len()
        );
    }
    println!("resident memory while running: peak {:.0} MB, now {:.0} MB", peak, rss_mb());
    token.cancel();
    let _ = running.task.await;
}

//! Shared by the benchmarks that need a broker: the bulk corpus, a config
//! with per-run topics, a fast producer, resident memory.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

use demarche::config::{Config, Guarantee};

pub fn shared() -> PathBuf {
    std::env::var_os("DEMARCHE_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared"))
}

pub fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

pub fn articles(n: usize) -> Vec<Vec<u8>> {
    let bulk = shared().join("corpus/bulk");
    let mut lines = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&bulk) {
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            for l in std::fs::read_to_string(f).unwrap_or_default().lines().filter(|l| !l.trim().is_empty()) {
                lines.push(l.as_bytes().to_vec());
            }
        }
    }
    if lines.is_empty() {
        println!("{} not found: using examples/articles.jsonl", bulk.display());
        lines = std::fs::read_to_string("examples/articles.jsonl")
            .unwrap()
            .lines()
            .map(|l| l.as_bytes().to_vec())
            .collect();
    }
    lines.iter().cycle().take(n).cloned().collect()
}

pub fn cfg(brokers: &str, tag: &str, guarantee: Guarantee) -> Config {
    let id = format!("{tag}-{}-{}", std::process::id(), Instant::now().elapsed().as_nanos());
    let env = vec![
        ("DEMARCHE__KAFKA__BROKERS".into(), brokers.to_string()),
        ("DEMARCHE__KAFKA__GROUP_ID".into(), format!("g-{id}")),
        ("DEMARCHE__KAFKA__INPUT_TOPICS".into(), format!("[\"in-{id}\"]")),
        ("DEMARCHE__KAFKA__STATEMENTS_TOPIC".into(), format!("st-{id}")),
        ("DEMARCHE__KAFKA__ALERTS_TOPIC".into(), format!("al-{id}")),
        ("DEMARCHE__KAFKA__DEAD_LETTER_TOPIC".into(), format!("dl-{id}")),
        ("DEMARCHE__KAFKA__TRANSACTIONAL_ID".into(), format!("tx-{id}")),
        ("DEMARCHE__KAFKA__PARTITIONS".into(), "4".into()),
        ("DEMARCHE__SERVICE__HTTP_ADDR".into(), "127.0.0.1:0".into()),
        ("DEMARCHE__SERVICE__MAX_POLL_INTERVAL_MS".into(), "10000".into()),
        ("DEMARCHE__SERVICE__DRAIN_TIMEOUT_MS".into(), "8000".into()),
        ("DEMARCHE__SERVICE__BATCH_LINGER_MS".into(), "5".into()),
    ];
    let mut c = Config::load_with_env(None, env).unwrap();
    c.kafka.guarantee = guarantee;
    c.kafka.client.extend(client_props());
    c
}

pub async fn produce(brokers: &str, topic: &str, records: &[Vec<u8>]) {
    let p: FutureProducer =
        ClientConfig::new().set("bootstrap.servers", brokers).set("linger.ms", "5").create().unwrap();
    let mut pending = Vec::new();
    for r in records {
        let rec = FutureRecord::<(), [u8]>::to(topic).payload(r.as_slice());
        pending.push(p.send_result(rec).map_err(|(e, _)| e).unwrap());
        if pending.len() >= 1000 {
            for f in pending.drain(..) {
                f.await.unwrap().map_err(|(e, _)| e).unwrap();
            }
        }
    }
    for f in pending {
        f.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
    p.flush(Duration::from_secs(30)).unwrap();
}

/// Creates topics with `partitions` partitions each.
pub async fn create_topics(brokers: &str, names: &[&str], partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
    let new: Vec<NewTopic> = names.iter().map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1))).collect();
    for r in admin.create_topics(&new, &AdminOptions::new()).await.unwrap() {
        r.unwrap();
    }
}

/// DEMARCHE_BENCH_CLIENT="fetch.wait.max.ms=10,...": librdkafka properties
/// for every client of a benchmark, as `[kafka.client]` gives them to demarche's.
pub fn client_props() -> Vec<(String, String)> {
    std::env::var("DEMARCHE_BENCH_CLIENT")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// A client config for `brokers` with the benchmark's extra properties.
pub fn client(brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for (k, v) in client_props() {
        c.set(k, v);
    }
    c
}

/// The peak resident memory of this process, sampled every 200 ms from
/// [`PeakRss::start`] until [`PeakRss::stop`], in MB.
pub struct PeakRss {
    peak_tenths: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sampler: tokio::task::JoinHandle<()>,
}

impl PeakRss {
    pub fn start() -> Self {
        use std::sync::atomic::Ordering;
        let peak_tenths = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = {
            let (peak, stop) = (peak_tenths.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max((rss_mb() * 10.0) as u64, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        PeakRss { peak_tenths, stop, sampler }
    }

    pub async fn stop(self) -> f64 {
        use std::sync::atomic::Ordering;
        self.stop.store(true, Ordering::Relaxed);
        self.sampler.await.unwrap();
        self.peak_tenths.load(Ordering::Relaxed) as f64 / 10.0
    }
}

//! Replay throughput: a topic of real articles (the bulk corpus, repeated)
//! re-processed by `demarche replay`'s code, with 1 and 2 extraction threads.
//!
//! Needs a broker: `DEMARCHE_BENCH_BROKERS=127.0.0.1:PORT cargo bench --bench replay`
//! (start one with `tansu broker --listener-url tcp://127.0.0.1:PORT
//! --advertised-listener-url tcp://127.0.0.1:PORT --storage-engine memory://tansu/`).
//! `DEMARCHE_BENCH_ARTICLES` sets the topic size (default 100,000);
//! articles come from `../shared/corpus/bulk/` (or DEMARCHE_SHARED).
//!
//! Reports, in articles (records) per second, each over the whole topic:
//! - read only (`--dry-run`: fetch and select, no extraction): the ceiling
//!   the broker and client set;
//! - to a JSONL file (extraction bound), 1 and 2 threads;
//! - to topics (statements, alerts, dead letters through the broker), 1 and
//!   2 threads — the broker runs on the same two cores here.
//!
//! `DEMARCHE_BENCH_CLIENT=k=v,...` adds librdkafka properties (as
//! `[kafka.client]`): tansu 0.6.0 holds every fetch for `fetch.wait.max.ms`
//! (500 ms by default) even when records are waiting, which caps reading at
//! ~5,000 articles/s; `fetch.wait.max.ms=10` takes that wait out.
//! `DEMARCHE_BENCH_ONLY=read` stops after the read-only pass.
//!
//! Peak resident memory of the bench process is sampled while replays run.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use demarche::cmd::replay::{self, Request};
use demarche::config::{Config, Guarantee};
use demarche::replay::checkpoint::Sink;

#[path = "common/mod.rs"]
mod common;
use common::{articles, cfg, create_topics, produce, PeakRss};

fn request(c: &Config, sink: Sink, workers: usize, dry_run: bool, dir: &std::path::Path) -> Request {
    let checkpoint = dir.join(format!("ckpt-{workers}-{dry_run}-{}.json", rand_tag()));
    Request { workers, dry_run, ..Request::new(&c.kafka.input_topics[0], sink, checkpoint) }
}

fn rand_tag() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(brokers) = std::env::var("DEMARCHE_BENCH_BROKERS") else {
        println!("skipping: set DEMARCHE_BENCH_BROKERS to a broker address (see the module docs)");
        return;
    };
    let n: usize = std::env::var("DEMARCHE_BENCH_ARTICLES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let mut c = cfg(&brokers, "replay", Guarantee::AtLeastOnce);
    // The replay's defaults (the shared bench config lingers 5 ms, for the service's latency).
    c.service.batch_max_records = 500;
    c.service.batch_linger_ms = 50;
    let only_read = std::env::var("DEMARCHE_BENCH_ONLY").is_ok_and(|v| v == "read");
    demarche::cmd::topics::create(&c).await.unwrap();
    {
        let records = articles(n);
        let bytes: usize = records.iter().map(Vec::len).sum();
        println!(
            "topic {}: {n} articles, {:.1} MB, 4 partitions, broker {brokers}",
            c.kafka.input_topics[0],
            bytes as f64 / 1e6
        );
        let t = std::time::Instant::now();
        produce(&brokers, &c.kafka.input_topics[0], &records).await;
        println!("produced in {:.1} s", t.elapsed().as_secs_f64());
    }
    let pipeline = Arc::new(demarche::cmd::build_pipeline(&Config::load_with_env(None, Vec::new()).unwrap()).unwrap());
    let dir = tempfile::tempdir().unwrap();

    let rss = PeakRss::start();

    let run = |req: Request, label: String| {
        let (c, pipeline) = (c.clone(), pipeline.clone());
        async move {
            let r = replay::run(&c, pipeline, req, CancellationToken::new()).await.unwrap();
            assert_eq!(r.summary.read, n as u64, "{label}: the whole topic");
            println!(
                "{label}: {:.1} s, {:.0} articles/s ({} statements, {} dead letters)",
                r.elapsed.as_secs_f64(),
                r.rate(),
                r.summary.statements,
                r.summary.dead_letters
            );
            r.rate()
        }
    };
    let file_sink =
        |w: usize| Sink::Files { statements: dir.path().join(format!("out-{w}.jsonl")), alerts: None, rejects: None };

    run(request(&c, file_sink(0), 1, true, dir.path()), "read only (dry run)".into()).await;
    if only_read {
        return;
    }
    let f1 = run(request(&c, file_sink(1), 1, false, dir.path()), "to a file, 1 thread".into()).await;
    let f2 = run(request(&c, file_sink(2), 2, false, dir.path()), "to a file, 2 threads".into()).await;
    println!("file: 2 threads / 1 thread = {:.2}x", f2 / f1);
    let mut rates = Vec::new();
    for w in [1usize, 2] {
        let topics = Sink::Topics {
            statements: format!("{}-w{w}", c.kafka.statements_topic),
            alerts: format!("{}-w{w}", c.kafka.alerts_topic),
            dead_letter: format!("{}-w{w}", c.kafka.dead_letter_topic),
        };
        if let Sink::Topics { statements, alerts, dead_letter } = &topics {
            create_topics(&brokers, &[statements, alerts, dead_letter], 4).await;
        }
        rates.push(run(request(&c, topics, w, false, dir.path()), format!("to topics, {w} thread(s)")).await);
    }
    println!("topics: 2 threads / 1 thread = {:.2}x", rates[1] / rates[0]);
    println!("bench process resident memory: peak {:.0} MB", rss.stop().await);
}

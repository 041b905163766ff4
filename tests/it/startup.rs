//! Start-up checks and failure handling of the Kafka commands: no broker,
//! a broker that never answers, missing topics, a broker without
//! transactions, a consumer that keeps failing, a signal during start-up.
//! The commands are run as a user runs them (the binary), against a closed
//! port or a listener that never answers, and in-process against the mock
//! cluster where a broker is needed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use tokio_util::sync::CancellationToken;

use crate::common::*;
use demarche::config::Guarantee;
use demarche::service::consumer::ServiceError;

/// A local port nothing listens on.
fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    addr
}

/// The binary with `args`, pointed at `brokers`, stderr captured.
fn demarche(brokers: &str, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_demarche"));
    c.args(args)
        .env("DEMARCHE__KAFKA__BROKERS", brokers)
        .env("DEMARCHE__SERVICE__HTTP_ADDR", "127.0.0.1:0")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().expect("demarche starts")
}

/// Waits for the child up to `limit` (then kills it): its exit code (None
/// when killed by a signal or by us), its stderr, and how long it ran.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = started.elapsed();
    (code, reader.join().unwrap(), elapsed)
}

/// The command fails within 15 s, with a few stderr lines, one of them
/// naming the broker address and `kafka.brokers`.
fn fails_fast_naming_the_broker(args: &[&str]) {
    let addr = closed_port();
    let (code, stderr, elapsed) = finish(demarche(&addr, args, &[]), Duration::from_secs(25));
    assert!(elapsed < Duration::from_secs(15), "{args:?} took {elapsed:?}; stderr:\n{stderr}");
    assert!(code.is_some_and(|c| c != 0), "{args:?} exits non-zero ({code:?}); stderr:\n{stderr}");
    let line = stderr.lines().find(|l| l.contains(&addr) && l.contains("kafka.brokers"));
    let line = line.unwrap_or_else(|| panic!("{args:?}: no line names {addr} and kafka.brokers in:\n{stderr}"));
    assert!(line.contains("--brokers") && line.contains("DEMARCHE__KAFKA__BROKERS"), "how to set it: {line}");
    assert!(
        stderr.lines().count() <= 6,
        "{args:?}: not one clear line but {} lines:\n{stderr}",
        stderr.lines().count()
    );
}

#[test]
fn run_at_least_once_without_a_broker_fails_fast_naming_it() {
    fails_fast_naming_the_broker(&["run", "--guarantee", "at_least_once"]);
}

#[test]
fn run_exactly_once_without_a_broker_fails_fast_naming_it() {
    fails_fast_naming_the_broker(&["run", "--guarantee", "exactly_once"]);
}

#[test]
fn topics_create_without_a_broker_fails_fast_naming_it() {
    fails_fast_naming_the_broker(&["topics", "create"]);
}

#[test]
fn replay_without_a_broker_fails_fast_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("cp.json");
    fails_fast_naming_the_broker(&["replay", "--checkpoint", checkpoint.to_str().unwrap()]);
}

#[test]
fn subscribe_without_a_broker_fails_fast_naming_it() {
    fails_fast_naming_the_broker(&["subscribe"]);
}

/// SIGTERM while the start is stalled on a broker that accepts connections
/// and never answers: the process exits within the drain timeout (plus a
/// margin), non-zero, saying what was interrupted.
fn sigterm_during_a_stalled_start(guarantee: &str) {
    // The kernel accepts connections into the backlog; nobody ever reads them.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let drain_ms = 1000;
    let mut child = demarche(
        &addr,
        &["run", "--guarantee", guarantee],
        &[("DEMARCHE__SERVICE__DRAIN_TIMEOUT_MS", &drain_ms.to_string()), ("RUST_LOG", "info")],
    );
    // The signal handler is in place once the HTTP listener is up (it logs its address).
    let mut err = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let waited = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("metrics on http") {
        assert!(waited.elapsed() < Duration::from_secs(20), "no start:\n{}", String::from_utf8_lossy(&seen));
        let mut buf = [0u8; 4096];
        let n = err.read(&mut buf).unwrap();
        assert!(n > 0, "stderr closed:\n{}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "still starting when the signal comes");
    unsafe { libc_kill(child.id() as i32, 15) };
    child.stderr = Some(err);
    let (code, rest, elapsed) = finish(child, Duration::from_secs(30));
    let stderr = format!("{}{rest}", String::from_utf8_lossy(&seen));
    let limit = Duration::from_millis(drain_ms + 2000);
    assert!(elapsed < limit, "exited {elapsed:?} after SIGTERM (drain timeout {drain_ms} ms); stderr:\n{stderr}");
    assert!(code.is_some_and(|c| c != 0), "exits non-zero ({code:?}); stderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "says what was interrupted:\n{stderr}");
    drop(silent);
}

#[test]
fn sigterm_during_a_stalled_exactly_once_start_exits_within_the_drain_timeout() {
    sigterm_during_a_stalled_start("exactly_once");
}

#[test]
fn sigterm_during_a_stalled_at_least_once_start_exits_within_the_drain_timeout() {
    sigterm_during_a_stalled_start("at_least_once");
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// The service's task result within `limit`, or a panic.
async fn stopped_within(
    task: tokio::task::JoinHandle<Result<(), ServiceError>>,
    limit: Duration,
) -> Result<(), ServiceError> {
    tokio::time::timeout(limit, task).await.expect("the service stops by itself").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_input_topic_fails_fast_naming_it() {
    let mock = rdkafka::mocking::MockCluster::new(1).unwrap();
    let cfg = config(&mock.bootstrap_servers(), "notopic");
    let token = CancellationToken::new();
    let running = demarche::cmd::run::start(cfg.clone(), pipeline(), token.clone()).await.unwrap();
    let e = stopped_within(running.task, Duration::from_secs(15)).await.unwrap_err().to_string();
    assert!(e.contains(&cfg.kafka.input_topics[0]) && e.contains("demarche topics create"), "{e}");
    token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_and_subscribe_of_a_missing_topic_fail_naming_it() {
    let mock = rdkafka::mocking::MockCluster::new(1).unwrap();
    let cfg = config(&mock.bootstrap_servers(), "notopic-rs");
    let dir = tempfile::tempdir().unwrap();
    let req = replay_request(
        &cfg,
        demarche::replay::checkpoint::Sink::Files {
            statements: dir.path().join("st.jsonl"),
            alerts: None,
            rejects: None,
        },
        &dir.path().join("cp.json"),
    );
    let e = demarche::cmd::replay::run(&cfg, pipeline(), req, CancellationToken::new()).await.unwrap_err().to_string();
    assert!(e.contains(&cfg.kafka.input_topics[0]) && e.contains("demarche topics create"), "{e}");

    let sub = demarche::cmd::subscribe::Request {
        topic: cfg.kafka.statements_topic.clone(),
        filter: demarche::alerts::Filter::new(Default::default()).unwrap(),
        start: demarche::cmd::subscribe::Start::Beginning,
        follow: false,
        limit: None,
        format: demarche::cmd::subscribe::Format::Json,
        group: None,
        claim_width: 80,
    };
    let mut out = Vec::new();
    let e = tokio::time::timeout(
        Duration::from_secs(15),
        demarche::cmd::subscribe::run(&cfg, &sub, &mut out, CancellationToken::new()),
    )
    .await
    .expect("subscribe stops by itself")
    .unwrap_err()
    .to_string();
    assert!(e.contains(&cfg.kafka.statements_topic) && e.contains("demarche topics create"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_while_init_transactions_hangs_stops_the_start_at_once() {
    let (mock, _brokers, cfg) = mock_cluster("inithang");
    // The transaction coordinator keeps saying it is not ready: init_transactions retries.
    mock.request_errors(
        RDKafkaApiKey::InitProducerId,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS; 2000],
    );
    let token = CancellationToken::new();
    let running = demarche::cmd::run::start(cfg, pipeline(), token.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!running.task.is_finished(), "still starting");
    assert!(!running.health.ready().0);
    token.cancel();
    let e = stopped_within(running.task, Duration::from_secs(2)).await.unwrap_err();
    assert!(matches!(e, ServiceError::Interrupted(_)), "{e}");
    assert!(e.to_string().contains("init_transactions"), "{e}");
}

/// `GET path` on the service's HTTP listener: status and body.
fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_failing_past_its_window_fails_healthz_and_stops_the_service() {
    let (mock, brokers, mut cfg) = mock_cluster("errwin");
    cfg.service.consumer_error_timeout_ms = 2000;
    cfg.kafka.guarantee = Guarantee::AtLeastOnce;
    let records = good_inputs();
    produce(&brokers, &cfg.kafka.input_topics[0], &records[..3]).await;
    let token = CancellationToken::new();
    let running = demarche::cmd::run::start(cfg, pipeline(), token.clone()).await.unwrap();
    let progress = running.progress.clone();
    wait_until(Duration::from_secs(60), "records processed", || progress.records() >= 3).await;
    assert_eq!(http_get(running.http_addr, "/healthz").0, 200);

    mock.broker_down(1).unwrap();
    let addr = running.http_addr;
    let started = Instant::now();
    let (status, body) = loop {
        let (status, body) = tokio::task::spawn_blocking(move || http_get(addr, "/healthz")).await.unwrap();
        if status == 503 || started.elapsed() > Duration::from_secs(40) {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, 503, "/healthz after {:?} of consumer errors: {body}", started.elapsed());
    assert!(body.contains("consumer") && body.contains("consumer_error_timeout_ms"), "{body}");
    let e = stopped_within(running.task, Duration::from_secs(15)).await.unwrap_err();
    assert!(matches!(e, ServiceError::ConsumerFailing(_)), "{e}");
    token.cancel();
    mock.broker_up(1).unwrap();
}

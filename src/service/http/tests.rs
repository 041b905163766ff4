//! Tests of [`super`].

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// Minimal HTTP/1.1 GET with `Connection: close`, read to end.
async fn get(addr: SocketAddr, path: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write request");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("response within 10 s")
        .expect("read response");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("header/body separator");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Reply { status, head: head.to_owned(), body: body.to_owned() }
}

#[tokio::test]
async fn serves_metrics_and_probes_then_shuts_down() {
    let metrics = Arc::new(Metrics::new());
    let health = Arc::new(Health::new());
    let shutdown = CancellationToken::new();
    let (addr, handle) =
        serve("127.0.0.1:0".parse().unwrap(), Arc::clone(&metrics), Arc::clone(&health), shutdown.clone())
            .await
            .expect("bind");
    assert_ne!(addr.port(), 0);

    // Live but not ready at start.
    let r = get(addr, "/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let r = get(addr, "/readyz").await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("no partitions assigned"), "{}", r.body);

    health.set_assigned(1);
    health.set_producer_ok(true);
    let r = get(addr, "/readyz").await;
    assert_eq!((r.status, r.body.as_str()), (200, "ready"));

    metrics.records_consumed("articles", 0);
    let r = get(addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r.head.to_ascii_lowercase().contains(&format!("content-type: {OPENMETRICS_CONTENT_TYPE}")), "{}", r.head);
    assert!(r.body.contains("demarche_records_consumed_total"), "{}", r.body);
    assert!(r.body.contains("demarche_records_consumed_total{topic=\"articles\",partition=\"0\"} 1"), "{}", r.body);
    assert!(r.body.ends_with("# EOF\n"), "{}", r.body);

    assert_eq!(get(addr, "/nope").await.status, 404);

    health.set_fatal("producer fenced");
    let r = get(addr, "/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (503, "producer fenced"));
    let r = get(addr, "/readyz").await;
    assert_eq!(r.status, 503);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("server stops within 10 s of cancellation")
        .expect("server task did not panic");
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed after shutdown");
}

async fn start(limits: HttpLimits) -> (SocketAddr, CancellationToken, JoinHandle<()>) {
    let shutdown = CancellationToken::new();
    let (addr, handle) = serve_with(
        "127.0.0.1:0".parse().unwrap(),
        limits,
        Arc::new(Metrics::new()),
        Arc::new(Health::new()),
        shutdown.clone(),
    )
    .await
    .expect("bind");
    (addr, shutdown, handle)
}

/// Waits until the server closes `stream` (end of file or reset); false if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn healthz_answers_while_idle_connections_fill_the_cap_and_the_quietest_are_closed() {
    let cap = 20;
    // Long timeouts: whatever closes the idle sockets here is the cap.
    let limits = HttpLimits {
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        max_connections: cap,
    };
    let (addr, shutdown, handle) = start(limits).await;
    let mut idle = Vec::new();
    for _ in 0..cap + 50 {
        idle.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let r = tokio::time::timeout(Duration::from_secs(1), get(addr, "/healthz"))
        .await
        .expect("/healthz answers within a second with the cap full of idle sockets");
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    // The server holds at most `cap` of them: the oldest 50 (and one more for the probe) were closed.
    let mut closed = 0;
    for s in idle.iter_mut() {
        if closed_within(s, Duration::from_millis(200)).await {
            closed += 1;
        }
    }
    assert!(closed > 50, "{closed} of {} idle connections closed, cap {cap}", cap + 50);
    drop(idle);
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), handle).await.expect("stops").expect("no panic");
}

#[tokio::test]
async fn a_partial_header_is_closed_after_the_header_read_timeout() {
    let limits = HttpLimits { header_read_timeout: Duration::from_millis(300), ..HttpLimits::default() };
    let (addr, shutdown, _handle) = start(limits).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("write");
    let started = std::time::Instant::now();
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await, "still open after 5 s");
    assert!(started.elapsed() >= Duration::from_millis(250), "closed before the timeout: {:?}", started.elapsed());
    // A connection that never sends a byte goes the same way.
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await, "silent connection still open after 5 s");
    shutdown.cancel();
}

#[tokio::test]
async fn a_connection_that_moves_no_byte_is_closed_after_the_idle_timeout() {
    // Kept alive after a response, with the header timeout out of the way.
    let limits = HttpLimits {
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_millis(300),
        ..HttpLimits::default()
    };
    let (addr, shutdown, _handle) = start(limits).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"ok") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.expect("reply").unwrap();
        assert!(n > 0, "closed before replying: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await, "idle keep-alive connection still open");
    shutdown.cancel();
}

#[test]
fn limits_come_from_the_service_section() {
    let cfg = crate::config::Config::load_with_env(
        None,
        vec![
            ("DEMARCHE__SERVICE__HTTP_HEADER_READ_TIMEOUT_MS".into(), "1500".into()),
            ("DEMARCHE__SERVICE__HTTP_IDLE_TIMEOUT_MS".into(), "2500".into()),
            ("DEMARCHE__SERVICE__HTTP_MAX_CONNECTIONS".into(), "7".into()),
        ],
    )
    .unwrap();
    let l = HttpLimits::from_config(&cfg.service);
    assert_eq!(
        l,
        HttpLimits {
            header_read_timeout: Duration::from_millis(1500),
            idle_timeout: Duration::from_millis(2500),
            max_connections: 7
        }
    );
    let zero = vec![("DEMARCHE__SERVICE__HTTP_MAX_CONNECTIONS".to_string(), "0".to_string())];
    assert!(crate::config::Config::load_with_env(None, zero).is_err());
}

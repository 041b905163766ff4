//! The service's small HTTP server: Prometheus scraping and Kubernetes-style
//! probes.
//!
//! * `GET /metrics` — OpenMetrics text exposition of [`Metrics`].
//! * `GET /healthz` — `200 ok` while live, `503 <reason>` after a fatal error.
//! * `GET /readyz` — `200 ready` when ready, `503 <why not>` otherwise.
//!
//! Anything else is `404`.
//!
//! The accept loop is our own (hyper's HTTP/1 connection under axum's router)
//! so that idle or slow clients cannot take the probes down:
//!
//! * a request header must arrive within [`HttpLimits::header_read_timeout`],
//!   counted from when the server starts waiting for it (a new connection, or
//!   the next request on a kept-alive one), so idle keep-alive connections go too;
//! * a connection that moves no byte either way for [`HttpLimits::idle_timeout`]
//!   (a stalled body, a client that stops reading) is closed;
//! * at most [`HttpLimits::max_connections`] are open. At the cap, the
//!   connection that has been quiet longest is closed to make room: a probe
//!   sends its request as soon as it connects, so sockets left open and silent
//!   are what goes, never the probe. File descriptors stay bounded whatever
//!   the number of sockets a client opens.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::health::Health;
use super::metrics::Metrics;

/// Content type of the OpenMetrics 1.0 text format, as produced by
/// [`Metrics::render`].
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What one client may hold of the server (`[service]` http_* keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// From waiting for a request to having its whole header.
    pub header_read_timeout: Duration,
    /// No byte read or written for this long closes the connection.
    pub idle_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    /// The `[service]` defaults.
    fn default() -> Self {
        HttpLimits::from_config(&crate::config::ServiceConfig::default())
    }
}

impl HttpLimits {
    /// The limits configured in `[service]`.
    pub fn from_config(s: &crate::config::ServiceConfig) -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_millis(s.http_header_read_timeout_ms),
            idle_timeout: Duration::from_millis(s.http_idle_timeout_ms),
            max_connections: s.http_max_connections,
        }
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

/// [`serve_with`] and the default [`HttpLimits`].
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    serve_with(addr, HttpLimits::default(), metrics, health, shutdown).await
}

/// Binds `addr` (port 0 picks a free port) and serves the endpoints on a
/// spawned task until `shutdown` is cancelled; in-flight requests then finish
/// and the task ends. Returns the bound address and the task's handle.
///
/// Binding errors are returned; errors while serving are logged.
pub async fn serve_with(
    addr: SocketAddr,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(AppState { metrics, health });
    let handle = tokio::spawn(async move {
        tracing::info!(addr = %local, "HTTP server listening (/metrics, /healthz, /readyz)");
        accept_loop(listener, app, limits, shutdown).await;
        tracing::info!(addr = %local, "HTTP server stopped");
    });
    Ok((local, handle))
}

/// The open connections, for the cap: when each last moved a byte, and how to close it.
#[derive(Default)]
struct Connections {
    open: Mutex<HashMap<u64, Arc<Conn>>>,
}

struct Conn {
    /// Milliseconds since `epoch` of the last byte read or written.
    last_active_ms: AtomicU64,
    epoch: Instant,
    /// Cancelled to close the connection at once (to make room under the cap).
    evict: CancellationToken,
}

impl Conn {
    fn touch(&self) {
        self.last_active_ms.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        self.epoch.elapsed().saturating_sub(Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed)))
    }
}

impl Connections {
    /// Registers a new connection, first closing the quietest one when `max` are open.
    fn admit(&self, id: u64, conn: Arc<Conn>, max: usize) {
        let mut open = self.open.lock().expect("connections lock");
        while open.len() >= max.max(1) {
            let quietest = open.iter().max_by_key(|(_, c)| c.quiet_for()).map(|(id, _)| *id).expect("non-empty");
            if let Some(c) = open.remove(&quietest) {
                c.evict.cancel();
            }
        }
        open.insert(id, conn);
    }

    fn remove(&self, id: u64) {
        self.open.lock().expect("connections lock").remove(&id);
    }
}

async fn accept_loop(listener: TcpListener, app: Router, limits: HttpLimits, shutdown: CancellationToken) {
    let connections = Arc::new(Connections::default());
    let tasks = TaskTracker::new();
    let epoch = Instant::now();
    let mut next_id = 0u64;
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most often: wait for some to close instead of spinning.
                    tracing::warn!(%error, "HTTP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        next_id += 1;
        let id = next_id;
        let conn = Arc::new(Conn { last_active_ms: AtomicU64::new(0), epoch, evict: CancellationToken::new() });
        conn.touch();
        connections.admit(id, Arc::clone(&conn), limits.max_connections);
        let (app, shutdown, connections) = (app.clone(), shutdown.clone(), Arc::clone(&connections));
        tasks.spawn(async move {
            serve_connection(stream, app, limits, &conn, shutdown).await;
            connections.remove(id);
            tracing::trace!(%peer, "HTTP connection closed");
        });
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
}

/// Serves one connection until the client closes it, a timeout, eviction, or shutdown
/// (which lets a request in progress finish).
async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: HttpLimits,
    conn: &Arc<Conn>,
    shutdown: CancellationToken,
) {
    let io = TokioIo::new(Activity { inner: stream, conn: Arc::clone(conn) });
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(io, TowerToHyperService::new(app));
    tokio::pin!(http);
    let idle = async {
        loop {
            let quiet = conn.quiet_for();
            if quiet >= limits.idle_timeout {
                return;
            }
            tokio::time::sleep(limits.idle_timeout - quiet).await;
        }
    };
    tokio::select! {
        r = http.as_mut() => {
            if let Err(error) = r {
                tracing::debug!(%error, "HTTP connection");
            }
        }
        _ = idle => tracing::debug!("HTTP connection idle: closed"),
        _ = conn.evict.cancelled() => tracing::debug!("HTTP connection closed to stay under the connection cap"),
        _ = shutdown.cancelled() => {
            http.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(limits.idle_timeout, http).await;
        }
    }
}

/// A socket that records when it last moved a byte.
struct Activity {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Activity {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.touch();
        }
        r
    }
}

impl AsyncWrite for Activity {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], state.metrics.render()).into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    if state.health.live() {
        (StatusCode::OK, "ok").into_response()
    } else {
        let reason = state.health.fatal_reason().unwrap_or_else(|| "fatal error".to_owned());
        (StatusCode::SERVICE_UNAVAILABLE, reason).into_response()
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    let (ready, why) = state.health.ready();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, why).into_response()
}

#[cfg(test)]
mod tests {
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
        assert!(
            r.head.to_ascii_lowercase().contains(&format!("content-type: {OPENMETRICS_CONTENT_TYPE}")),
            "{}",
            r.head
        );
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
}

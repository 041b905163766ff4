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
mod tests;

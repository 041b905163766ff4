//! The service's small HTTP server: Prometheus scraping and Kubernetes-style
//! probes.
//!
//! * `GET /metrics` — OpenMetrics text exposition of [`Metrics`].
//! * `GET /healthz` — `200 ok` while live, `503 <reason>` after a fatal error.
//! * `GET /readyz` — `200 ready` when ready, `503 <why not>` otherwise.
//!
//! Anything else is `404`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use super::metrics::Metrics;

/// Content type of the OpenMetrics 1.0 text format, as produced by
/// [`Metrics::render`].
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

/// Binds `addr` (port 0 picks a free port) and serves the endpoints on a
/// spawned task until `shutdown` is cancelled; in-flight requests then finish
/// and the task ends. Returns the bound address and the task's handle.
///
/// Binding errors are returned; errors while serving are logged.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(AppState { metrics, health });
    let handle = tokio::spawn(async move {
        tracing::info!(addr = %local, "HTTP server listening (/metrics, /healthz, /readyz)");
        let server = axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await });
        match server.await {
            Ok(()) => tracing::info!(addr = %local, "HTTP server stopped"),
            Err(error) => tracing::error!(addr = %local, %error, "HTTP server failed"),
        }
    });
    Ok((local, handle))
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
}

//! Stopping on a signal: SIGINT or SIGTERM cancels a token; a long-running
//! task is then given a bounded time to drain; the runtime is shut down
//! without waiting on a blocking call a signal interrupted.
//!
//! The pieces are separate so that the drain can be tested with any task
//! and any token, without sending the test process a signal:
//! [`on_signal`] only cancels, [`drain`] only waits, and [`block_on`] owns
//! the runtime. `demarche run` uses all three; the other Kafka commands
//! stop on [`on_signal`]'s token by themselves.

use std::future::Future;
use std::time::Duration;

use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;

/// How long the runtime waits, after the command returned, for blocking
/// threads still busy (a metadata request, `init_transactions` interrupted by
/// the signal): the process exits without them.
pub const ABANDON_BLOCKING_AFTER: Duration = Duration::from_millis(500);

/// Why a task did not end well, before or during its drain.
#[derive(Debug, thiserror::Error)]
pub enum DrainError<E: std::error::Error + 'static> {
    /// The task panicked or was cancelled by the runtime.
    #[error("service task")]
    Task(#[source] JoinError),
    /// The task stopped by itself with an error, before any signal.
    #[error("service stopped")]
    Stopped(#[source] E),
    /// The task ended with an error while draining.
    #[error("service stopped while draining")]
    StoppedWhileDraining(#[source] E),
    /// The drain took longer than allowed; the caller exits and what was
    /// not committed is read again by the next consumer.
    #[error("drain did not finish within {} ms; uncommitted work will be re-read", .0.as_millis())]
    Timeout(Duration),
}

/// Cancels `token` on SIGINT or SIGTERM (logging which). Must be called
/// inside a runtime.
pub fn on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: draining"),
            _ = term.recv() => tracing::info!("SIGTERM: draining"),
        }
        token.cancel();
    });
}

/// Waits for `task` to end by itself or for `token` to be cancelled; after a
/// cancel, gives the task `limit` to drain (finish and commit its in-flight
/// work). A task that ends cleanly at either point is `Ok`.
pub async fn drain<E: std::error::Error + 'static>(
    mut task: JoinHandle<Result<(), E>>,
    token: &CancellationToken,
    limit: Duration,
) -> Result<(), DrainError<E>> {
    tokio::select! {
        r = &mut task => return r.map_err(DrainError::Task)?.map_err(DrainError::Stopped),
        _ = token.cancelled() => {}
    }
    match tokio::time::timeout(limit, &mut task).await {
        Ok(r) => r.map_err(DrainError::Task)?.map_err(DrainError::StoppedWhileDraining),
        Err(_) => Err(DrainError::Timeout(limit)),
    }
}

/// A multi-threaded runtime with I/O and timers, as every async command uses.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

/// Runs `f` on a new [`runtime`], then shuts the runtime down waiting at most
/// [`ABANDON_BLOCKING_AFTER`] for blocking threads: a signal may have
/// interrupted a blocking Kafka call that still holds one.
pub fn block_on<F: Future>(f: F) -> std::io::Result<F::Output> {
    let rt = runtime()?;
    let out = rt.block_on(f);
    rt.shutdown_timeout(ABANDON_BLOCKING_AFTER);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("broken")]
    struct Broken;

    fn rt() -> tokio::runtime::Runtime {
        runtime().unwrap()
    }

    /// A task that runs until cancelled, then takes `drain_for` and ends with `end`.
    fn service(
        token: &CancellationToken,
        drain_for: Duration,
        end: Result<(), Broken>,
    ) -> JoinHandle<Result<(), Broken>> {
        let token = token.clone();
        tokio::spawn(async move {
            token.cancelled().await;
            tokio::time::sleep(drain_for).await;
            end
        })
    }

    #[test]
    fn a_task_that_drains_in_time_is_a_clean_stop() {
        rt().block_on(async {
            let token = CancellationToken::new();
            let task = service(&token, Duration::from_millis(10), Ok(()));
            token.cancel();
            drain(task, &token, Duration::from_secs(5)).await.unwrap();
        });
    }

    #[test]
    fn a_drain_past_the_limit_is_an_error_saying_so() {
        rt().block_on(async {
            let token = CancellationToken::new();
            let task = service(&token, Duration::from_secs(60), Ok(()));
            token.cancel();
            let e = drain(task, &token, Duration::from_millis(50)).await.unwrap_err();
            assert!(matches!(e, DrainError::Timeout(_)), "{e:?}");
            assert_eq!(e.to_string(), "drain did not finish within 50 ms; uncommitted work will be re-read");
        });
    }

    #[test]
    fn errors_before_and_during_the_drain_are_told_apart() {
        rt().block_on(async {
            // Stops by itself, no signal: the error is returned at once.
            let token = CancellationToken::new();
            let task = tokio::spawn(async { Err::<(), _>(Broken) });
            let e = drain(task, &token, Duration::from_secs(5)).await.unwrap_err();
            assert!(matches!(e, DrainError::Stopped(Broken)), "{e:?}");
            // Fails while draining.
            let token = CancellationToken::new();
            let task = service(&token, Duration::ZERO, Err(Broken));
            token.cancel();
            let e = drain(task, &token, Duration::from_secs(5)).await.unwrap_err();
            assert!(matches!(e, DrainError::StoppedWhileDraining(Broken)), "{e:?}");
            // A task that ends cleanly by itself needs no signal.
            let task = tokio::spawn(async { Ok::<(), Broken>(()) });
            drain(task, &CancellationToken::new(), Duration::from_secs(5)).await.unwrap();
        });
    }

    #[test]
    fn a_panicking_task_is_an_error() {
        rt().block_on(async {
            let task = tokio::spawn(async { panic!("boom") as Result<(), Broken> });
            let e = drain(task, &CancellationToken::new(), Duration::from_secs(5)).await.unwrap_err();
            assert!(matches!(e, DrainError::Task(_)), "{e:?}");
        });
    }

    #[test]
    fn block_on_returns_the_output_without_waiting_for_blocked_threads() {
        let started = std::time::Instant::now();
        let out = block_on(async {
            // A blocking call that outlives the command, as an interrupted librdkafka call would.
            tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_secs(5)));
            7
        })
        .unwrap();
        assert_eq!(out, 7);
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }
}

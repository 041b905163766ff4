//! Liveness and readiness of the service, answered on `GET /healthz` and
//! `GET /readyz` (see [`super::http`]).
//!
//! * **Live** unless a fatal error was recorded with [`Health::set_fatal`]
//!   (the orchestrator should restart the process), the batch in hand is
//!   stuck, or the consumer has kept failing for longer than
//!   `service.consumer_error_timeout_ms` (no broker, say).
//! * **Ready** when partitions are assigned, the producer is usable, the
//!   service is not shutting down and nothing fatal happened.
//!
//! Writers (the consumer loop, rebalance and producer callbacks, the
//! shutdown path) and readers (the HTTP handlers) share one `Arc<Health>`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Shared health state; every method takes `&self`.
#[derive(Debug, Default)]
pub struct Health {
    assigned: AtomicUsize,
    producer_ok: AtomicBool,
    shutting_down: AtomicBool,
    fatal: AtomicBool,
    /// The first fatal reason; only touched on the (rare) fatal path and by
    /// readers that already saw `fatal == true`.
    fatal_reason: Mutex<Option<String>>,
    /// When the batch in hand started (ms since the epoch), 0 when none: a batch
    /// older than `stall_after_ms` means the loop is stuck, and the process is
    /// reported not live so the orchestrator restarts it (its work is re-read).
    batch_started_ms: AtomicU64,
    stall_after_ms: AtomicU64,
    /// The consumer's current run of errors: when it began and when the last
    /// error came (ms since the epoch, 0 when none), and the last error's text.
    /// Errors closer together than [`ERROR_RUN_GAP_MS`] with no record read in
    /// between are one run; one longer than `consumer_error_limit_ms` is not live.
    consumer_errors_since_ms: AtomicU64,
    consumer_error_last_ms: AtomicU64,
    consumer_error_limit_ms: AtomicU64,
    consumer_error: Mutex<String>,
}

/// Errors further apart than this belong to separate runs. With no broker,
/// librdkafka reports a failure at least at every reconnect attempt, and its
/// reconnect backoff is capped at 10 s (`reconnect.backoff.max.ms`); a quiet
/// stretch longer than that means the connection came back.
pub const ERROR_RUN_GAP_MS: u64 = 15_000;

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Health {
    /// Live, not ready: no partitions assigned, producer not yet ok.
    pub fn new() -> Health {
        Health::default()
    }

    /// Number of partitions currently assigned to this consumer (after each
    /// rebalance: assign sets it, a full revoke sets 0).
    pub fn set_assigned(&self, n_partitions: usize) {
        self.assigned.store(n_partitions, Ordering::Release);
    }

    /// Whether the (transactional) producer is initialised and usable.
    pub fn set_producer_ok(&self, ok: bool) {
        self.producer_ok.store(ok, Ordering::Release);
    }

    /// A batch is in hand; `stall_after_ms` is how long it may take before the
    /// service counts as stuck (0 disables the check).
    pub fn begin_batch(&self, stall_after_ms: u64) {
        self.stall_after_ms.store(stall_after_ms, Ordering::Release);
        self.batch_started_ms.store(now_ms(), Ordering::Release);
    }

    pub fn end_batch(&self) {
        self.batch_started_ms.store(0, Ordering::Release);
    }

    /// How long the batch in hand has been running, when it is past the limit.
    pub fn stalled_for_ms(&self) -> Option<u64> {
        let started = self.batch_started_ms.load(Ordering::Acquire);
        let limit = self.stall_after_ms.load(Ordering::Acquire);
        let age = now_ms().saturating_sub(started);
        (started > 0 && limit > 0 && age > limit).then_some(age)
    }

    /// How long the consumer may keep failing before the service counts as
    /// broken (0 disables the check).
    pub fn set_consumer_error_limit(&self, limit_ms: u64) {
        self.consumer_error_limit_ms.store(limit_ms, Ordering::Release);
    }

    /// The consumer reported an error.
    pub fn consumer_error(&self, error: &str) {
        self.consumer_error_at(now_ms(), error);
    }

    fn consumer_error_at(&self, now: u64, error: &str) {
        let last = self.consumer_error_last_ms.swap(now, Ordering::AcqRel);
        if last == 0 || now.saturating_sub(last) > ERROR_RUN_GAP_MS {
            self.consumer_errors_since_ms.store(now, Ordering::Release);
        }
        let mut slot = self.consumer_error.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.clear();
        slot.push_str(error);
    }

    /// The consumer read a record: any run of errors is over.
    pub fn consumer_ok(&self) {
        self.consumer_error_last_ms.store(0, Ordering::Release);
        self.consumer_errors_since_ms.store(0, Ordering::Release);
    }

    /// How long the consumer's current run of errors has lasted, if one is on.
    pub fn consumer_failing_for_ms(&self) -> Option<u64> {
        self.consumer_failing_at(now_ms())
    }

    fn consumer_failing_at(&self, now: u64) -> Option<u64> {
        let since = self.consumer_errors_since_ms.load(Ordering::Acquire);
        let last = self.consumer_error_last_ms.load(Ordering::Acquire);
        (since > 0 && last > 0 && now.saturating_sub(last) <= ERROR_RUN_GAP_MS).then(|| now.saturating_sub(since))
    }

    /// Why the consumer counts as broken: its run of errors is longer than the limit.
    pub fn consumer_broken(&self) -> Option<String> {
        self.consumer_broken_at(now_ms())
    }

    fn consumer_broken_at(&self, now: u64) -> Option<String> {
        let limit = self.consumer_error_limit_ms.load(Ordering::Acquire);
        let failing = self.consumer_failing_at(now).filter(|ms| limit > 0 && *ms > limit)?;
        let last = self.consumer_error.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        Some(format!(
            "the consumer has failed for {} s without reading a record (service.consumer_error_timeout_ms is {} ms); last error: {last}",
            failing / 1000,
            limit
        ))
    }

    /// Shutdown started: readiness turns false for good so that traffic and
    /// partitions move elsewhere while the service drains.
    pub fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    /// Records an unrecoverable error: liveness and readiness turn false for
    /// good. The first reason is kept; later ones are only logged.
    pub fn set_fatal(&self, reason: &str) {
        {
            let mut slot = self.reason_slot();
            if slot.is_none() {
                *slot = Some(reason.to_owned());
            }
        }
        self.fatal.store(true, Ordering::Release);
        tracing::error!(reason, "fatal error recorded; reporting not live");
    }

    /// The first reason passed to [`Health::set_fatal`], if any.
    pub fn fatal_reason(&self) -> Option<String> {
        if !self.fatal.load(Ordering::Acquire) {
            return self
                .stalled_for_ms()
                .map(|ms| format!("stalled: the batch in hand has run for {} s", ms / 1000))
                .or_else(|| self.consumer_broken());
        }
        self.reason_slot().clone()
    }

    /// True unless a fatal error was recorded, the batch in hand is stuck or
    /// the consumer keeps failing.
    pub fn live(&self) -> bool {
        !self.fatal.load(Ordering::Acquire) && self.stalled_for_ms().is_none() && self.consumer_broken().is_none()
    }

    /// `(true, "ready")` when partitions are assigned, the producer is ok,
    /// the service is not shutting down and nothing fatal happened; otherwise
    /// `(false, why)`, listing every unmet condition separated by `; `.
    pub fn ready(&self) -> (bool, String) {
        let mut why = Vec::new();
        if let Some(reason) = self.fatal_reason() {
            why.push(format!("fatal: {reason}"));
        }
        if self.shutting_down.load(Ordering::Acquire) {
            why.push("shutting down".to_owned());
        }
        if self.assigned.load(Ordering::Acquire) == 0 {
            why.push("no partitions assigned".to_owned());
        }
        if !self.producer_ok.load(Ordering::Acquire) {
            why.push("producer not ok".to_owned());
        }
        if why.is_empty() {
            (true, "ready".to_owned())
        } else {
            (false, why.join("; "))
        }
    }

    fn reason_slot(&self) -> MutexGuard<'_, Option<String>> {
        // A panic while holding this lock cannot leave the Option invalid.
        self.fatal_reason.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_batch_older_than_its_limit_is_not_live() {
        let h = Health::new();
        h.begin_batch(10_000);
        assert!(h.live(), "a fresh batch is fine");
        h.batch_started_ms.store(now_ms() - 20_000, Ordering::Release);
        assert!(!h.live());
        assert!(h.fatal_reason().unwrap().starts_with("stalled"));
        h.end_batch();
        assert!(h.live(), "the next batch clears it");
    }

    #[test]
    fn a_run_of_consumer_errors_longer_than_the_limit_is_not_live_until_a_record_is_read() {
        let h = Health::new();
        h.set_consumer_error_limit(60_000);
        let t0 = now_ms();
        h.consumer_error_at(t0 - 70_000, "first");
        for s in (5..=65).step_by(5) {
            h.consumer_error_at(t0 - 70_000 + s * 1000, "all brokers down");
        }
        // 65 s of errors at most 5 s apart, the last 5 s ago: one run of 70 s.
        assert!(!h.live());
        let why = h.fatal_reason().unwrap();
        assert!(why.contains("failed for 70 s") && why.contains("all brokers down"), "{why}");
        assert!(h.ready().1.contains("consumer_error_timeout_ms"));
        h.consumer_ok();
        assert!(h.live(), "a record read ends the run");
        assert_eq!(h.consumer_failing_for_ms(), None);
    }

    #[test]
    fn errors_far_apart_are_separate_runs_and_a_quiet_stretch_ends_a_run() {
        let h = Health::new();
        h.set_consumer_error_limit(20_000);
        let t0 = now_ms() - 100_000;
        h.consumer_error_at(t0, "a");
        h.consumer_error_at(t0 + ERROR_RUN_GAP_MS + 1, "b");
        assert_eq!(h.consumer_failing_at(t0 + ERROR_RUN_GAP_MS + 1_001), Some(1_000), "a new run began");
        for s in 1..=5 {
            h.consumer_error_at(t0 + ERROR_RUN_GAP_MS + s * 5_000, "c");
        }
        assert!(h.consumer_broken_at(t0 + ERROR_RUN_GAP_MS + 25_000).is_some(), "errors 5 s apart for 25 s");
        // No error for longer than the gap: the broker is back, the run is over.
        assert_eq!(h.consumer_failing_at(t0 + 2 * ERROR_RUN_GAP_MS + 25_001), None);
        assert!(h.consumer_broken_at(t0 + 2 * ERROR_RUN_GAP_MS + 25_001).is_none());
        h.set_consumer_error_limit(0);
        assert!(h.consumer_broken_at(t0 + ERROR_RUN_GAP_MS + 25_000).is_none(), "0 disables the check");
    }

    #[test]
    fn starts_live_but_not_ready() {
        let h = Health::new();
        assert!(h.live());
        assert_eq!(h.fatal_reason(), None);
        let (ready, why) = h.ready();
        assert!(!ready);
        assert_eq!(why, "no partitions assigned; producer not ok");
    }

    #[test]
    fn ready_needs_partitions_and_producer() {
        let h = Health::new();
        h.set_assigned(3);
        assert_eq!(h.ready(), (false, "producer not ok".to_owned()));
        h.set_producer_ok(true);
        assert_eq!(h.ready(), (true, "ready".to_owned()));

        h.set_assigned(0);
        assert_eq!(h.ready(), (false, "no partitions assigned".to_owned()));
        h.set_assigned(1);
        h.set_producer_ok(false);
        assert_eq!(h.ready(), (false, "producer not ok".to_owned()));
        h.set_producer_ok(true);
        assert!(h.ready().0);
    }

    #[test]
    fn shutting_down_is_not_ready_but_live() {
        let h = Health::new();
        h.set_assigned(1);
        h.set_producer_ok(true);
        h.set_shutting_down();
        assert!(h.live());
        assert_eq!(h.ready(), (false, "shutting down".to_owned()));
    }

    #[test]
    fn fatal_is_neither_live_nor_ready_and_keeps_first_reason() {
        let h = Health::new();
        h.set_assigned(1);
        h.set_producer_ok(true);
        h.set_fatal("producer fenced");
        h.set_fatal("later error");
        assert!(!h.live());
        assert_eq!(h.fatal_reason().as_deref(), Some("producer fenced"));
        let (ready, why) = h.ready();
        assert!(!ready);
        assert_eq!(why, "fatal: producer fenced");
    }

    #[test]
    fn shared_across_threads() {
        let h = Arc::new(Health::new());
        let writer = {
            let h = Arc::clone(&h);
            std::thread::spawn(move || {
                h.set_assigned(2);
                h.set_producer_ok(true);
            })
        };
        writer.join().unwrap();
        assert!(h.ready().0);
    }
}

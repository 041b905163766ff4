//! The consumer service: raw articles in, statements, alerts and dead letters
//! out, with the offsets moving only when the outputs are safe.
//!
//! The loop works in batches: it polls up to `batch_max_records` records
//! (or what arrives within `batch_linger_ms`), extracts them in parallel on
//! a thread pool off the async runtime (input order is kept: outputs are
//! produced in the order the records were consumed, so each partition's
//! order holds), then makes the batch durable:
//!
//! - `exactly_once`: one transaction holds every output of the batch and the
//!   consumer offsets (`send_offsets_to_transaction`); a failed commit aborts
//!   it and rewinds the consumer to the batch's first offsets, so the batch is
//!   extracted again and nothing is lost or committed twice;
//! - `at_least_once`: the idempotent producer sends the outputs; offsets are
//!   committed only when every delivery is acknowledged.
//!
//! Rebalances happen only while the consumer polls, that is while a batch
//! fills: records of a partition revoked then are dropped from the batch
//! before anything is produced (the partition's next owner reads them again
//! from the committed offset), so no output is ever written for a partition
//! this instance no longer owns. The poll loop is never away longer than one
//! batch (milliseconds), far below `max.poll.interval.ms`.
//!
//! Before consuming, the start-up checks of [`super::preflight`] run (brokers,
//! input topics, transactions for exactly_once); every start-up phase gives
//! way to a shutdown signal. Consumer errors back off exponentially (100 ms
//! doubling to 5 s); errors without a record read for longer than
//! `service.consumer_error_timeout_ms` stop the service (see [`Health`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::commit::{next_offsets, rewind, RewindError};
use super::extraction::Extraction;
use super::health::Health;
use super::metrics::Metrics;
use super::preflight::{self, Needs, PreflightError};
use super::rebalance::{drop_revoked_records, Context, Revoked};
use super::records::{self, InputRecord, OutputRecord, OutputTopics};
use crate::alerts::AlertRules;
use crate::config::{Config, Guarantee};
use crate::kafka::client::{apply_passthrough, client_config, log_client_error, LoggingContext};
use crate::kafka::consume::{blocking, detach, recv_until, Received};
use crate::kafka::produce::{deliver, enqueue, idempotent_producer, OutputProducer};
use crate::pipeline::Pipeline;

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("kafka client: {0}")]
    Client(#[source] KafkaError),
    #[error("transaction failed fatally (another instance with the same transactional id, or the broker fenced this producer): {0}")]
    FatalTransaction(#[source] KafkaError),
    #[error("outputs could not be delivered after {attempts} attempts: {source}")]
    Delivery { attempts: u32, source: KafkaError },
    #[error("extraction thread pool: {0}")]
    Pool(String),
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    #[error("interrupted by a signal while {0}; nothing was consumed")]
    Interrupted(&'static str),
    #[error("{0}; stopping so that a supervisor restarts the service")]
    ConsumerFailing(String),
    #[error("could not rewind {} partition {} to offset {} after a batch that was not committed ({}); stopping rather than risk committing past it", .0.topic, .0.partition, .0.offset, .0.error)]
    Rewind(Box<RewindFailure>),
}

pub use super::commit::RewindFailure;

impl From<RewindError> for ServiceError {
    fn from(e: RewindError) -> ServiceError {
        match e {
            RewindError::Assignment(k) => ServiceError::Client(k),
            RewindError::Failed(f) => ServiceError::Rewind(f),
        }
    }
}

/// Counters a caller can watch while the service runs (the quick start
/// stops when its sample is done; tests wait on them).
#[derive(Debug, Default)]
pub struct Progress {
    pub records: AtomicU64,
    pub statements: AtomicU64,
    pub alerts: AtomicU64,
    pub dead_letters: AtomicU64,
    pub batches: AtomicU64,
    pub aborted: AtomicU64,
    /// Records dropped from a batch because their partition was revoked
    /// while it filled (their next owner reads them again).
    pub revoked_dropped: AtomicU64,
}

impl Progress {
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }
}

/// Everything the service needs, built once.
pub struct Service {
    pub cfg: Config,
    pub pipeline: Arc<Pipeline>,
    pub rules: Arc<AlertRules>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub progress: Arc<Progress>,
}

impl Service {
    fn consumer(&self, revoked: Revoked) -> Result<StreamConsumer<Context>, ServiceError> {
        let mut c = client_config(&self.cfg);
        let s = &self.cfg.service;
        c.set("group.id", &self.cfg.kafka.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("isolation.level", "read_committed")
            .set("max.poll.interval.ms", s.max_poll_interval_ms.to_string())
            .set("session.timeout.ms", s.max_poll_interval_ms.min(45_000).to_string())
            .set("statistics.interval.ms", s.statistics_interval_ms.to_string());
        apply_passthrough(&mut c, &self.cfg);
        let ctx = Context { metrics: self.metrics.clone(), health: self.health.clone(), revoked };
        c.create_with_context(ctx).map_err(ServiceError::Client)
    }

    fn producer(&self) -> Result<OutputProducer, ServiceError> {
        let mut c = idempotent_producer(&self.cfg);
        if self.cfg.kafka.guarantee == Guarantee::ExactlyOnce {
            c.set("transactional.id", self.cfg.kafka.transactional_id())
                .set("transaction.timeout.ms", self.cfg.service.transaction_timeout_ms.to_string());
        }
        apply_passthrough(&mut c, &self.cfg);
        c.create_with_context(LoggingContext).map_err(ServiceError::Client)
    }

    /// Runs until `shutdown` is cancelled (then drains and commits within
    /// `service.drain_timeout_ms`) or a fatal error.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), ServiceError> {
        let eos = self.cfg.kafka.guarantee == Guarantee::ExactlyOnce;
        let txn_timeout = Duration::from_millis(self.cfg.service.transaction_timeout_ms);
        self.health.set_consumer_error_limit(self.cfg.service.consumer_error_timeout_ms);
        // Each start-up phase gives way to a signal. A blocking call it leaves behind
        // (a metadata request, init_transactions) is not waited for: `demarche run`
        // shuts its runtime down without waiting for blocking threads.
        let needs = Needs { topics: &self.cfg.kafka.input_topics, transactions: eos };
        tokio::select! {
            r = preflight::check(&self.cfg, needs) => r?,
            _ = shutdown.cancelled() => return Err(ServiceError::Interrupted("checking the Kafka brokers")),
        }
        let producer = self.producer()?;
        if eos {
            let p = producer.clone();
            let init = tokio::task::spawn_blocking(move || p.init_transactions(txn_timeout));
            tokio::select! {
                r = init => r.expect("init task").map_err(ServiceError::Client)?,
                _ = shutdown.cancelled() => {
                    return Err(ServiceError::Interrupted("initialising transactions (init_transactions)"))
                }
            }
        }
        let revoked = Revoked::default();
        let consumer = Arc::new(self.consumer(revoked.clone())?);
        self.health.set_producer_ok(true);
        let topics: Vec<&str> = self.cfg.kafka.input_topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topics).map_err(ServiceError::Client)?;
        tracing::info!(topics = ?topics, group = %self.cfg.kafka.group_id, guarantee = ?self.cfg.kafka.guarantee, "consuming");

        let extraction = Extraction::new(
            self.pipeline.clone(),
            self.rules.clone(),
            OutputTopics::from_config(&self.cfg),
            self.cfg.service.workers,
            self.cfg.kafka.message_max_bytes(),
        )
        .map_err(|e| ServiceError::Pool(e.to_string()))?;

        let linger = Duration::from_millis(self.cfg.service.batch_linger_ms);
        let mut failures = 0u32;
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        // A record taken while skipping queued errors: the next batch starts with it.
        let mut carried: Option<InputRecord> = None;
        let result = loop {
            if shutdown.is_cancelled() {
                break Ok(());
            }
            if let Some(why) = self.health.consumer_broken() {
                let e = ServiceError::ConsumerFailing(why);
                self.health.set_fatal(&e.to_string());
                break Err(e);
            }
            let batch = self.next_batch(&consumer, carried.take(), &revoked, linger, &shutdown).await;
            let batch = match batch {
                Ok(b) if b.is_empty() => continue,
                Ok(b) => {
                    backoff.reset();
                    b
                }
                Err(e) => {
                    if self.health.consumer_failing_for_ms().is_none() {
                        backoff.reset();
                    }
                    self.health.consumer_error(&e.to_string());
                    log_client_error(&e, "consumer");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.next_wait()) => {}
                        _ = shutdown.cancelled() => {}
                    }
                    carried = self.skip_queued_errors(&consumer).await;
                    continue;
                }
            };
            self.metrics.set_in_flight(batch.len() as i64);
            self.metrics.batch(batch.len());
            // A batch that outlives max.poll.interval.ms means the loop is stuck: /healthz says so.
            self.health.begin_batch(self.cfg.service.max_poll_interval_ms);
            let batch = Arc::new(batch);
            let outcomes = extraction.process(batch.clone()).await;
            let outputs: Vec<&OutputRecord> = outcomes.iter().flat_map(|o| o.records.iter()).collect();
            let durable = if eos {
                self.commit_transaction(&consumer, &producer, &batch, &outputs, txn_timeout).await
            } else {
                self.deliver_then_commit(&consumer, &producer, &batch, &outputs).await
            };
            match durable {
                Ok(()) => {
                    failures = 0;
                    self.account(&batch, &outcomes)
                }
                Err(e @ ServiceError::FatalTransaction(_))
                | Err(e @ ServiceError::Delivery { .. })
                | Err(e @ ServiceError::Rewind(_)) => {
                    self.health.set_fatal(&e.to_string());
                    break Err(e);
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, attempt = failures, "batch not committed; it will be processed again");
                    if failures >= MAX_CONSECUTIVE_FAILURES {
                        let e = ServiceError::Delivery { attempts: failures, source: kafka_error(&e) };
                        self.health.set_fatal(&e.to_string());
                        break Err(e);
                    }
                    // Back off so a broker outage is not hammered.
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(25)))).await;
                }
            }
            self.metrics.set_in_flight(0);
            self.health.end_batch();
        };
        self.health.set_shutting_down();
        if result.is_ok() && !eos {
            // Offsets were committed synchronously after each batch; nothing is pending.
            let c = consumer.clone();
            let _ = blocking(move || c.commit_consumer_state(CommitMode::Sync)).await;
        }
        let p = producer.clone();
        let _ = tokio::task::spawn_blocking(move || p.flush(Duration::from_secs(10))).await;
        consumer.unsubscribe();
        tracing::info!(records = self.progress.records(), "service stopped");
        result
    }

    /// Waits for the first record (or starts with `first`), then takes what
    /// arrives within `linger`, up to the batch size. Records of partitions
    /// revoked meanwhile are dropped. Empty after a second without records,
    /// so the loop can check the consumer's health.
    async fn next_batch(
        &self,
        consumer: &StreamConsumer<Context>,
        first: Option<InputRecord>,
        revoked: &Revoked,
        linger: Duration,
        shutdown: &CancellationToken,
    ) -> Result<Vec<InputRecord>, KafkaError> {
        let max = self.cfg.service.batch_max_records;
        let mut batch = Vec::with_capacity(max.min(1024));
        let first = match first {
            Some(r) => r,
            None => match recv_until(consumer, tokio::time::Instant::now() + IDLE_TICK, Some(shutdown)).await {
                Received::Cancelled | Received::TimedOut => return Ok(batch),
                Received::Error(e) => return Err(e),
                Received::Message(m) => detach(&m),
            },
        };
        self.health.consumer_ok();
        // Revocations so far came before this record, with an empty batch: nothing to drop.
        revoked.lock().unwrap_or_else(|p| p.into_inner()).clear();
        batch.push(first);
        let deadline = tokio::time::Instant::now() + linger;
        while batch.len() < max {
            // No shutdown here: a batch that began fills within its linger and is made durable.
            match recv_until(consumer, deadline, None).await {
                Received::Message(m) => {
                    // A revocation served by this poll came before this record (librdkafka
                    // drops what was fetched for a revoked partition): drop what the batch
                    // holds of it, keep this one.
                    self.drop_revoked(&mut batch, revoked);
                    batch.push(detach(&m));
                }
                Received::Error(e) => {
                    tracing::warn!(error = %e, "consumer error inside a batch");
                    break;
                }
                Received::TimedOut | Received::Cancelled => break,
            }
        }
        self.drop_revoked(&mut batch, revoked);
        Ok(batch)
    }

    fn drop_revoked(&self, batch: &mut Vec<InputRecord>, revoked: &Revoked) {
        let gone = std::mem::take(&mut *revoked.lock().unwrap_or_else(|p| p.into_inner()));
        let n = drop_revoked_records(batch, &gone);
        if n > 0 {
            self.progress.revoked_dropped.fetch_add(n as u64, Ordering::Relaxed);
            self.metrics.revoked_dropped(n as u64);
            tracing::info!(
                records = n,
                "dropped records of partitions revoked while the batch filled; their next owner reads them again"
            );
        }
    }

    /// Takes the errors queued during a backoff at once (they are the same
    /// outage), so none waits a backoff of its own; returns the first record
    /// found behind them.
    async fn skip_queued_errors(&self, consumer: &StreamConsumer<Context>) -> Option<InputRecord> {
        loop {
            // A zero timeout still polls once: what is queued is returned, nothing is awaited.
            match tokio::time::timeout(Duration::ZERO, consumer.recv()).await {
                Ok(Err(e)) => {
                    self.health.consumer_error(&e.to_string());
                    log_client_error(&e, "consumer");
                }
                Ok(Ok(m)) => return Some(detach(&m)),
                Err(_) => return None,
            }
        }
    }

    /// Sends every output, then the batch's offsets, in one transaction.
    async fn commit_transaction(
        &self,
        consumer: &Arc<StreamConsumer<Context>>,
        producer: &OutputProducer,
        batch: &[InputRecord],
        outputs: &[&OutputRecord],
        timeout: Duration,
    ) -> Result<(), ServiceError> {
        producer.begin_transaction().map_err(ServiceError::Client)?;
        let (pending, failed) = enqueue(producer, outputs);
        let offsets = next_offsets(batch);
        let gm = consumer.group_metadata();
        let p = producer.clone();
        let committed = tokio::task::spawn_blocking(move || -> Result<(), KafkaError> {
            if let Some(e) = failed {
                return Err(e);
            }
            // No group metadata means the consumer is not in its group (yet): not committable.
            let gm = gm.ok_or_else(|| KafkaError::Subscription("consumer has no group metadata".into()))?;
            p.send_offsets_to_transaction(&offsets, &gm, timeout)?;
            // A retriable commit error means the commit may still complete: call it
            // again (never abort in between — that conflicts with the commit in progress).
            let mut attempt = 0;
            loop {
                match p.commit_transaction(timeout) {
                    Err(KafkaError::Transaction(t)) if t.is_retriable() && !t.txn_requires_abort() && attempt < 5 => {
                        attempt += 1;
                        std::thread::sleep(Duration::from_millis(200 * attempt));
                    }
                    other => return other,
                }
            }
        })
        .await
        .expect("commit task");
        // Every delivery of a committed transaction succeeded; wait for the reports.
        for f in pending {
            let _ = f.await;
        }
        match committed {
            Ok(()) => {
                self.metrics.transaction("committed");
                Ok(())
            }
            Err(e) => {
                self.metrics.transaction("aborted");
                self.progress.aborted.fetch_add(1, Ordering::Relaxed);
                let fatal = matches!(&e, KafkaError::Transaction(t) if t.is_fatal());
                if fatal {
                    return Err(ServiceError::FatalTransaction(e));
                }
                tracing::warn!(error = %e, records = batch.len(), "transaction failed: aborting and re-reading the batch");
                let unsupported = e.to_string().contains("not supported by broker");
                if unsupported {
                    // The broker cannot end transactions (tansu 0.6.0): no retry can help.
                    return Err(ServiceError::FatalTransaction(e));
                }
                let p = producer.clone();
                let abort =
                    tokio::task::spawn_blocking(move || p.abort_transaction(timeout)).await.expect("abort task");
                if let Err(a) = abort {
                    if matches!(&a, KafkaError::Transaction(t) if t.is_fatal()) {
                        return Err(ServiceError::FatalTransaction(a));
                    }
                    tracing::warn!(error = %a, "abort failed");
                }
                rewind(consumer, batch).await?;
                Err(ServiceError::Client(e))
            }
        }
    }

    /// Sends every output with the idempotent producer and commits the offsets
    /// once all are acknowledged. A failed delivery re-reads the batch.
    async fn deliver_then_commit(
        &self,
        consumer: &Arc<StreamConsumer<Context>>,
        producer: &OutputProducer,
        batch: &[InputRecord],
        outputs: &[&OutputRecord],
    ) -> Result<(), ServiceError> {
        if let Err(e) = deliver(producer, outputs).await {
            rewind(consumer, batch).await?;
            return Err(ServiceError::Client(e));
        }
        let offsets = next_offsets(batch);
        let c = consumer.clone();
        blocking(move || c.commit(&offsets, CommitMode::Sync)).await.map_err(ServiceError::Client)
    }

    fn account(&self, batch: &[InputRecord], outcomes: &[records::Outcome]) {
        let now_ms = chrono::Utc::now().timestamp_millis();
        for (r, o) in batch.iter().zip(outcomes) {
            self.metrics.records_consumed(&r.topic, r.partition);
            self.metrics.observe_extraction(o.extraction_seconds);
            if let Some(ts) = r.timestamp_ms.filter(|t| *t > 0) {
                self.metrics.observe_end_to_end((now_ms - ts).max(0) as f64 / 1000.0);
            }
            for k in &o.statement_kinds {
                self.metrics.statements_produced(k);
            }
            for (rule, sev) in &o.alerts {
                self.metrics.alerts_produced(rule, sev);
            }
            if let Some(kind) = o.dead_letter {
                self.metrics.dead_lettered(kind);
                tracing::warn!(topic = %r.topic, partition = r.partition, offset = r.offset, kind, "record dead-lettered");
            } else if let Some(id) = &o.article_id {
                tracing::debug!(article_id = %id, statements = o.statement_kinds.len(), "article processed");
            }
            self.progress.statements.fetch_add(o.statement_kinds.len() as u64, Ordering::Relaxed);
            self.progress.alerts.fetch_add(o.alerts.len() as u64, Ordering::Relaxed);
            self.progress.dead_letters.fetch_add(u64::from(o.dead_letter.is_some()), Ordering::Relaxed);
        }
        self.progress.records.fetch_add(batch.len() as u64, Ordering::Relaxed);
        self.progress.batches.fetch_add(1, Ordering::Relaxed);
    }
}

/// After this many batches in a row fail to commit, the service stops loudly
/// (non-zero exit, /healthz failing) rather than retrying forever.
const MAX_CONSECUTIVE_FAILURES: u32 = 30;

/// How long the loop waits for a first record before it looks at the
/// consumer's health again.
const IDLE_TICK: Duration = Duration::from_secs(1);

fn kafka_error(e: &ServiceError) -> KafkaError {
    match e {
        ServiceError::Client(k) | ServiceError::FatalTransaction(k) | ServiceError::Delivery { source: k, .. } => {
            k.clone()
        }
        ServiceError::Rewind(f) => f.error.clone(),
        ServiceError::Preflight(PreflightError::Client(k)) => k.clone(),
        ServiceError::Pool(_)
        | ServiceError::Preflight(_)
        | ServiceError::Interrupted(_)
        | ServiceError::ConsumerFailing(_) => KafkaError::Canceled,
    }
}

//! `demarche replay`: re-process a bounded range of a raw-article topic
//! through the live path's extraction and publishing code.
//!
//! The range is resolved to offsets once, when the replay starts (the end
//! offsets are the high watermarks or the offsets of the `--to` time then),
//! and kept in the checkpoint; the replay assigns itself the partitions,
//! never joins the live group and never commits offsets. Each batch is
//! selected (record timestamp, then article day), extracted on the shared
//! thread pool, written to the sink, and only then counted in the
//! checkpoint. Event ids depend only on the article and the extractor, so
//! a replay publishes the ids the live service published.
//!
//! This module is the orchestration; what is asked for is [`Request`]
//! (mapped from the flags by [`Request::from_args`]), and the parts are in
//! [`crate::replay`]: the range reader ([`crate::replay::reader`]), the
//! sinks ([`crate::replay::sink`]), the progress display
//! ([`crate::replay::progress`]) and the checkpoint.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use tokio_util::sync::CancellationToken;

use super::run::{load_rules, RunError};
use crate::config::Config;
use crate::kafka::offsets::{self, OffsetsError};
use crate::pipeline::Pipeline;
use crate::replay::checkpoint::{Checkpoint, CheckpointError, Plan};
use crate::replay::progress::Progress;
pub use crate::replay::progress::ProgressMode;
use crate::replay::rate::RateLimiter;
use crate::replay::reader::{RangeReader, ReadError};
use crate::replay::sink::{self, Output, SinkError};
use crate::replay::window::TimeWindow;
use crate::replay::Summary;
use crate::service::extraction::Extraction;
use crate::service::preflight::{self, Needs, PreflightError};

mod request;
pub use request::{ArgsError, Request, Resume};

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Offsets(#[from] OffsetsError),
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Rules(#[from] RunError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("the unfinished replay in {0} reads another topic or writes other outputs than this one: finish it with --resume, or delete the file")]
    OtherReplay(PathBuf),
    #[error("no checkpoint at {0} to resume")]
    NothingToResume(PathBuf),
    #[error(
        "an unfinished replay left its checkpoint at {0}: continue it with --resume, or delete the file to start over"
    )]
    Unfinished(PathBuf),
    #[error("the checkpoint was written by {found}; this is {running} (another build or other data files), whose events may differ: finish with the same build and data, or start a new replay")]
    ExtractorChanged { found: String, running: String },
    #[error("extraction thread pool: {0}")]
    Pool(String),
}

/// What a replay did.
#[derive(Debug, Clone)]
pub struct Report {
    pub plan: Plan,
    pub summary: Summary,
    /// Stopped by a signal before the end offsets; the checkpoint says where.
    pub interrupted: bool,
    /// `--resume` found the replay already complete.
    pub already_done: bool,
    /// Records read by this run (the summary also counts runs it resumed).
    pub read_this_run: u64,
    pub elapsed: Duration,
}

impl Report {
    /// Records read per second of this run.
    pub fn rate(&self) -> f64 {
        self.read_this_run as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs a replay to its end offsets, or until `shutdown` (then the batch in
/// hand is finished and checkpointed).
pub async fn run(
    cfg: &Config,
    pipeline: Arc<Pipeline>,
    req: Request,
    shutdown: CancellationToken,
) -> Result<Report, ReplayError> {
    let started = Instant::now();
    // A resumed replay reads the topic its checkpoint names, which existed when it was planned.
    let topics = if req.resume == Resume::No { std::slice::from_ref(&req.input_topic) } else { &[] };
    preflight::check(cfg, Needs { topics, transactions: false }).await?;
    let version = pipeline.extractor().version().to_string();
    let (mut state, resumed) = start_state(cfg, &req, &version).await?;
    let report = |state: Checkpoint, interrupted, already_done, read_this_run| Report {
        plan: state.plan,
        summary: state.summary,
        interrupted,
        already_done,
        read_this_run,
        elapsed: started.elapsed(),
    };
    if state.done {
        return Ok(report(state, false, true, 0));
    }
    let plan = state.plan.clone();
    let read_before = state.summary.read;
    for (p, r) in &plan.partitions {
        tracing::info!(
            topic = %plan.input_topic, partition = p, start = r.start, end = r.end,
            start_basis = ?r.start_basis, end_basis = ?r.end_basis, "replay range"
        );
    }
    let resume_files = resumed.then_some(state.files);
    let mut sink = if req.dry_run { None } else { Some(sink::Sink::open(cfg, &plan.sink, resume_files)?) };
    let rules = Arc::new(load_rules(cfg)?);
    let topics = sink::output_topics(&plan.sink);
    let extraction = Extraction::new(pipeline, rules, topics, req.workers, cfg.kafka.message_max_bytes())
        .map_err(|e| ReplayError::Pool(e.to_string()))?;
    let mut reader = RangeReader::open(cfg, &plan.input_topic, &state.remaining(), |p| plan.partitions[&p].end)?;

    let batch_max = match req.max_rate {
        // At most one second's worth per batch, so a low rate is smooth.
        Some(r) => cfg.service.batch_max_records.min((r.ceil() as usize).max(1)),
        None => cfg.service.batch_max_records,
    };
    let mut limiter = req.max_rate.map(|r| RateLimiter::new(r, Instant::now()));
    let mut progress = Progress::start(req.progress, &state, started);
    let linger = Duration::from_millis(cfg.service.batch_linger_ms.max(1));
    let mut interrupted = false;

    while !reader.is_done() {
        if shutdown.is_cancelled() {
            interrupted = true;
            break;
        }
        let batch = reader.next_batch(batch_max, linger, &shutdown).await?;
        // Records first, then the partitions this batch finished: a checkpoint never
        // claims a partition done before its last records are safe.
        let n_read = batch.records.len() as u64;
        let selected = state.summary.select(batch.records, &plan.time, &plan.published);
        if let Some(sink) = sink.as_mut().filter(|_| !selected.is_empty()) {
            let outcomes = extraction.process(Arc::new(selected)).await;
            let outputs: Vec<Output> = outcomes.iter().flat_map(Output::of).collect();
            sink.write(&outputs).await?;
            state.summary.count_outcomes(&outcomes);
            if let Some(lengths) = sink.commit()? {
                state.files = lengths;
            }
        }
        let batch_next_empty = batch.next.is_empty();
        for (p, next) in batch.next {
            let e = state.next.entry(p).or_insert(next);
            *e = (*e).max(next);
        }
        if !req.dry_run && !batch_next_empty {
            state.updated_at = now_rfc3339();
            state.save(&req.checkpoint)?;
        }
        if let Some(l) = limiter.as_mut() {
            let wait = l.reserve(n_read, Instant::now());
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => {}
                }
            }
        }
        progress.update(&state);
    }
    progress.finish(&state);
    if !interrupted {
        state.done = true;
        state.updated_at = now_rfc3339();
        if !req.dry_run {
            state.save(&req.checkpoint)?;
        }
    }
    if let Some(sink) = &sink {
        sink.flush().await;
    }
    let read_this_run = state.summary.read - read_before;
    Ok(report(state, interrupted, false, read_this_run))
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The checkpoint to work from, and whether it is a resumed one.
async fn start_state(cfg: &Config, req: &Request, version: &str) -> Result<(Checkpoint, bool), ReplayError> {
    let existing = Checkpoint::load(&req.checkpoint)?;
    let path = req.checkpoint.clone();
    let resume = match (req.resume, &existing) {
        (Resume::Yes, _) => true,
        (Resume::IfUnfinished, Some(c)) if !c.done => {
            if c.plan.input_topic != req.input_topic || c.plan.sink != req.sink {
                return Err(ReplayError::OtherReplay(path));
            }
            tracing::info!(checkpoint = %path.display(), "continuing the unfinished replay in the checkpoint");
            true
        }
        _ => false,
    };
    if resume {
        let c = existing.ok_or(ReplayError::NothingToResume(path))?;
        if c.plan.extractor != version {
            return Err(ReplayError::ExtractorChanged { found: c.plan.extractor, running: version.to_string() });
        }
        return Ok((c, true));
    }
    if existing.is_some_and(|c| !c.done) && !req.dry_run {
        return Err(ReplayError::Unfinished(path));
    }
    let partitions = offsets::resolve(cfg, &req.input_topic, req.partitions.as_deref(), &req.from, &req.to).await?;
    let plan = Plan {
        input_topic: req.input_topic.clone(),
        partitions,
        time: TimeWindow {
            from_ms: req.from.time().map(|t| t.timestamp_millis()),
            to_ms: req.to.time().map(|t| t.timestamp_millis()),
        },
        published: req.published,
        sink: req.sink.clone(),
        extractor: version.to_string(),
    };
    Ok((Checkpoint::new(plan, &now_rfc3339()), false))
}

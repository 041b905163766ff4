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

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use tokio_util::sync::CancellationToken;

use super::run::{load_rules, RunError};
use crate::config::Config;
use crate::pipeline::Pipeline;
use crate::replay::checkpoint::{Checkpoint, CheckpointError, FileLengths, Plan, Sink};
use crate::replay::position::Position;
use crate::replay::progress::Snapshot;
use crate::replay::rate::RateLimiter;
use crate::replay::window::{self, PublishedWindow, Selection, TimeWindow};
use crate::replay::Summary;
use crate::service::offsets::{self, OffsetsError};
use crate::service::preflight::{self, Needs, PreflightError};
use crate::service::publish::{self, apply_passthrough, client_config, detach, Extraction, LoggingContext};
use crate::service::records::{headers, InputRecord, OutputRecord, OutputTopics};

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
    #[error("records the replay needs were deleted by retention before it read them ({0}); plan a new replay with a later --from")]
    Deleted(KafkaError),
    #[error("{path}: {source}")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("{path} is {found} bytes, shorter than the {expected} the checkpoint recorded: it was changed since")]
    OutputShrank { path: PathBuf, found: u64, expected: u64 },
    #[error("outputs could not be delivered ({0}); the checkpoint holds the last safe position: resume with --resume")]
    Delivery(KafkaError),
    #[error("extraction thread pool: {0}")]
    Pool(String),
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar redrawn on stderr (a terminal).
    Bar,
    /// A log line at this interval.
    Log(Duration),
    Off,
}

/// A replay as asked for on the command line.
#[derive(Debug, Clone)]
pub struct Request {
    pub input_topic: String,
    pub from: Position,
    pub to: Position,
    pub partitions: Option<Vec<i32>>,
    pub published: PublishedWindow,
    pub sink: Sink,
    pub dry_run: bool,
    /// Records per second, at most.
    pub max_rate: Option<f64>,
    /// Extraction threads; 0 is one per core.
    pub workers: usize,
    /// Where the replay stands after each batch (not written by a dry run).
    pub checkpoint: PathBuf,
    pub resume: Resume,
    pub progress: ProgressMode,
}

impl Request {
    /// The whole of `input_topic` as it is now, into `sink`, at full speed
    /// on every core, starting afresh; change the fields for anything else.
    pub fn new(input_topic: &str, sink: Sink, checkpoint: PathBuf) -> Self {
        Request {
            input_topic: input_topic.to_string(),
            from: Position::Earliest,
            to: Position::Latest,
            partitions: None,
            published: PublishedWindow::default(),
            sink,
            dry_run: false,
            max_rate: None,
            workers: 0,
            checkpoint,
            resume: Resume::No,
            progress: ProgressMode::Off,
        }
    }
}

/// Whether to continue the replay recorded in the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Start the replay the request describes (refused over an unfinished checkpoint).
    No,
    /// Continue the checkpoint's replay; the request's range is not used.
    Yes,
    /// Continue the checkpoint's replay when there is an unfinished one of
    /// the same topic and outputs, start the request's otherwise: for jobs
    /// that a scheduler restarts after a failure.
    IfUnfinished,
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
    let (mut state, resumed) = start_state(cfg, &req, &version)?;
    if state.done {
        return Ok(Report {
            plan: state.plan,
            summary: state.summary,
            interrupted: false,
            already_done: true,
            read_this_run: 0,
            elapsed: started.elapsed(),
        });
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
    let mut sink = if req.dry_run { None } else { Some(open_sink(cfg, &plan.sink, resume_files)?) };
    let topics = match &plan.sink {
        Sink::Topics { statements, alerts, dead_letter } => {
            OutputTopics { statements: statements.clone(), alerts: alerts.clone(), dead_letter: dead_letter.clone() }
        }
        Sink::Files { .. } => OutputTopics {
            statements: FILE_STATEMENTS.into(),
            alerts: FILE_ALERTS.into(),
            dead_letter: FILE_REJECTS.into(),
        },
    };
    // Outputs are sized for the producer whatever the sink, so a replay into files
    // gives what the live service (and a replay into topics) would have published.
    let rules = Arc::new(load_rules(cfg)?);
    let extraction = Extraction::new(pipeline, rules, topics, req.workers, cfg.kafka.message_max_bytes())
        .map_err(|e| ReplayError::Pool(e.to_string()))?;

    let remaining = state.remaining();
    let consumer = reader(cfg)?;
    let mut tpl = TopicPartitionList::new();
    for (p, o) in &remaining {
        tpl.add_partition_offset(&plan.input_topic, *p, Offset::Offset(*o))?;
    }
    consumer.assign(&tpl)?;
    let mut remaining: BTreeMap<i32, i64> = remaining.keys().map(|p| (*p, plan.partitions[p].end)).collect();

    let batch_max = match req.max_rate {
        // At most one second's worth per batch, so a low rate is smooth.
        Some(r) => cfg.service.batch_max_records.min((r.ceil() as usize).max(1)),
        None => cfg.service.batch_max_records,
    };
    let mut limiter = req.max_rate.map(|r| RateLimiter::new(r, Instant::now()));
    let mut shown = Shown { last: Instant::now(), run_started: started, done_at_start: state.done_offsets() };
    let linger = Duration::from_millis(cfg.service.batch_linger_ms.max(1));
    let mut interrupted = false;

    while !remaining.is_empty() {
        if shutdown.is_cancelled() {
            interrupted = true;
            break;
        }
        let batch = next_batch(&consumer, &plan.input_topic, &mut remaining, batch_max, linger, &shutdown).await?;
        // Records first, then the partitions this batch finished: a checkpoint never
        // claims a partition done before its last records are safe.
        let n_read = batch.records.len() as u64;
        let mut selected = Vec::with_capacity(batch.records.len());
        for r in batch.records {
            state.summary.read += 1;
            match window::select(&plan.time, &plan.published, r.timestamp_ms, r.payload.as_deref()) {
                Selection::Process => selected.push(r),
                Selection::OutsideTime => state.summary.skipped_time += 1,
                Selection::OutsidePublished => state.summary.skipped_published += 1,
                Selection::NoPublished => state.summary.skipped_no_published += 1,
            }
        }
        state.summary.processed += selected.len() as u64;
        let selected = Arc::new(selected);
        if let Some(sink) = sink.as_mut() {
            if !selected.is_empty() {
                let outcomes = extraction.process(selected.clone()).await;
                let outputs: Vec<&OutputRecord> = outcomes.iter().flat_map(|o| o.records.iter()).collect();
                sink.write(&outputs).await?;
                for o in &outcomes {
                    state.summary.statements += o.statement_kinds.len() as u64;
                    state.summary.alerts += o.alerts.len() as u64;
                    state.summary.dead_letters += u64::from(o.dead_letter.is_some());
                }
            }
            if !selected.is_empty() {
                if let Some(lengths) = sink.commit()? {
                    state.files = lengths;
                }
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
        shown.maybe_show(&state, req.progress, false);
    }
    shown.maybe_show(&state, req.progress, true);
    if !interrupted {
        state.done = true;
        state.updated_at = now_rfc3339();
        if !req.dry_run {
            state.save(&req.checkpoint)?;
        }
    }
    if let Some(Sinks::Kafka(p)) = sink.as_ref() {
        let p = p.clone();
        let _ =
            tokio::task::spawn_blocking(move || rdkafka::producer::Producer::flush(&p, Duration::from_secs(30))).await;
    }
    let read_this_run = state.summary.read - read_before;
    Ok(Report {
        plan,
        summary: state.summary,
        interrupted,
        already_done: false,
        read_this_run,
        elapsed: started.elapsed(),
    })
}

const FILE_STATEMENTS: &str = "\u{0}statements";
const FILE_ALERTS: &str = "\u{0}alerts";
const FILE_REJECTS: &str = "\u{0}rejects";

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The checkpoint to work from, and whether it is a resumed one.
fn start_state(cfg: &Config, req: &Request, version: &str) -> Result<(Checkpoint, bool), ReplayError> {
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
    let partitions = offsets::resolve(cfg, &req.input_topic, req.partitions.as_deref(), &req.from, &req.to)?;
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

/// The consumer that reads the range: assigned partitions, no group
/// membership, no commits, committed records only; an offset deleted by
/// retention is an error, not a silent jump.
fn reader(cfg: &Config) -> Result<StreamConsumer<LoggingContext>, KafkaError> {
    let mut c = client_config(cfg);
    c.set("group.id", "demarche-replay")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "error")
        .set("isolation.level", "read_committed");
    apply_passthrough(&mut c, cfg);
    c.create_with_context(LoggingContext)
}

struct Batch {
    records: Vec<InputRecord>,
    /// Next offset per partition after this batch (records read or the end reached).
    next: BTreeMap<i32, i64>,
}

/// Reads up to `max` records within the range; removes from `remaining`
/// the partitions that reach their end offset.
async fn next_batch(
    consumer: &StreamConsumer<LoggingContext>,
    topic: &str,
    remaining: &mut BTreeMap<i32, i64>,
    max: usize,
    linger: Duration,
    shutdown: &CancellationToken,
) -> Result<Batch, ReplayError> {
    let mut b = Batch { records: Vec::new(), next: BTreeMap::new() };
    let mut deadline: Option<tokio::time::Instant> = None;
    while b.records.len() < max && !remaining.is_empty() {
        let wait = deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_millis(500));
        let got = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = tokio::time::timeout_at(wait, consumer.recv()) => r,
        };
        let m = match got {
            // The linger ended, or nothing came for a while (the caller checks for a signal).
            Err(_) => break,
            Ok(Ok(m)) => m,
            Ok(Err(KafkaError::PartitionEOF(p))) => {
                // At the end of what the broker holds: done if the position reached the end
                // (the last offsets may be transaction markers, which carry no record).
                if let Some(end) = remaining.get(&p).copied() {
                    let pos = position(consumer, topic, p);
                    if pos.is_some_and(|o| o >= end) {
                        finish(consumer, topic, remaining, p);
                        b.next.insert(p, end);
                    }
                }
                continue;
            }
            Ok(Err(e @ KafkaError::MessageConsumption(RDKafkaErrorCode::AutoOffsetReset))) => {
                return Err(ReplayError::Deleted(e));
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "replay consumer");
                continue;
            }
        };
        let r = detach(&m);
        drop(m);
        let Some(&end) = remaining.get(&r.partition) else { continue };
        if r.offset >= end {
            finish(consumer, topic, remaining, r.partition);
            b.next.insert(r.partition, end);
            continue;
        }
        b.next.insert(r.partition, r.offset + 1);
        if r.offset + 1 >= end {
            finish(consumer, topic, remaining, r.partition);
        }
        b.records.push(r);
        deadline.get_or_insert_with(|| tokio::time::Instant::now() + linger);
    }
    Ok(b)
}

/// A partition reached its end: no more fetches for it.
fn finish(consumer: &StreamConsumer<LoggingContext>, topic: &str, remaining: &mut BTreeMap<i32, i64>, p: i32) {
    remaining.remove(&p);
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, p);
    if let Err(e) = consumer.pause(&tpl) {
        tracing::debug!(error = %e, partition = p, "pause");
    }
}

fn position(consumer: &StreamConsumer<LoggingContext>, topic: &str, partition: i32) -> Option<i64> {
    let tpl = consumer.position().ok()?;
    match tpl.find_partition(topic, partition)?.offset() {
        Offset::Offset(o) => Some(o),
        _ => None,
    }
}

/// Where outputs go.
enum Sinks {
    Kafka(publish::OutputProducer),
    Files(FileSink),
}

struct FileSink {
    statements: (PathBuf, BufWriter<File>),
    alerts: Option<(PathBuf, BufWriter<File>)>,
    rejects: Option<(PathBuf, BufWriter<File>)>,
}

fn open_sink(cfg: &Config, sink: &Sink, resume: Option<FileLengths>) -> Result<Sinks, ReplayError> {
    match sink {
        Sink::Topics { .. } => {
            let mut c = publish::idempotent_producer(cfg);
            apply_passthrough(&mut c, cfg);
            Ok(Sinks::Kafka(c.create_with_context(publish::LoggingContext)?))
        }
        Sink::Files { statements, alerts, rejects } => {
            let open = |path: &Path, len: Option<u64>| -> Result<(PathBuf, BufWriter<File>), ReplayError> {
                let err = |e| ReplayError::Output { path: path.into(), source: e };
                let f = match len {
                    None => File::create(path).map_err(err)?,
                    Some(len) => {
                        let mut f = std::fs::OpenOptions::new()
                            .write(true)
                            .create(true)
                            .truncate(false)
                            .open(path)
                            .map_err(err)?;
                        let found = f.metadata().map_err(err)?.len();
                        if found < len {
                            return Err(ReplayError::OutputShrank { path: path.into(), found, expected: len });
                        }
                        // Lines written after the checkpoint belong to batches that will be replayed.
                        f.set_len(len).map_err(err)?;
                        f.seek(std::io::SeekFrom::End(0)).map_err(err)?;
                        f
                    }
                };
                Ok((path.into(), BufWriter::with_capacity(1 << 20, f)))
            };
            Ok(Sinks::Files(FileSink {
                statements: open(statements, resume.map(|l| l.statements))?,
                alerts: alerts.as_deref().map(|p| open(p, resume.map(|l| l.alerts))).transpose()?,
                rejects: rejects.as_deref().map(|p| open(p, resume.map(|l| l.rejects))).transpose()?,
            }))
        }
    }
}

impl Sinks {
    async fn write(&mut self, outputs: &[&OutputRecord]) -> Result<(), ReplayError> {
        match self {
            Sinks::Kafka(p) => publish::deliver(p, outputs).await.map_err(ReplayError::Delivery),
            Sinks::Files(f) => f.write(outputs),
        }
    }

    /// Makes the batch durable; for files, returns their lengths.
    fn commit(&mut self) -> Result<Option<FileLengths>, ReplayError> {
        match self {
            Sinks::Kafka(_) => Ok(None),
            Sinks::Files(f) => f.commit().map(Some),
        }
    }
}

impl FileSink {
    fn write(&mut self, outputs: &[&OutputRecord]) -> Result<(), ReplayError> {
        for o in outputs {
            let (target, line) = match o.topic.as_str() {
                FILE_STATEMENTS => (Some(&mut self.statements), o.payload.clone()),
                FILE_ALERTS => (self.alerts.as_mut(), o.payload.clone()),
                _ => (self.rejects.as_mut(), reject_line(o)),
            };
            if let Some((path, w)) = target {
                let err = |e| ReplayError::Output { path: path.clone(), source: e };
                w.write_all(&line).map_err(err)?;
                w.write_all(b"\n").map_err(err)?;
            }
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<FileLengths, ReplayError> {
        let len = |slot: Option<&mut (PathBuf, BufWriter<File>)>| -> Result<u64, ReplayError> {
            let Some((path, w)) = slot else { return Ok(0) };
            let err = |e| ReplayError::Output { path: path.clone(), source: e };
            w.flush().map_err(err)?;
            let f = w.get_mut();
            f.sync_data().map_err(err)?;
            f.stream_position().map_err(err)
        };
        Ok(FileLengths {
            statements: len(Some(&mut self.statements))?,
            alerts: len(self.alerts.as_mut())?,
            rejects: len(self.rejects.as_mut())?,
        })
    }
}

/// A dead letter written to a file: where the record was and why it failed.
fn reject_line(o: &OutputRecord) -> Vec<u8> {
    let h = |k: &str| {
        o.headers.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).into_owned()).unwrap_or_default()
    };
    let v = serde_json::json!({
        "topic": h(headers::SOURCE_TOPIC),
        "partition": h(headers::SOURCE_PARTITION).parse::<i64>().ok(),
        "offset": h(headers::SOURCE_OFFSET).parse::<i64>().ok(),
        "kind": h(headers::ERROR_KIND),
        "reason": h(headers::ERROR_REASON),
    });
    serde_json::to_vec(&v).expect("JSON")
}

/// The progress display.
struct Shown {
    last: Instant,
    run_started: Instant,
    done_at_start: u64,
}

impl Shown {
    fn maybe_show(&mut self, state: &Checkpoint, mode: ProgressMode, last: bool) {
        let every = match mode {
            ProgressMode::Off => return,
            ProgressMode::Bar => Duration::from_millis(200),
            ProgressMode::Log(d) => d,
        };
        if !last && self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        // The rate and ETA are this run's: a resumed replay does not count earlier runs.
        let snap = Snapshot {
            done: state.done_offsets() - self.done_at_start,
            total: state.plan.total() - self.done_at_start,
            elapsed: self.run_started.elapsed(),
        };
        match mode {
            ProgressMode::Bar => {
                eprint!("\r\x1b[2K{}", snap.bar(30));
                if last {
                    eprintln!();
                }
            }
            ProgressMode::Log(_) => tracing::info!(
                done = snap.done,
                total = snap.total,
                articles_per_s = snap.rate().round() as u64,
                eta_s = snap.eta().map(|d| d.as_secs()),
                statements = state.summary.statements,
                "replay progress"
            ),
            ProgressMode::Off => {}
        }
    }
}

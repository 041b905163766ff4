//! What one consumed record becomes: statement records, alert records, or a
//! dead-letter record — pure functions, so the Kafka loop only moves bytes.
//!
//! Every input ends as output or as a dead letter with its reason; an empty
//! record (a tombstone) is a dead letter too, never a silent skip. Whatever
//! one record holds, what it becomes can be produced: every output fits the
//! producer's `message.max.bytes` (an article whose outputs would not is
//! dead-lettered, a dead letter that would not is cut), and a panic while
//! processing it is its own dead letter. So a failure is always one
//! record's, never its batch's: no record can stall a partition.

use crate::alerts::{alerts_for, AlertRules};
use crate::article::Reject;
use crate::event::{StatementEvent, SCHEMA_VERSION};
use crate::pipeline::Pipeline;

mod fit;
pub use crate::kafka::record::{InputRecord, OutputRecord};
use fit::{cut, REASON_MAX};
pub use fit::{fit_dead_letter, output_limit, truncated, wire_size, DEAD_LETTER_HEADROOM, OUTPUT_MARGIN};

/// The topics outputs go to.
#[derive(Debug, Clone)]
pub struct OutputTopics {
    pub statements: String,
    pub alerts: String,
    pub dead_letter: String,
}

impl OutputTopics {
    /// The live topics named in the configuration.
    pub fn from_config(cfg: &crate::config::Config) -> Self {
        OutputTopics {
            statements: cfg.kafka.statements_topic.clone(),
            alerts: cfg.kafka.alerts_topic.clone(),
            dead_letter: cfg.kafka.dead_letter_topic.clone(),
        }
    }
}

/// What an output record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Statement,
    Alert,
    DeadLetter,
}

/// A dead-lettered record as its headers describe it: why it failed and
/// where it was. The text is the headers' own (reason cleaned and cut,
/// topic cleaned), so a rejects file and the dead-letter topic agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// [`Failure::kind`].
    pub kind: &'static str,
    /// The reason as in the `demarche-error-reason` header.
    pub reason: String,
    /// The source topic as in the `demarche-source-topic` header.
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// What became of one input record.
#[derive(Debug, Default)]
pub struct Outcome {
    pub records: Vec<OutputRecord>,
    /// What each of `records` is, in the same order.
    pub kinds: Vec<OutputKind>,
    /// Why and where from, when the record was dead-lettered.
    pub rejection: Option<Rejection>,
    /// Claim kinds of the statements produced (for metrics).
    pub statement_kinds: Vec<String>,
    /// (rule, severity) of the alerts produced.
    pub alerts: Vec<(String, &'static str)>,
    /// The [`Failure::kind`] when the record was dead-lettered.
    pub dead_letter: Option<&'static str>,
    pub article_id: Option<String>,
    /// Time spent extracting, in seconds.
    pub extraction_seconds: f64,
}

/// Header names on every output.
pub mod headers {
    pub const CONTENT_TYPE: &str = "content-type";
    pub const SCHEMA_VERSION: &str = "demarche-schema-version";
    pub const ARTICLE_ID: &str = "demarche-article-id";
    pub const ACTOR_ID: &str = "demarche-actor-id";
    pub const CLAIM_KIND: &str = "demarche-claim-kind";
    pub const TRACEPARENT: &str = "traceparent";
    pub const ERROR_REASON: &str = "demarche-error-reason";
    pub const ERROR_KIND: &str = "demarche-error-kind";
    pub const SOURCE_TOPIC: &str = "demarche-source-topic";
    pub const SOURCE_PARTITION: &str = "demarche-source-partition";
    pub const SOURCE_OFFSET: &str = "demarche-source-offset";
    pub const ALERT_RULE: &str = "demarche-alert-rule";
    pub const ALERT_SEVERITY: &str = "demarche-alert-severity";
}

fn traceparent(input: &InputRecord) -> Option<&[u8]> {
    input.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(headers::TRACEPARENT)).map(|(_, v)| v.as_slice())
}

use crate::control_chars::is_unsafe;

/// Text from article data (or derived from it) as a key or header value:
/// without the characters [`crate::control_chars::is_unsafe`] names. Payloads need none of this:
/// JSON escapes controls.
pub fn clean(s: &str) -> Vec<u8> {
    if !s.chars().any(is_unsafe) {
        return s.as_bytes().to_vec();
    }
    s.chars().filter(|c| !is_unsafe(*c)).collect::<String>().into_bytes()
}

/// Raw header bytes demarche passes on (the input's traceparent on
/// statements): cleaned as text; bytes that are not UTF-8 are not a
/// traceparent and are dropped.
fn clean_bytes(v: &[u8]) -> Option<Vec<u8>> {
    std::str::from_utf8(v).ok().map(clean)
}

fn event_headers(e: &StatementEvent, trace: Option<&[u8]>) -> Vec<(String, Vec<u8>)> {
    let mut h = vec![
        (headers::CONTENT_TYPE.to_string(), b"application/json".to_vec()),
        (headers::SCHEMA_VERSION.to_string(), SCHEMA_VERSION.to_string().into_bytes()),
        (headers::ARTICLE_ID.to_string(), clean(&e.article.id)),
        (headers::ACTOR_ID.to_string(), clean(e.key())),
        (headers::CLAIM_KIND.to_string(), clean(e.claim.kind.as_str())),
    ];
    if let Some(t) = trace.and_then(clean_bytes) {
        h.push((headers::TRACEPARENT.to_string(), t));
    }
    h
}

/// Why a record went to the dead-letter topic: its input is not an article,
/// its outputs cannot be produced, or processing it failed inside demarche.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Rejected(#[from] Reject),
    /// An output is larger than the producer may send (`message.max.bytes`).
    #[error("{output} is {size} bytes, over the {limit}-byte limit of a record (the producer's message.max.bytes {max_message_bytes} less a {OUTPUT_MARGIN}-byte margin)")]
    OutputTooLarge { output: String, size: usize, limit: usize, max_message_bytes: usize },
    /// A panic while processing the record: a bug in demarche, not in the record.
    #[error("internal error while processing the record (a bug in demarche): {0}")]
    Internal(String),
}

impl Failure {
    /// A short stable name for metrics, headers and rejects files.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Rejected(r) => r.kind(),
            Failure::OutputTooLarge { .. } => "output_too_large",
            Failure::Internal(_) => "internal",
        }
    }
}

/// The dead-letter record of an input: its original bytes and key, unchanged,
/// with the reason and the source position in headers.
///
/// The key and the input's own headers are copied byte for byte, control
/// characters included: they are what the producer sent and may be binary
/// (a Schema Registry key starts with a zero byte), and a re-drive needs them
/// as they were. Every header demarche writes itself is [`clean`]ed.
pub fn dead_letter(input: &InputRecord, reason: &Failure, topic: &str) -> OutputRecord {
    let mut h = vec![
        (headers::ERROR_REASON.to_string(), reason_header(reason)),
        (headers::ERROR_KIND.to_string(), reason.kind().as_bytes().to_vec()),
        (headers::SOURCE_TOPIC.to_string(), clean(&input.topic)),
        (headers::SOURCE_PARTITION.to_string(), input.partition.to_string().into_bytes()),
        (headers::SOURCE_OFFSET.to_string(), input.offset.to_string().into_bytes()),
    ];
    // The input's own headers travel with it, so a re-drive sees what the producer sent;
    // ours are replaced, so a record dead-lettered twice names only its latest source,
    // except the marks of a cut, which still describe the bytes.
    let carried = |k: &str| !k.starts_with("demarche-") || k.starts_with(truncated::PREFIX);
    h.extend(input.headers.iter().filter(|(k, _)| carried(k)).cloned());
    OutputRecord {
        topic: topic.to_string(),
        key: input.key.clone(),
        payload: input.payload.clone().unwrap_or_default(),
        headers: h,
    }
}

/// The reason header of a dead letter: the failure's text, cleaned and cut.
fn reason_header(reason: &Failure) -> Vec<u8> {
    cut(&clean(&reason.to_string()), REASON_MAX).to_vec()
}

/// Processes one input record into its outputs, each of which fits in a
/// record the producer can send (`max_message_bytes` is its
/// `message.max.bytes`). Never fails and never panics: a record that cannot
/// become an article, whose outputs are too large, or whose processing
/// panicked becomes one dead letter, so one record never holds up the
/// others of its batch or its partition.
pub fn process(
    pipeline: &Pipeline,
    rules: &AlertRules,
    topics: &OutputTopics,
    max_message_bytes: usize,
    input: &InputRecord,
    matched_at: &str,
) -> Outcome {
    let started = std::time::Instant::now();
    let limit = output_limit(max_message_bytes);
    // The pipeline and the rules are read-only (no lock, no cell shared across records),
    // so a panic leaves nothing half-updated for the next record: asserting unwind
    // safety is sound, and the panic never reaches the rayon pool or the batch. (This
    // needs panics to unwind: a `panic = "abort"` profile would make one a crash again.)
    let built =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outputs(pipeline, rules, topics, input, matched_at)));
    let mut out = match built {
        Ok(Ok(out)) => match oversize(&out, limit) {
            None => out,
            Some((output, size)) => {
                let f = Failure::OutputTooLarge { output, size, limit, max_message_bytes };
                failed(input, f, topics, limit)
            }
        },
        Ok(Err(reject)) => failed(input, Failure::Rejected(reject), topics, limit),
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(
                topic = %input.topic, partition = input.partition, offset = input.offset, panic = %message,
                "processing a record panicked: dead-lettered as internal"
            );
            failed(input, Failure::Internal(message), topics, limit)
        }
    };
    out.extraction_seconds = started.elapsed().as_secs_f64();
    out
}

/// The outcome of a record that failed: its dead letter alone, cut to fit.
fn failed(input: &InputRecord, reason: Failure, topics: &OutputTopics, limit: usize) -> Outcome {
    // `clean` and `cut` keep text valid UTF-8: these are the header values as text.
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    let rejection = Rejection {
        kind: reason.kind(),
        reason: text(reason_header(&reason)),
        topic: text(clean(&input.topic)),
        partition: input.partition,
        offset: input.offset,
    };
    Outcome {
        dead_letter: Some(reason.kind()),
        records: vec![fit_dead_letter(dead_letter(input, &reason, &topics.dead_letter), limit)],
        kinds: vec![OutputKind::DeadLetter],
        rejection: Some(rejection),
        ..Default::default()
    }
}

/// The first output over `limit`, named for the reason, and its size.
fn oversize(out: &Outcome, limit: usize) -> Option<(String, usize)> {
    let n = out.records.len();
    out.records.iter().enumerate().find(|(_, r)| r.wire_size() > limit).map(|(i, r)| {
        let what = if r.headers.iter().any(|(k, _)| k == headers::ALERT_RULE) { "alert" } else { "statement" };
        let topic = String::from_utf8_lossy(&clean(&r.topic)).into_owned();
        (format!("output {} of {n} (a {what} for topic {topic:?})", i + 1), r.wire_size())
    })
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(s), _) => (*s).to_string(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_string(),
    }
}

/// The outputs of a record, before their sizes are checked.
fn outputs(
    pipeline: &Pipeline,
    rules: &AlertRules,
    topics: &OutputTopics,
    input: &InputRecord,
    matched_at: &str,
) -> Result<Outcome, Reject> {
    let processed = match &input.payload {
        None => Err(Reject::Invalid { field: "record", detail: "empty record (no value)".into() }),
        Some(bytes) => pipeline.process(bytes),
    }?;
    let mut out = Outcome { article_id: Some(processed.article.id.clone()), ..Default::default() };
    let trace = traceparent(input);
    for e in &processed.events {
        let payload = serde_json::to_vec(e).expect("events serialise");
        let key = clean(e.key());
        out.records.push(OutputRecord {
            topic: topics.statements.clone(),
            key: Some(key.clone()),
            payload,
            headers: event_headers(e, trace),
        });
        out.kinds.push(OutputKind::Statement);
        out.statement_kinds.push(e.claim.kind.as_str().to_string());
        for alert in alerts_for(rules, e, matched_at) {
            let mut h = event_headers(e, trace);
            h.push((headers::ALERT_RULE.to_string(), clean(&alert.rule)));
            h.push((headers::ALERT_SEVERITY.to_string(), alert.severity.as_str().as_bytes().to_vec()));
            out.alerts.push((alert.rule.clone(), alert.severity.as_str()));
            out.records.push(OutputRecord {
                topic: topics.alerts.clone(),
                key: Some(key.clone()),
                payload: serde_json::to_vec(&alert).expect("alerts serialise"),
                headers: h,
            });
            out.kinds.push(OutputKind::Alert);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

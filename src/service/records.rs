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

/// A consumed record, detached from the client.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    /// Producer or broker timestamp, milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
}

/// A record to produce.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRecord {
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

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

/// Whether `c` must not reach a key or header value demarche writes: C0 and
/// C1 controls and DEL (a reader that prints keys or headers would pass ESC
/// and OSC sequences, backspaces and newlines to a terminal or a log), and
/// the bidi controls (Unicode `Bidi_Control`), which reorder what is shown.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text from article data (or derived from it) as a key or header value:
/// without the characters [`is_unsafe`] names. Payloads need none of this:
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
        (headers::CLAIM_KIND.to_string(), clean(&e.claim.kind)),
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

/// Bytes librdkafka keeps between a record's size and the `message.max.bytes`
/// it checks it against, on top of its own worst-case accounting in
/// [`wire_size`]: room for a difference between librdkafka versions.
pub const OUTPUT_MARGIN: usize = 1024;

/// What a dead letter adds to the input's bytes: demarche's headers (the
/// reason is at most [`REASON_MAX`]), the key and the input's headers. The
/// configuration refuses an `extract.max_record_bytes` that leaves less than
/// this below `message.max.bytes`, so a rejected record that was within the
/// limit travels whole; anything larger is cut ([`fit_dead_letter`]).
pub const DEAD_LETTER_HEADROOM: usize = 16 * 1024;

/// The reason header is at most this long (a reason may quote the input).
const REASON_MAX: usize = 1024;
/// When a dead letter must be cut: the key and each header value are kept to
/// this many bytes, the headers together to [`HEADERS_CUT`].
const FIELD_CUT: usize = 1024;
const HEADERS_CUT: usize = 8 * 1024;

/// Headers that say what was cut from a dead letter, with the original length
/// (of the payload, of the key) or the number of headers cut or dropped.
pub mod truncated {
    pub const PREFIX: &str = "demarche-truncated-";
    pub const PAYLOAD: &str = "demarche-truncated-payload";
    pub const KEY: &str = "demarche-truncated-key";
    pub const HEADERS: &str = "demarche-truncated-headers";
}

/// The size librdkafka accounts a record at against `message.max.bytes`
/// (`rd_kafka_msg_max_wire_size`: the MsgVersion 2 worst-case overhead of
/// 36 bytes, then key, value and headers, each header its name and value
/// with their lengths as zigzag varints).
pub fn wire_size(key: Option<&[u8]>, payload: &[u8], headers: &[(String, Vec<u8>)]) -> usize {
    const RECORD_OVERHEAD: usize = 5 + 1 + 10 + 5 + 5 + 5 + 5;
    RECORD_OVERHEAD + key.map_or(0, <[u8]>::len) + payload.len() + headers_size(headers)
}

fn headers_size(headers: &[(String, Vec<u8>)]) -> usize {
    headers.iter().map(|(k, v)| header_size(k, v)).sum()
}

fn header_size(name: &str, value: &[u8]) -> usize {
    name.len() + value.len() + varint_size(name.len()) + varint_size(value.len())
}

/// Bytes of a length as a zigzag varint (librdkafka's `rd_uvarint_enc_i64`).
fn varint_size(n: usize) -> usize {
    let bits = usize::BITS - (n << 1 | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

impl OutputRecord {
    pub fn wire_size(&self) -> usize {
        wire_size(self.key.as_deref(), &self.payload, &self.headers)
    }
}

/// The most bytes one output record may take under the producer's
/// `message.max.bytes`.
pub fn output_limit(max_message_bytes: usize) -> usize {
    max_message_bytes.saturating_sub(OUTPUT_MARGIN)
}

/// At most `max` bytes of `bytes`; text stays valid UTF-8 (cut at a
/// character boundary).
fn cut(bytes: &[u8], max: usize) -> &[u8] {
    if bytes.len() <= max {
        return bytes;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            &bytes[..end]
        }
        Err(_) => &bytes[..max],
    }
}

/// A dead letter that fits in `limit` bytes ([`wire_size`]). One that does
/// not is cut: the key and every header value to [`FIELD_CUT`] bytes, the
/// input's headers that then still exceed [`HEADERS_CUT`] together dropped,
/// and the payload to what is left; a `demarche-truncated-*` header says
/// what was cut and its original length. A cut dead letter still names the
/// source position, so the whole record can be read from the input topic.
pub fn fit_dead_letter(mut dl: OutputRecord, limit: usize) -> OutputRecord {
    if dl.wire_size() <= limit {
        return dl;
    }
    let key_len = dl.key.as_ref().map_or(0, Vec::len);
    if let Some(k) = dl.key.as_mut().filter(|k| k.len() > FIELD_CUT) {
        *k = cut(k, FIELD_CUT).to_vec();
    }
    let mut kept = Vec::with_capacity(dl.headers.len());
    let mut headers_cut = 0usize;
    let mut total = 0;
    for (name, value) in std::mem::take(&mut dl.headers) {
        // demarche's own headers come first and are short: they are always kept.
        let long = value.len() > FIELD_CUT;
        let value = if long { cut(&value, FIELD_CUT).to_vec() } else { value };
        let size = header_size(&name, &value);
        let dropped = name.len() > FIELD_CUT || total + size > HEADERS_CUT;
        headers_cut += usize::from(long || dropped);
        if dropped {
            continue;
        }
        total += size;
        kept.push((name, value));
    }
    dl.headers = kept;
    // A mark carried from an earlier cut (a cut dead letter re-driven and rejected again)
    // stays as it is: it gives the length of the record at the source ([`mark`]).
    if key_len > FIELD_CUT {
        mark(&mut dl.headers, truncated::KEY, key_len);
    }
    if headers_cut > 0 {
        mark(&mut dl.headers, truncated::HEADERS, headers_cut);
    }
    let original = dl.payload.len();
    let mark_size = header_size(truncated::PAYLOAD, original.to_string().as_bytes());
    let room = limit.saturating_sub(wire_size(dl.key.as_deref(), &[], &dl.headers) + mark_size);
    // Otherwise the key and headers were the excess, and the payload stays whole.
    if original > room {
        mark(&mut dl.headers, truncated::PAYLOAD, original);
        let n = cut(&dl.payload, room).len();
        dl.payload.truncate(n);
    }
    dl
}

/// Adds a `demarche-truncated-*` header, unless one was carried from an earlier cut.
fn mark(headers: &mut Vec<(String, Vec<u8>)>, name: &str, n: usize) {
    if !headers.iter().any(|(k, _)| k == name) {
        headers.push((name.to_string(), n.to_string().into_bytes()));
    }
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
        out.statement_kinds.push(e.claim.kind.clone());
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
mod tests {
    use super::*;

    fn input(payload: Option<&[u8]>) -> InputRecord {
        InputRecord {
            topic: "articles".into(),
            partition: 2,
            offset: 41,
            key: Some(b"k1".to_vec()),
            payload: payload.map(|p| p.to_vec()),
            headers: vec![("traceparent".into(), b"00-abc-def-01".to_vec())],
            timestamp_ms: Some(0),
        }
    }

    fn header<'a>(r: &'a OutputRecord, k: &str) -> Option<&'a [u8]> {
        r.headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_slice())
    }

    fn header_text(r: &OutputRecord, k: &str) -> Option<String> {
        header(r, k).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    fn pipeline() -> &'static Pipeline {
        static P: std::sync::OnceLock<Pipeline> = std::sync::OnceLock::new();
        P.get_or_init(|| {
            crate::cmd::build_pipeline(&crate::config::Config::load_with_env(None, Vec::new()).unwrap()).unwrap()
        })
    }

    fn topics() -> OutputTopics {
        OutputTopics { statements: "statements".into(), alerts: "alerts".into(), dead_letter: "articles.dlq".into() }
    }

    fn no_rules() -> AlertRules {
        AlertRules::from_toml("none", "").unwrap()
    }

    /// An article with statements (and alerts under the starter rules), with `id`.
    fn article(id: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "id": id,
            "lang": "en",
            "published_at": "2016-05-03",
            "body": "Turkish President Recep Tayyip Erdogan threatened to close the border, and warned Russia that Ankara would respond.",
        }))
        .unwrap()
    }

    const MAX: usize = crate::config::DEFAULT_MESSAGE_MAX_BYTES;

    fn run(input: &InputRecord) -> Outcome {
        process(pipeline(), &no_rules(), &topics(), MAX, input, "2026-01-01T00:00:00.000Z")
    }

    #[test]
    fn dead_letters_keep_bytes_key_and_say_why() {
        let reject = Failure::Rejected(Reject::NotJson { detail: "expected value".into() });
        let dl = dead_letter(&input(Some(b"\xff not json")), &reject, "articles.dlq");
        assert_eq!(dl.payload, b"\xff not json");
        assert_eq!(dl.key.as_deref(), Some(&b"k1"[..]));
        let h = |k: &str| dl.headers.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).to_string());
        assert_eq!(h(headers::ERROR_KIND).as_deref(), Some("not_json"));
        assert_eq!(h(headers::SOURCE_PARTITION).as_deref(), Some("2"));
        assert_eq!(h(headers::SOURCE_OFFSET).as_deref(), Some("41"));
        assert_eq!(h(headers::TRACEPARENT).as_deref(), Some("00-abc-def-01"));
    }

    #[test]
    fn wire_size_counts_key_payload_headers_and_overhead() {
        let h = vec![("ab".to_string(), b"xyz".to_vec())];
        assert_eq!(wire_size(None, b"", &[]), 36);
        assert_eq!(wire_size(Some(b"k"), b"12345", &h), 36 + 1 + 5 + (2 + 3 + 1 + 1));
        // Zigzag: 63 is 126, one byte; 64 is 128, two.
        assert_eq!([0, 1, 63, 64, 8191, 8192, 1 << 20].map(varint_size), [1, 1, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn an_article_whose_outputs_cannot_fit_becomes_one_dead_letter() {
        // The same article with a short id gives statements that fit.
        let fine = run(&input(Some(&article("short-id"))));
        assert!(fine.dead_letter.is_none() && !fine.records.is_empty(), "{fine:?}");
        assert!(fine.records.iter().all(|r| r.topic == "statements"));

        // A 600 KB id is copied into every statement and its article-id header: over 1 MB each.
        let id = "i".repeat(600_000);
        let bytes = article(&id);
        let out = run(&input(Some(&bytes)));
        assert_eq!(out.dead_letter, Some("output_too_large"));
        assert!(out.statement_kinds.is_empty() && out.alerts.is_empty() && out.article_id.is_none());
        assert_eq!(out.records.len(), 1, "the article's outputs replaced by one dead letter");
        let dl = &out.records[0];
        assert_eq!(dl.topic, "articles.dlq");
        assert_eq!(dl.payload, bytes, "the whole article, uncut: it fits");
        assert!(dl.wire_size() <= output_limit(MAX));
        assert_eq!(header_text(dl, headers::ERROR_KIND).as_deref(), Some("output_too_large"));
        let reason = header_text(dl, headers::ERROR_REASON).unwrap();
        assert!(reason.contains("output 1 of") && reason.contains("statement"), "{reason}");
        assert!(reason.contains(&output_limit(MAX).to_string()) && reason.contains("message.max.bytes"), "{reason}");
        assert!(header(dl, truncated::PAYLOAD).is_none());
    }

    #[test]
    fn a_dead_letter_that_cannot_fit_is_cut_and_says_so() {
        // Text near the limit, with multi-byte characters so a cut can fall inside one.
        let text = "é".repeat(499_990).into_bytes();
        assert_eq!(text.len(), 999_980);
        let mut rec = input(Some(&text));
        rec.key = Some(vec![b'k'; 5_000]);
        rec.headers.push(("x-big".into(), vec![b'h'; 3_000]));
        rec.headers.extend((0..500).map(|i| (format!("x-{i}"), b"v".to_vec())));
        let out = run(&rec);
        assert_eq!(out.dead_letter, Some("too_large"));
        let dl = &out.records[0];
        let limit = output_limit(MAX);
        assert!(dl.wire_size() <= limit, "{} > {limit}", dl.wire_size());
        assert!(dl.wire_size() > limit - 100, "the payload is cut only as far as needed");
        assert!(text.starts_with(&dl.payload) && dl.payload.len() < text.len());
        assert!(std::str::from_utf8(&dl.payload).is_ok(), "text is cut at a character boundary");
        assert_eq!(header_text(dl, truncated::PAYLOAD).as_deref(), Some("999980"));
        assert_eq!(header_text(dl, truncated::KEY).as_deref(), Some("5000"));
        assert_eq!(dl.key.as_ref().unwrap().len(), FIELD_CUT);
        assert_eq!(header(dl, "x-big").map(<[u8]>::len), Some(FIELD_CUT));
        let cut_or_dropped: usize = header_text(dl, truncated::HEADERS).unwrap().parse().unwrap();
        let carried = dl.headers.iter().filter(|(k, _)| k.starts_with("x-")).count();
        assert_eq!(carried + cut_or_dropped, 501 + 1, "each input header kept, or counted (x-big both)");
        // Where it came from is always there, so the whole record can be read at the source.
        assert_eq!(header_text(dl, headers::SOURCE_OFFSET).as_deref(), Some("41"));
        assert_eq!(header_text(dl, headers::ERROR_KIND).as_deref(), Some("too_large"));
        assert_eq!(header_text(dl, headers::TRACEPARENT).as_deref(), Some("00-abc-def-01"));

        // Bytes that are not text are cut anywhere; a key and headers that fit stay whole.
        let binary: Vec<u8> = (0..1_200_000u32).map(|i| (i % 251) as u8 | 0x80).collect();
        let out = run(&input(Some(&binary)));
        let dl = &out.records[0];
        assert_eq!(out.dead_letter, Some("too_large"));
        assert!(dl.wire_size() <= limit && dl.wire_size() > limit - 8);
        assert!(binary.starts_with(&dl.payload));
        assert_eq!(header_text(dl, truncated::PAYLOAD).as_deref(), Some("1200000"));
        assert!(header(dl, truncated::KEY).is_none() && header(dl, truncated::HEADERS).is_none());
        assert_eq!(dl.key.as_deref(), Some(&b"k1"[..]));
    }

    #[test]
    fn a_cut_dead_letter_rejected_again_keeps_its_mark_and_names_its_latest_source() {
        let first = &run(&input(Some(&vec![b'x'; 1_200_000]))).records[0];
        assert_eq!(header_text(first, truncated::PAYLOAD).as_deref(), Some("1200000"));
        // Re-driven from the dead-letter topic: still too large for the record limit.
        let again = InputRecord {
            topic: "articles.dlq".into(),
            partition: 0,
            offset: 7,
            key: first.key.clone(),
            payload: Some(first.payload.clone()),
            headers: first.headers.clone(),
            timestamp_ms: None,
        };
        let dl = &run(&again).records[0];
        assert!(dl.wire_size() <= output_limit(MAX));
        let marks: Vec<&str> = dl.headers.iter().filter(|(k, _)| k == truncated::PAYLOAD).map(|_| "m").collect();
        assert_eq!(marks.len(), 1);
        assert_eq!(header_text(dl, truncated::PAYLOAD).as_deref(), Some("1200000"), "the source record's length");
        assert_eq!(header_text(dl, headers::SOURCE_TOPIC).as_deref(), Some("articles.dlq"));
        assert_eq!(header_text(dl, headers::SOURCE_OFFSET).as_deref(), Some("7"));
    }

    #[test]
    fn a_dead_letter_whose_excess_is_its_headers_keeps_its_payload() {
        let mut rec = input(Some(b"not json"));
        rec.headers.push(("x-huge".into(), vec![b'h'; 1_100_000]));
        let out = run(&rec);
        let dl = &out.records[0];
        assert!(dl.wire_size() <= output_limit(MAX));
        assert_eq!(dl.payload, b"not json");
        assert!(header(dl, truncated::PAYLOAD).is_none());
        assert_eq!(header_text(dl, truncated::HEADERS).as_deref(), Some("1"));
    }

    #[test]
    fn the_reason_is_short_and_clean_whatever_the_input_quotes() {
        let date = format!("2016-05-03\u{1b}[2J\u{202e}{}", "9".repeat(50_000));
        let bytes = serde_json::to_vec(&serde_json::json!({"id": "a", "body": "b", "published_at": date})).unwrap();
        let out = run(&input(Some(&bytes)));
        assert_eq!(out.dead_letter, Some("invalid_field"));
        let reason = header(&out.records[0], headers::ERROR_REASON).unwrap();
        assert!(reason.len() <= REASON_MAX);
        let reason = std::str::from_utf8(reason).unwrap();
        assert!(reason.starts_with("field `published_at` is invalid"), "{reason}");
        assert!(!reason.chars().any(is_unsafe), "{reason:?}");
    }

    #[test]
    fn clean_removes_c0_c1_del_and_bidi_controls_only() {
        let dirty = "a\u{0}b\tc\nd\u{1b}[31me\u{7f}f\u{85}g\u{9b}h\u{202e}i\u{2066}j\u{200f}k\u{61c}l";
        assert_eq!(clean(dirty), b"abcd[31mefghijkl");
        let fine = "Erdoğan أردوغان 中文 — \u{200d}ok";
        assert_eq!(clean(fine), fine.as_bytes(), "letters, punctuation and joiners stay");
    }

    #[test]
    fn keys_and_headers_built_from_article_data_carry_no_controls() {
        let rules = AlertRules::from_toml(
            "test",
            "[[rule]]\nname = \"desk\\u001b]0;title\\u0007\\u202e\"\nseverity = \"info\"\nlanguages = [\"en\"]\n",
        )
        .unwrap();
        let id = "art\u{1b}[2K\r\u{202e}-1\u{9b}";
        let mut rec = input(Some(&article(id)));
        rec.headers = vec![("traceparent".into(), b"00-abc\x1b[1m-01".to_vec())];
        let out = process(pipeline(), &rules, &topics(), MAX, &rec, "2026-01-01T00:00:00.000Z");
        assert!(out.dead_letter.is_none(), "{out:?}");
        assert!(out.records.iter().any(|r| r.topic == "alerts"), "the test rule matched");
        for r in &out.records {
            let key = std::str::from_utf8(r.key.as_deref().unwrap()).unwrap();
            assert!(!key.is_empty() && !key.chars().any(is_unsafe), "{key:?}");
            for (name, v) in &r.headers {
                let v = std::str::from_utf8(v).unwrap();
                assert!(!v.chars().any(is_unsafe), "{name}: {v:?}");
            }
            assert_eq!(header_text(r, headers::ARTICLE_ID).as_deref(), Some("art[2K-1"));
            assert_eq!(header_text(r, headers::TRACEPARENT).as_deref(), Some("00-abc[1m-01"));
        }
        let alert = out.records.iter().find(|r| r.topic == "alerts").unwrap();
        assert_eq!(header_text(alert, headers::ALERT_RULE).as_deref(), Some("desk]0;title"));
        // The payloads keep the text as given: JSON escapes it.
        let first: serde_json::Value = serde_json::from_slice(&out.records[0].payload).unwrap();
        assert_eq!(first["article"]["id"], id);
    }

    #[test]
    fn a_dead_letter_passes_on_the_input_key_and_headers_byte_for_byte() {
        // A Schema Registry key starts with a zero byte; a re-drive needs it unchanged.
        let mut rec = input(Some(b"not json"));
        rec.key = Some(b"\x00\x00\x00\x00\x07\x1b".to_vec());
        rec.headers.push(("x-bin".into(), b"\x00\x01\x9b".to_vec()));
        let dl = &run(&rec).records[0];
        assert_eq!(dl.key, rec.key);
        assert_eq!(header(dl, "x-bin"), Some(&b"\x00\x01\x9b"[..]));
    }

    fn panicking_pipeline() -> Pipeline {
        let mut p =
            crate::cmd::build_pipeline(&crate::config::Config::load_with_env(None, Vec::new()).unwrap()).unwrap();
        p.panic_on = Some("PANIC-HERE");
        p
    }

    #[test]
    fn a_panic_while_processing_a_record_becomes_an_internal_dead_letter() {
        let p = panicking_pipeline();
        let bytes = article("PANIC-HERE");
        let out = process(&p, &no_rules(), &topics(), MAX, &input(Some(&bytes)), "now");
        assert_eq!(out.dead_letter, Some("internal"));
        assert_eq!(out.records.len(), 1);
        let dl = &out.records[0];
        assert_eq!(dl.payload, bytes);
        assert_eq!(header_text(dl, headers::ERROR_KIND).as_deref(), Some("internal"));
        let reason = header_text(dl, headers::ERROR_REASON).unwrap();
        assert!(reason.contains("test panic on") && reason.contains("PANIC-HERE"), "{reason}");
        // The same pipeline goes on with the next record.
        let next = process(&p, &no_rules(), &topics(), MAX, &input(Some(&article("fine"))), "now");
        assert!(next.dead_letter.is_none() && !next.records.is_empty());
    }

    #[tokio::test]
    async fn a_panic_in_an_extraction_worker_costs_one_record_not_the_batch_or_the_pool() {
        use crate::service::extraction::Extraction;
        let ex = Extraction::new(
            std::sync::Arc::new(panicking_pipeline()),
            std::sync::Arc::new(no_rules()),
            topics(),
            2,
            MAX,
        )
        .unwrap();
        let batch: Vec<InputRecord> = ["a", "PANIC-HERE", "b", "PANIC-HERE", "c"]
            .iter()
            .enumerate()
            .map(|(i, id)| InputRecord { offset: i as i64, ..input(Some(&article(id))) })
            .collect();
        for _ in 0..2 {
            let outcomes = ex.process(std::sync::Arc::new(batch.clone())).await;
            let kinds: Vec<Option<&str>> = outcomes.iter().map(|o| o.dead_letter).collect();
            assert_eq!(kinds, [None, Some("internal"), None, Some("internal"), None]);
            assert!(outcomes[0].records.iter().all(|r| r.topic == "statements"));
        }
    }
}

//! What one consumed record becomes: statement records, alert records, or a
//! dead-letter record — pure functions, so the Kafka loop only moves bytes.
//!
//! Every input ends as output or as a dead letter with its reason; an empty
//! record (a tombstone) is a dead letter too, never a silent skip.

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

/// What became of one input record.
#[derive(Debug, Default)]
pub struct Outcome {
    pub records: Vec<OutputRecord>,
    /// Claim kinds of the statements produced (for metrics).
    pub statement_kinds: Vec<String>,
    /// (rule, severity) of the alerts produced.
    pub alerts: Vec<(String, &'static str)>,
    /// The reject kind when the record was dead-lettered.
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
}

fn traceparent(input: &InputRecord) -> Option<&[u8]> {
    input.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(headers::TRACEPARENT)).map(|(_, v)| v.as_slice())
}

fn event_headers(e: &StatementEvent, trace: Option<&[u8]>) -> Vec<(String, Vec<u8>)> {
    let mut h = vec![
        (headers::CONTENT_TYPE.to_string(), b"application/json".to_vec()),
        (headers::SCHEMA_VERSION.to_string(), SCHEMA_VERSION.to_string().into_bytes()),
        (headers::ARTICLE_ID.to_string(), e.article.id.clone().into_bytes()),
        (headers::ACTOR_ID.to_string(), e.key().as_bytes().to_vec()),
        (headers::CLAIM_KIND.to_string(), e.claim.kind.clone().into_bytes()),
    ];
    if let Some(t) = trace {
        h.push((headers::TRACEPARENT.to_string(), t.to_vec()));
    }
    h
}

/// The dead-letter record of an input: its original bytes and key, unchanged,
/// with the reason and the source position in headers.
pub fn dead_letter(input: &InputRecord, reject: &Reject, topic: &str) -> OutputRecord {
    let mut h = vec![
        (headers::ERROR_REASON.to_string(), reject.to_string().into_bytes()),
        (headers::ERROR_KIND.to_string(), reject.kind().as_bytes().to_vec()),
        (headers::SOURCE_TOPIC.to_string(), input.topic.clone().into_bytes()),
        (headers::SOURCE_PARTITION.to_string(), input.partition.to_string().into_bytes()),
        (headers::SOURCE_OFFSET.to_string(), input.offset.to_string().into_bytes()),
    ];
    // The input's own headers travel with it, so a re-drive sees what the producer sent;
    // ours are replaced, so a record dead-lettered twice names only its latest source.
    h.extend(input.headers.iter().filter(|(k, _)| !k.starts_with("demarche-")).cloned());
    OutputRecord {
        topic: topic.to_string(),
        key: input.key.clone(),
        payload: input.payload.clone().unwrap_or_default(),
        headers: h,
    }
}

/// Processes one input record into its outputs. Never fails: a record that
/// cannot become an article becomes a dead letter.
pub fn process(
    pipeline: &Pipeline,
    rules: &AlertRules,
    topics: &OutputTopics,
    input: &InputRecord,
    matched_at: &str,
) -> Outcome {
    let started = std::time::Instant::now();
    let result = match &input.payload {
        None => Err(Reject::Invalid { field: "record", detail: "empty record (no value)".into() }),
        Some(bytes) => pipeline.process(bytes),
    };
    let mut out = Outcome { extraction_seconds: started.elapsed().as_secs_f64(), ..Default::default() };
    match result {
        Err(reject) => {
            out.dead_letter = Some(reject.kind());
            out.records.push(dead_letter(input, &reject, &topics.dead_letter));
        }
        Ok(processed) => {
            out.article_id = Some(processed.article.id.clone());
            let trace = traceparent(input);
            for e in &processed.events {
                let payload = serde_json::to_vec(e).expect("events serialise");
                out.records.push(OutputRecord {
                    topic: topics.statements.clone(),
                    key: Some(e.key().as_bytes().to_vec()),
                    payload,
                    headers: event_headers(e, trace),
                });
                out.statement_kinds.push(e.claim.kind.clone());
                for alert in alerts_for(rules, e, matched_at) {
                    let mut h = event_headers(e, trace);
                    h.push(("demarche-alert-rule".to_string(), alert.rule.clone().into_bytes()));
                    h.push(("demarche-alert-severity".to_string(), alert.severity.as_str().as_bytes().to_vec()));
                    out.alerts.push((alert.rule.clone(), alert.severity.as_str()));
                    out.records.push(OutputRecord {
                        topic: topics.alerts.clone(),
                        key: Some(e.key().as_bytes().to_vec()),
                        payload: serde_json::to_vec(&alert).expect("alerts serialise"),
                        headers: h,
                    });
                }
            }
        }
    }
    out
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

    #[test]
    fn dead_letters_keep_bytes_key_and_say_why() {
        let reject = Reject::NotJson { detail: "expected value".into() };
        let dl = dead_letter(&input(Some(b"\xff not json")), &reject, "articles.dlq");
        assert_eq!(dl.payload, b"\xff not json");
        assert_eq!(dl.key.as_deref(), Some(&b"k1"[..]));
        let h = |k: &str| dl.headers.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).to_string());
        assert_eq!(h(headers::ERROR_KIND).as_deref(), Some("not_json"));
        assert_eq!(h(headers::SOURCE_PARTITION).as_deref(), Some("2"));
        assert_eq!(h(headers::SOURCE_OFFSET).as_deref(), Some("41"));
        assert_eq!(h(headers::TRACEPARENT).as_deref(), Some("00-abc-def-01"));
    }
}

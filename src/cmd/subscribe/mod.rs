//! `demarche subscribe`: follow the statements (or alerts) topic, keep the
//! events that pass a filter — the same matcher as the alert rules — and
//! print them as readable lines or as JSONL.
//!
//! Without `--group` it reads as an observer: partitions assigned directly,
//! nothing committed, nobody's group disturbed. With `--group NAME` it joins
//! that group, resumes from its committed offsets and commits what it printed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use crate::alerts::Alert;
use crate::config::Config;
use crate::event::StatementEvent;
use crate::kafka::client::{apply_passthrough, client_config, log_client_error, LoggingContext};
use crate::kafka::consume::{blocking, recv_until, Received};
use crate::kafka::offsets::{self, OffsetsError};
use crate::replay::position::Position;
use crate::replay::window::TimeWindow;
use crate::service::preflight::{self, Needs, PreflightError};

mod request;
pub use request::{ArgsError, Format, Request, Start, StartError, Terminal};

#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Offsets(#[from] OffsetsError),
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

/// What a subscription saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub read: u64,
    pub matched: u64,
    /// Records that were neither a statement event nor an alert.
    pub unreadable: u64,
}

/// A record of the followed topic: an alert (which carries its statement),
/// or a statement. The shapes share no required field, so one read decides.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Item {
    Alert(Box<Alert>),
    Statement(Box<StatementEvent>),
}

impl Item {
    fn parse(payload: &[u8]) -> Option<Item> {
        serde_json::from_slice(payload).ok()
    }

    fn event(&self) -> &StatementEvent {
        match self {
            Item::Statement(e) => e,
            Item::Alert(a) => &a.statement,
        }
    }
}

fn line(item: &Item, payload: &[u8], format: Format, width: usize) -> Vec<u8> {
    match format {
        // The record as published, byte for byte (compact JSON: one line).
        Format::Json => payload.to_vec(),
        Format::Pretty { color, terminal } => {
            let mut s = String::new();
            if let Item::Alert(a) = item {
                let (b, r) = if color { ("\x1b[1;31m", "\x1b[0m") } else { ("", "") };
                s.push_str(&format!("{b}[{} {}]{r} ", a.severity.as_str(), crate::pretty::sanitize(&a.rule)));
            }
            s.push_str(&crate::pretty::line(item.event(), width, crate::pretty::Style { color, terminal }));
            s.into_bytes()
        }
    }
}

fn consumer(
    cfg: &Config,
    group: Option<&str>,
    from_beginning: bool,
) -> Result<StreamConsumer<LoggingContext>, KafkaError> {
    let mut c = client_config(cfg);
    c.set("isolation.level", "read_committed").set("enable.partition.eof", "true");
    match group {
        Some(g) => {
            // Offsets are stored after an event is written out, and committed in the background.
            c.set("group.id", g)
                .set("enable.auto.commit", "true")
                .set("enable.auto.offset.store", "false")
                .set("auto.offset.reset", if from_beginning { "earliest" } else { "latest" });
        }
        None => {
            c.set("group.id", "demarche-subscribe").set("enable.auto.commit", "false");
        }
    }
    apply_passthrough(&mut c, cfg);
    c.create_with_context(LoggingContext)
}

/// Whether every partition to read has reached its end. With a group, only
/// the partitions this member was given count (and it must have some).
fn all_read(
    c: &StreamConsumer<LoggingContext>,
    group: bool,
    ends: &BTreeMap<i32, i64>,
    finished: &BTreeSet<i32>,
) -> bool {
    if !group {
        return ends.keys().all(|p| finished.contains(p));
    }
    let mine: Vec<i32> = c
        .assignment()
        .map(|a| a.elements().iter().map(|e| e.partition()).filter(|p| ends.contains_key(p)).collect())
        .unwrap_or_default();
    !mine.is_empty() && mine.iter().all(|p| finished.contains(p))
}

/// Follows the topic until the end offsets (without `follow`), the limit,
/// or `shutdown`.
pub async fn run(
    cfg: &Config,
    req: &Request,
    out: &mut (dyn Write + Send),
    shutdown: CancellationToken,
) -> Result<Report, SubscribeError> {
    preflight::check(cfg, Needs { topics: std::slice::from_ref(&req.topic), transactions: false }).await?;
    let from_beginning = req.start == Start::Beginning;
    let c = Arc::new(consumer(cfg, req.group.as_deref(), from_beginning)?);
    let mut report = Report::default();
    let time = TimeWindow {
        from_ms: match req.start {
            Start::Since(t) => Some(t.timestamp_millis()),
            _ => None,
        },
        to_ms: None,
    };
    // The end of each partition now: where --no-follow stops.
    let mut ends: BTreeMap<i32, i64> = BTreeMap::new();
    {
        let from = req.start.position();
        let ranges = offsets::resolve(cfg, &req.topic, None, &from, &Position::Latest).await?;
        match &req.group {
            None => {
                let mut tpl = TopicPartitionList::new();
                for (p, r) in &ranges {
                    tpl.add_partition_offset(&req.topic, *p, Offset::Offset(r.start))?;
                    if r.start < r.end {
                        ends.insert(*p, r.end);
                    }
                }
                c.assign(&tpl)?;
            }
            Some(_) => {
                c.subscribe(&[&req.topic])?;
                ends = ranges.iter().map(|(p, r)| (*p, r.end)).collect();
            }
        }
    }
    // With a group, a partition is finished when it reaches its end or reports EOF
    // (its committed offset may already be past the end).
    let mut finished: BTreeSet<i32> = BTreeSet::new();
    // Whether to ask if reading is done: at the start, when a partition finishes, when idle.
    let mut check = true;
    let mut backoff = crate::service::backoff::Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        if req.limit.is_some_and(|l| report.matched >= l) || shutdown.is_cancelled() {
            break;
        }
        if !req.follow && std::mem::take(&mut check) && all_read(&c, req.group.is_some(), &ends, &finished) {
            break;
        }
        let got = recv_until(&c, tokio::time::Instant::now() + Duration::from_millis(500), Some(&shutdown)).await;
        let m = match got {
            Received::Cancelled => break,
            Received::TimedOut => {
                check = true;
                continue;
            }
            Received::Error(KafkaError::PartitionEOF(p)) => {
                check |= finished.insert(p);
                continue;
            }
            Received::Error(e) => {
                // A broker gone away reports an error per poll: log them rate-limited and
                // wait longer after each in a row instead of spinning on them.
                log_client_error(&e, "subscription consumer");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(backoff.next_wait()) => {}
                }
                continue;
            }
            Received::Message(m) => {
                backoff.reset();
                m
            }
        };
        let (p, o) = (m.partition(), m.offset());
        if let Some(&end) = ends.get(&p) {
            if o + 1 >= end {
                check |= finished.insert(p);
            }
            if o >= end && !req.follow {
                continue;
            }
        }
        report.read += 1;
        if time.contains(m.timestamp().to_millis()) {
            let payload = m.payload().unwrap_or_default();
            match Item::parse(payload) {
                None => {
                    report.unreadable += 1;
                    tracing::warn!(partition = p, offset = o, "not a statement event or an alert; skipped");
                }
                Some(item) if req.filter.matches(item.event()) => {
                    out.write_all(&line(&item, payload, req.format, req.claim_width))?;
                    out.write_all(b"\n")?;
                    if req.follow {
                        // A follower wants each event as it comes, even through a pipe.
                        out.flush()?;
                    }
                    report.matched += 1;
                }
                Some(_) => {}
            }
        }
        if req.group.is_some() {
            out.flush()?;
            c.store_offset_from_message(&m)?;
        }
    }
    out.flush()?;
    if req.group.is_some() {
        // What was printed is committed before leaving the group.
        let c = c.clone();
        if let Err(e) = blocking(move || c.commit_consumer_state(rdkafka::consumer::CommitMode::Sync)).await {
            tracing::debug!(error = %e, "final commit (nothing stored is not an error)");
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> StatementEvent {
        let line = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/articles.jsonl")).unwrap();
        let cfg = Config::load_with_env(None, Vec::new()).unwrap();
        let p = crate::cmd::build_pipeline(&cfg).unwrap();
        p.process(line.lines().next().unwrap().as_bytes()).unwrap().events.remove(0)
    }

    #[test]
    fn statements_and_alerts_are_told_apart_and_anything_else_is_not_an_item() {
        let e = event();
        let s = serde_json::to_vec(&e).unwrap();
        assert!(matches!(Item::parse(&s), Some(Item::Statement(_))));
        let a = Alert {
            alert_id: "a".into(),
            rule: "r".into(),
            severity: crate::alerts::Severity::Critical,
            matched_at: "t".into(),
            statement: e,
        };
        let a = serde_json::to_vec(&a).unwrap();
        assert!(matches!(Item::parse(&a), Some(Item::Alert(_))));
        assert!(Item::parse(br#"{"id":"x","body":"an article"}"#).is_none());
        assert!(Item::parse(b"\xff").is_none());
    }

    #[test]
    fn json_lines_are_the_record_as_published_and_pretty_lines_name_the_rule() {
        let e = event();
        let s = serde_json::to_vec(&e).unwrap();
        let item = Item::parse(&s).unwrap();
        assert_eq!(line(&item, &s, Format::Json, 80), s);
        let a = Alert {
            alert_id: "a".into(),
            rule: "rule-x".into(),
            severity: crate::alerts::Severity::Critical,
            matched_at: "t".into(),
            statement: e.clone(),
        };
        let raw = serde_json::to_vec(&a).unwrap();
        let pretty = String::from_utf8(line(
            &Item::parse(&raw).unwrap(),
            &raw,
            Format::Pretty { color: false, terminal: false },
            80,
        ))
        .unwrap();
        assert!(pretty.starts_with("[critical rule-x] "), "{pretty}");
        assert!(pretty.contains(&e.actor.name));
    }
}

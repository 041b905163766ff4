//! `demarche subscribe`: follow the statements (or alerts) topic, keep the
//! events that pass a filter — the same matcher as the alert rules — and
//! print them as readable lines or as JSONL.
//!
//! Without `--group` it reads as an observer: partitions assigned directly,
//! nothing committed, nobody's group disturbed. With `--group NAME` it joins
//! that group, resumes from its committed offsets and commits what it printed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use crate::alerts::{Alert, Filter};
use crate::config::Config;
use crate::event::StatementEvent;
use crate::replay::position::Position;
use crate::replay::window::TimeWindow;
use crate::service::offsets::{self, OffsetsError};
use crate::service::preflight::{self, Needs, PreflightError};
use crate::service::publish::{apply_passthrough, client_config, LoggingContext};

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

/// Where reading starts (without a group; a group resumes from its commits,
/// and only `Beginning` or `Latest` say where a group without commits starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Beginning,
    /// Only events published to the topic from now on.
    Latest,
    /// Records whose timestamp is at or after this time.
    Since(DateTime<Utc>),
    /// These offsets; partitions not listed are read from their beginning.
    Offsets(BTreeMap<i32, i64>),
}

impl Start {
    /// The start `--from` names (the vocabulary of `replay --from`).
    pub fn from_position(p: Position) -> Start {
        match p {
            Position::Earliest => Start::Beginning,
            Position::Latest => Start::Latest,
            Position::Time(t) => Start::Since(t),
            Position::Offsets(o) => Start::Offsets(o),
        }
    }

    /// The start `--from` (or `--from-beginning`) asks for. A group resumes
    /// from its commits: with one, only where a group without commits starts
    /// (earliest or latest) can be given.
    pub fn from_flags(from: &str, from_beginning: bool, group: bool) -> Result<Start, StartError> {
        let start = if from_beginning { Start::Beginning } else { Start::from_position(from.parse()?) };
        if group && !matches!(start, Start::Beginning | Start::Latest) {
            return Err(StartError::WithGroup(from.to_string()));
        }
        Ok(start)
    }

    fn position(&self) -> Position {
        match self {
            Start::Beginning => Position::Earliest,
            Start::Latest => Position::Latest,
            Start::Since(t) => Position::Time(*t),
            Start::Offsets(o) => Position::Offsets(o.clone()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Position(#[from] crate::replay::position::PositionError),
    #[error("`{0}` with --group: a group resumes from its commits; only earliest or latest (where a group without commits starts) can be given")]
    WithGroup(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `terminal`: the output is a terminal (bidi isolates around the claim).
    Pretty {
        color: bool,
        terminal: bool,
    },
    Json,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub topic: String,
    pub filter: Filter,
    pub start: Start,
    /// Keep reading new events; otherwise stop at the end offsets seen at the start.
    pub follow: bool,
    pub limit: Option<u64>,
    pub format: Format,
    pub group: Option<String>,
    /// Characters of claim text in a pretty line.
    pub claim_width: usize,
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
    let c = consumer(cfg, req.group.as_deref(), from_beginning)?;
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
        let ranges = offsets::resolve(cfg, &req.topic, None, &from, &Position::Latest)?;
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
        let got = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = tokio::time::timeout(Duration::from_millis(500), c.recv()) => r,
        };
        let m = match got {
            Err(_) => {
                check = true;
                continue;
            }
            Ok(Err(KafkaError::PartitionEOF(p))) => {
                check |= finished.insert(p);
                continue;
            }
            Ok(Err(e)) => {
                // A broker gone away reports an error per poll: log them rate-limited and
                // wait longer after each in a row instead of spinning on them.
                crate::service::publish::log_client_error(&e, "subscription consumer");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(backoff.next_wait()) => {}
                }
                continue;
            }
            Ok(Ok(m)) => {
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
        if let Err(e) = c.commit_consumer_state(rdkafka::consumer::CommitMode::Sync) {
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
    fn the_start_is_read_from_the_from_vocabulary() {
        assert_eq!(Start::from_flags("latest", false, false).unwrap(), Start::Latest);
        assert_eq!(Start::from_flags("latest", true, false).unwrap(), Start::Beginning);
        assert_eq!(Start::from_flags("beginning", false, true).unwrap(), Start::Beginning);
        assert!(matches!(Start::from_flags("2h", false, false).unwrap(), Start::Since(_)));
        let Start::Offsets(o) = Start::from_flags("0:5,2:9", false, false).unwrap() else { panic!() };
        assert_eq!(o.into_iter().collect::<Vec<_>>(), [(0, 5), (2, 9)]);
        assert!(matches!(Start::from_flags("2h", false, true), Err(StartError::WithGroup(_))));
        assert!(matches!(Start::from_flags("0:5", false, true), Err(StartError::WithGroup(_))));
        assert!(matches!(Start::from_flags("yesterday", false, false), Err(StartError::Position(_))));
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

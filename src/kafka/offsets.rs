//! Turning positions (earliest, latest, a time, explicit offsets) into the
//! offsets of a topic's partitions, on a live broker, for `replay` and
//! `subscribe`. The checking of time answers is pure and lives in
//! [`crate::replay::time_index`]; this module asks the broker and reads the
//! neighbouring records it needs. Every request here blocks (for up to 15 s
//! each): [`resolve`] runs them on the blocking pool.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::client::{apply_passthrough, client_config, LoggingContext};
use crate::config::Config;
use crate::replay::checkpoint::PartitionRange;
use crate::replay::position::Position;
use crate::replay::time_index::{self, Basis};

const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum OffsetsError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("topic {0} does not exist (or has no partitions)")]
    NoTopic(String),
    #[error("partition {partition} is not in topic {topic} (it has {count})")]
    NoPartition { topic: String, partition: i32, count: usize },
    #[error("partition {partition}: offset {offset} is outside what the broker holds ({low}..{high})")]
    OutOfRange { partition: i32, offset: i64, low: i64, high: i64 },
}

/// The partitions of `topic`, in order.
fn partitions(consumer: &BaseConsumer, topic: &str) -> Result<Vec<i32>, OffsetsError> {
    let md = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
    let t = md.topics().iter().find(|t| t.name() == topic).ok_or_else(|| OffsetsError::NoTopic(topic.into()))?;
    if t.error().is_some() || t.partitions().is_empty() {
        return Err(OffsetsError::NoTopic(topic.into()));
    }
    let mut ps: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    ps.sort_unstable();
    Ok(ps)
}

/// Low and high watermarks of each partition.
fn watermarks(consumer: &BaseConsumer, topic: &str, parts: &[i32]) -> Result<BTreeMap<i32, (i64, i64)>, OffsetsError> {
    parts.iter().map(|&p| Ok((p, consumer.fetch_watermarks(topic, p, TIMEOUT)?))).collect()
}

/// The broker's answers to "first offset at or after `ts_ms`" per partition;
/// None for a partition (or all) when the broker cannot answer.
fn offsets_for_time(
    consumer: &BaseConsumer,
    topic: &str,
    parts: &[i32],
    ts_ms: i64,
    edges: &BTreeMap<i32, (i64, i64)>,
) -> BTreeMap<i32, Option<i64>> {
    let mut tpl = TopicPartitionList::new();
    for &p in parts {
        tpl.add_partition_offset(topic, p, Offset::Offset(ts_ms)).expect("valid offset");
    }
    let answered = match consumer.offsets_for_times(tpl, TIMEOUT) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "the broker cannot find offsets by time; scanning and filtering by record timestamps");
            return parts.iter().map(|&p| (p, None)).collect();
        }
    };
    parts
        .iter()
        .map(|&p| {
            let o = answered.find_partition(topic, p).and_then(|e| match (e.error(), e.offset()) {
                (Err(_), _) => None,
                (Ok(()), Offset::Offset(o)) if o >= 0 => Some(o),
                // No record at or after the time: the end of the partition.
                (Ok(()), Offset::End) => Some(edges[&p].1),
                _ => None,
            });
            (p, o)
        })
        .collect()
}

/// Reads single records: their timestamps, for checking time answers, and
/// the real ends of partitions.
struct Probe {
    consumer: BaseConsumer<LoggingContext>,
    topic: String,
}

impl Probe {
    fn new(mut config: rdkafka::config::ClientConfig, topic: &str) -> Result<Probe, KafkaError> {
        // A probe reads single records and ends: no fetch should wait for more data.
        config
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .set("enable.partition.eof", "true")
            .set("fetch.wait.max.ms", "10");
        if config.get("group.id").is_none() {
            config.set("group.id", "demarche-probe");
        }
        Ok(Probe { consumer: config.create_with_context(LoggingContext)?, topic: topic.to_string() })
    }

    /// The timestamp of the record at exactly `offset`, if it can be read.
    fn timestamp_at(&self, partition: i32, offset: i64) -> Option<i64> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&self.topic, partition, Offset::Offset(offset)).ok()?;
        self.consumer.assign(&tpl).ok()?;
        let deadline = std::time::Instant::now() + TIMEOUT;
        while std::time::Instant::now() < deadline {
            match self.consumer.poll(Duration::from_millis(200)) {
                Some(Ok(m)) if m.partition() == partition => {
                    // A transaction marker at `offset` makes the next record arrive instead: unknown.
                    return (m.offset() == offset).then(|| m.timestamp().to_millis()).flatten();
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, partition, offset, "probe");
                    return None;
                }
                _ => {}
            }
        }
        None
    }
}

impl Probe {
    /// The end of each partition as its records show it: reads from the
    /// last record below the reported high watermark to the end, all
    /// partitions at once. With Apache Kafka that is one record per
    /// partition and the watermarks stand; tansu 0.6.0 reports the offset
    /// after the first record of the last produced batch (and serves a batch
    /// only from its first offset), so a replay that trusted it would leave
    /// the rest of that batch out.
    fn ends_from(&self, edges: &BTreeMap<i32, (i64, i64)>) -> BTreeMap<i32, i64> {
        let mut ends: BTreeMap<i32, i64> = edges.iter().map(|(p, (_, high))| (*p, *high)).collect();
        let mut tpl = TopicPartitionList::new();
        let mut waiting: std::collections::BTreeSet<i32> = std::collections::BTreeSet::new();
        for (p, (low, high)) in edges {
            if high > low && tpl.add_partition_offset(&self.topic, *p, Offset::Offset(high - 1)).is_ok() {
                waiting.insert(*p);
            }
        }
        if waiting.is_empty() || self.consumer.assign(&tpl).is_err() {
            return ends;
        }
        let deadline = std::time::Instant::now() + TIMEOUT;
        while !waiting.is_empty() && std::time::Instant::now() < deadline {
            match self.consumer.poll(Duration::from_millis(200)) {
                Some(Ok(m)) => {
                    if let Some(e) = ends.get_mut(&m.partition()) {
                        *e = (*e).max(m.offset() + 1);
                    }
                }
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    waiting.remove(&p);
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "probe");
                    break;
                }
                None => {}
            }
        }
        for (p, end) in &ends {
            let reported_high = edges[p].1;
            if *end != reported_high {
                tracing::warn!(
                    partition = p,
                    reported_high,
                    end,
                    "the broker's high watermark is behind its records; using the end the records show"
                );
            }
        }
        ends
    }
}

/// Resolves a start and an end position to a range per partition of
/// `topic` (all of them, or `only` these), asking the brokers of `cfg`;
/// the requests run on the blocking pool ([`resolve_blocking`]).
pub async fn resolve(
    cfg: &Config,
    topic: &str,
    only: Option<&[i32]>,
    from: &Position,
    to: &Position,
) -> Result<BTreeMap<i32, PartitionRange>, OffsetsError> {
    let (cfg, topic, only, from, to) =
        (cfg.clone(), topic.to_string(), only.map(<[i32]>::to_vec), from.clone(), to.clone());
    super::consume::blocking(move || resolve_blocking(&cfg, &topic, only.as_deref(), &from, &to)).await
}

/// [`resolve`] on the calling thread, which it blocks while the broker answers.
pub fn resolve_blocking(
    cfg: &Config,
    topic: &str,
    only: Option<&[i32]>,
    from: &Position,
    to: &Position,
) -> Result<BTreeMap<i32, PartitionRange>, OffsetsError> {
    let mut c = client_config(cfg);
    c.set("group.id", "demarche-planner");
    apply_passthrough(&mut c, cfg);
    let consumer: BaseConsumer = c.create()?;
    let probe = Probe::new(c, topic)?;
    let consumer = &consumer;
    let all = partitions(consumer, topic)?;
    let parts: Vec<i32> = match only {
        None => all.clone(),
        Some(list) => {
            for p in list {
                if !all.contains(p) {
                    return Err(OffsetsError::NoPartition { topic: topic.into(), partition: *p, count: all.len() });
                }
            }
            list.to_vec()
        }
    };
    for pos in [from, to] {
        if let Position::Offsets(m) = pos {
            if let Some(p) = m.keys().find(|p| !all.contains(p)) {
                return Err(OffsetsError::NoPartition { topic: topic.into(), partition: *p, count: all.len() });
            }
        }
    }
    let mut edges = watermarks(consumer, topic, &parts)?;
    for (p, end) in probe.ends_from(&edges) {
        edges.get_mut(&p).expect("probed partitions are the topic's").1 = end;
    }
    let side = |pos: &Position, is_start: bool| -> Result<BTreeMap<i32, (i64, Basis)>, OffsetsError> {
        let answers = match pos {
            Position::Time(t) => Some(offsets_for_time(consumer, topic, &parts, t.timestamp_millis(), &edges)),
            _ => None,
        };
        let mut out = BTreeMap::new();
        for &p in &parts {
            let (low, high) = edges[&p];
            let default = if is_start { low } else { high };
            let r = match pos {
                Position::Earliest => (low, Basis::Given),
                Position::Latest => (high, Basis::Given),
                Position::Offsets(m) => match m.get(&p) {
                    Some(&o) if o < low || o > high => {
                        return Err(OffsetsError::OutOfRange { partition: p, offset: o, low, high })
                    }
                    Some(&o) => (o, Basis::Given),
                    None => (default, Basis::Given),
                },
                Position::Time(t) => {
                    let answer = answers.as_ref().and_then(|a| a[&p]);
                    let ts = t.timestamp_millis();
                    let at = |o| probe.timestamp_at(p, o);
                    let r = if is_start {
                        time_index::start_offset(ts, answer, (low, high), at)
                    } else {
                        time_index::end_offset(ts, answer, (low, high), at)
                    };
                    if r.1 == Basis::Scan && answer.is_some() {
                        tracing::warn!(partition = p, answer = ?answer, "the broker's offset for the time would drop records; scanning this partition and filtering by record timestamps");
                    }
                    r
                }
            };
            out.insert(p, r);
        }
        Ok(out)
    };
    let starts = side(from, true)?;
    let ends = side(to, false)?;
    Ok(parts
        .iter()
        .map(|p| {
            let (start, start_basis) = starts[p];
            let (end, end_basis) = ends[p];
            (*p, PartitionRange { start, end: end.max(start), start_basis, end_basis })
        })
        .collect())
}

//! Reading a replay's range: a consumer assigned the partitions at their
//! start offsets (no group membership, no commits, committed records only),
//! read in batches until every partition reaches its end offset.
//!
//! A partition is done when a record at or past its end arrives, or when
//! librdkafka reports the end of the partition and the position reached the
//! end (the last offsets may be transaction markers, which carry no record);
//! a done partition is paused. An offset deleted by retention is an error,
//! not a silent jump (`auto.offset.reset` = error).

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::kafka::client::{apply_passthrough, client_config, LoggingContext};
use crate::kafka::consume::{self, detach, recv_until, Received};
use crate::service::records::InputRecord;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("records the replay needs were deleted by retention before it read them ({0}); plan a new replay with a later --from")]
    Deleted(KafkaError),
}

/// Records read, and how far each partition got.
pub struct Batch {
    pub records: Vec<InputRecord>,
    /// Next offset per partition after this batch (records read or the end reached).
    pub next: BTreeMap<i32, i64>,
}

/// The reader of one topic's range.
pub struct RangeReader {
    consumer: StreamConsumer<LoggingContext>,
    topic: String,
    /// End offset of each partition not yet done.
    remaining: BTreeMap<i32, i64>,
}

impl RangeReader {
    /// Assigns `topic`'s partitions at `start` offsets, to read up to `end` (exclusive).
    pub fn open(
        cfg: &Config,
        topic: &str,
        start: &BTreeMap<i32, i64>,
        end: impl Fn(i32) -> i64,
    ) -> Result<RangeReader, KafkaError> {
        let mut c = client_config(cfg);
        c.set("group.id", "demarche-replay")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "error")
            .set("isolation.level", "read_committed");
        apply_passthrough(&mut c, cfg);
        let consumer: StreamConsumer<LoggingContext> = c.create_with_context(LoggingContext)?;
        let mut tpl = TopicPartitionList::new();
        for (p, o) in start {
            tpl.add_partition_offset(topic, *p, Offset::Offset(*o))?;
        }
        consumer.assign(&tpl)?;
        let remaining = start.keys().map(|p| (*p, end(*p))).collect();
        Ok(RangeReader { consumer, topic: topic.to_string(), remaining })
    }

    /// Every partition reached its end.
    pub fn is_done(&self) -> bool {
        self.remaining.is_empty()
    }

    /// Reads up to `max` records within the range, for at most `linger`
    /// after the first (half a second when none comes); returns early on
    /// `shutdown`.
    pub async fn next_batch(
        &mut self,
        max: usize,
        linger: Duration,
        shutdown: &CancellationToken,
    ) -> Result<Batch, ReadError> {
        let mut b = Batch { records: Vec::new(), next: BTreeMap::new() };
        let mut deadline: Option<tokio::time::Instant> = None;
        while b.records.len() < max && !self.remaining.is_empty() {
            let wait = deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_millis(500));
            let m = match recv_until(&self.consumer, wait, Some(shutdown)).await {
                // The linger ended, or nothing came for a while (the caller checks for a signal).
                Received::Cancelled | Received::TimedOut => break,
                Received::Message(m) => m,
                Received::Error(KafkaError::PartitionEOF(p)) => {
                    // At the end of what the broker holds: done if the position reached the end.
                    if let Some(end) = self.remaining.get(&p).copied() {
                        let pos = consume::position(&self.consumer, &self.topic, p);
                        if pos.is_some_and(|o| o >= end) {
                            self.finish(p);
                            b.next.insert(p, end);
                        }
                    }
                    continue;
                }
                Received::Error(e @ KafkaError::MessageConsumption(RDKafkaErrorCode::AutoOffsetReset)) => {
                    return Err(ReadError::Deleted(e));
                }
                Received::Error(e) => {
                    tracing::warn!(error = %e, "replay consumer");
                    continue;
                }
            };
            let r = detach(&m);
            drop(m);
            let Some(&end) = self.remaining.get(&r.partition) else { continue };
            if r.offset >= end {
                self.finish(r.partition);
                b.next.insert(r.partition, end);
                continue;
            }
            b.next.insert(r.partition, r.offset + 1);
            if r.offset + 1 >= end {
                self.finish(r.partition);
            }
            b.records.push(r);
            deadline.get_or_insert_with(|| tokio::time::Instant::now() + linger);
        }
        Ok(b)
    }

    /// A partition reached its end: no more fetches for it.
    fn finish(&mut self, p: i32) {
        self.remaining.remove(&p);
        consume::pause(&self.consumer, &self.topic, p);
    }
}

//! What a batch commits, and how a batch that was not committed is read
//! again: the offsets one past each partition's last record
//! ([`next_offsets`]), and a rewind to each partition's first record
//! ([`rewind`]), whose seeks run on the blocking pool.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::records::InputRecord;
use crate::kafka::consume::blocking;

/// Why a rewind failed.
#[derive(Debug)]
pub enum RewindError {
    /// The assignment could not be read to tell whether a failed seek matters.
    Assignment(KafkaError),
    /// A partition still assigned could not be moved back.
    Failed(Box<RewindFailure>),
}

/// The offsets to commit after a batch: one past the last record of each partition.
pub fn next_offsets(batch: &[InputRecord]) -> TopicPartitionList {
    let mut last: BTreeMap<(&str, i32), i64> = BTreeMap::new();
    for r in batch {
        let e = last.entry((r.topic.as_str(), r.partition)).or_insert(r.offset);
        *e = (*e).max(r.offset);
    }
    let mut tpl = TopicPartitionList::new();
    for ((t, p), o) in last {
        tpl.add_partition_offset(t, p, Offset::Offset(o + 1)).expect("valid offset");
    }
    tpl
}

/// Moves the consumer back to the first record of each partition of a batch
/// that was not committed, so it is read and processed again. A partition
/// that cannot be moved back while still assigned is fatal: the consumer
/// would read on past the batch, and the next commit would skip it. The
/// seeks (up to 10 s each) run on the blocking pool.
pub async fn rewind<C: ConsumerContext + 'static>(
    consumer: &Arc<StreamConsumer<C>>,
    batch: &[InputRecord],
) -> Result<(), RewindError> {
    let mut first: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for r in batch {
        let e = first.entry((r.topic.clone(), r.partition)).or_insert(r.offset);
        *e = (*e).min(r.offset);
    }
    let c = consumer.clone();
    blocking(move || rewind_blocking(&c, first)).await
}

/// [`rewind`] on the calling thread: seeks each partition to its first offset.
fn rewind_blocking<C: ConsumerContext>(
    consumer: &StreamConsumer<C>,
    first: BTreeMap<(String, i32), i64>,
) -> Result<(), RewindError> {
    let mut failed = Vec::new();
    for ((t, p), o) in first {
        if let Err(e) = consumer.seek(&t, p, Offset::Offset(o), Duration::from_secs(10)) {
            failed.push(RewindFailure { topic: t, partition: p, offset: o, error: e });
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    let assigned = consumer.assignment().map_err(RewindError::Assignment)?;
    match first_still_assigned(failed, &assigned) {
        Some(f) => Err(RewindError::Failed(Box::new(f))),
        None => Ok(()),
    }
}

/// A partition the consumer could not move back.
#[derive(Debug)]
pub struct RewindFailure {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub error: KafkaError,
}

/// The first failure on a partition still in `assigned`. One no longer
/// assigned is fine: its next owner starts from the committed offset.
fn first_still_assigned(failed: Vec<RewindFailure>, assigned: &TopicPartitionList) -> Option<RewindFailure> {
    let mut fatal = None;
    for f in failed {
        if fatal.is_none() && assigned.find_partition(&f.topic, f.partition).is_some() {
            fatal = Some(f);
        } else {
            tracing::warn!(topic = %f.topic, partition = f.partition, offset = f.offset, error = %f.error, "could not rewind a partition no longer assigned; its next owner reads from the committed offset");
        }
    }
    fatal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(p: i32, o: i64) -> InputRecord {
        InputRecord::at(p, o)
    }

    #[test]
    fn a_failed_rewind_is_fatal_only_on_a_partition_still_assigned() {
        let failure = |p| RewindFailure {
            topic: "a".into(),
            partition: p,
            offset: 3,
            error: KafkaError::Seek("timed out".into()),
        };
        let mut assigned = TopicPartitionList::new();
        assigned.add_partition("a", 2);
        assert!(first_still_assigned(vec![failure(0), failure(1)], &assigned).is_none(), "both revoked");
        let fatal = first_still_assigned(vec![failure(0), failure(2)], &assigned).expect("partition 2 is ours");
        assert_eq!(fatal.partition, 2);
    }

    #[test]
    fn offsets_to_commit_are_one_past_the_last_record_of_each_partition() {
        let tpl = next_offsets(&[rec(0, 5), rec(1, 9), rec(0, 7), rec(0, 6)]);
        let m = tpl.to_topic_map();
        assert_eq!(m[&("a".to_string(), 0)], Offset::Offset(8));
        assert_eq!(m[&("a".to_string(), 1)], Offset::Offset(10));
    }
}

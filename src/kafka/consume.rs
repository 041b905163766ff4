//! Reading records, as the service, the replay and the subscription share it.
//!
//! A consumed message borrows the client's buffers; [`detach`] copies it into
//! an [`InputRecord`] (plain data that the extraction pool can own). Each
//! reader waits for its next message with [`recv_until`], bounded by a
//! deadline (its linger, or an idle tick) and, where it listens to one, a
//! shutdown signal; readers of a bounded range [`pause`] a partition that
//! reached its end and ask its [`position`] when librdkafka reports the end
//! of a partition. [`blocking`] runs the client calls that wait on the broker
//! (a synchronous commit, a seek, a flush) on tokio's blocking pool, so no
//! async worker thread stalls on them.

use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::record::InputRecord;

/// A consumed message as plain data.
pub fn detach<M: Message>(m: &M) -> InputRecord {
    let headers = m
        .headers()
        .map(|h| h.iter().map(|x| (x.key.to_string(), x.value.map(<[u8]>::to_vec).unwrap_or_default())).collect())
        .unwrap_or_default();
    InputRecord {
        topic: m.topic().to_string(),
        partition: m.partition(),
        offset: m.offset(),
        key: m.key().map(<[u8]>::to_vec),
        payload: m.payload().map(<[u8]>::to_vec),
        headers,
        timestamp_ms: m.timestamp().to_millis(),
    }
}

/// What one wait on a consumer gave.
pub enum Received<'a> {
    Message(BorrowedMessage<'a>),
    /// A consumer error, end of partition (`KafkaError::PartitionEOF`) included.
    Error(KafkaError),
    /// The deadline passed with nothing read.
    TimedOut,
    /// The shutdown signal came first.
    Cancelled,
}

/// Waits for the next message until `deadline`, or until `shutdown` (when
/// given) is cancelled.
pub async fn recv_until<'a, C: ConsumerContext + 'static>(
    consumer: &'a StreamConsumer<C>,
    deadline: Instant,
    shutdown: Option<&CancellationToken>,
) -> Received<'a> {
    let got = match shutdown {
        Some(token) => tokio::select! {
            _ = token.cancelled() => return Received::Cancelled,
            r = tokio::time::timeout_at(deadline, consumer.recv()) => r,
        },
        None => tokio::time::timeout_at(deadline, consumer.recv()).await,
    };
    match got {
        Err(_) => Received::TimedOut,
        Ok(Ok(m)) => Received::Message(m),
        Ok(Err(e)) => Received::Error(e),
    }
}

/// A partition reached the end of its range: no more fetches for it.
pub fn pause<C: ConsumerContext + 'static>(consumer: &StreamConsumer<C>, topic: &str, partition: i32) {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, partition);
    if let Err(e) = consumer.pause(&tpl) {
        tracing::debug!(error = %e, partition, "pause");
    }
}

/// The consumer's next offset in a partition (local state, no broker call).
pub fn position<C: ConsumerContext + 'static>(
    consumer: &StreamConsumer<C>,
    topic: &str,
    partition: i32,
) -> Option<i64> {
    let tpl = consumer.position().ok()?;
    match tpl.find_partition(topic, partition)?.offset() {
        Offset::Offset(o) => Some(o),
        _ => None,
    }
}

/// Runs a client call that waits on the broker on the blocking pool and
/// awaits it. A panic inside it is a panic here, as if it had run inline.
pub async fn blocking<T, F>(call: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(call).await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("blocking kafka call: {e}"),
    }
}

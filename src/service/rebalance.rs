//! The service consumer's context: what librdkafka calls back with while
//! the consumer polls. Statistics feed the metrics (consumer lag), errors
//! are logged rate-limited, an assignment sets readiness, and a revocation
//! is noted in [`Revoked`] so the batch being filled drops the records it
//! holds of those partitions ([`drop_revoked_records`]): their next owner
//! reads them again from the committed offset, and no output is written for
//! a partition this instance no longer owns.

use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;

use super::health::Health;
use super::metrics::Metrics;
use super::records::InputRecord;
use crate::kafka::client::log_client_error;

/// Partitions revoked since the batch being filled last looked.
pub type Revoked = Arc<Mutex<Vec<(String, i32)>>>;

/// Rebalance, statistics and error callbacks: logs, readiness, consumer lag,
/// and the partitions revoked while a batch fills.
pub struct Context {
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub revoked: Revoked,
}

impl ClientContext for Context {
    fn stats(&self, statistics: Statistics) {
        self.metrics.record_statistics(&statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        log_client_error(&error, reason);
    }
}

impl ConsumerContext for Context {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            // This runs inside a poll, so only while a batch fills: the batch drops what it
            // holds of these partitions (see `next_batch`); earlier batches are committed.
            tracing::info!(partitions = tpl.count(), "partitions revoked");
            let mut revoked = self.revoked.lock().unwrap_or_else(|p| p.into_inner());
            revoked.extend(tpl.elements().iter().map(|e| (e.topic().to_string(), e.partition())));
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => tracing::info!(partitions = tpl.count(), "partitions assigned"),
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
        }
        let n = consumer.assignment().map(|a| a.count()).unwrap_or(0);
        self.health.set_assigned(n);
    }
}

/// Removes the records of `revoked` partitions from a batch; how many went.
pub fn drop_revoked_records(batch: &mut Vec<InputRecord>, revoked: &[(String, i32)]) -> usize {
    if revoked.is_empty() {
        return 0;
    }
    let before = batch.len();
    batch.retain(|r| !revoked.iter().any(|(t, p)| *t == r.topic && *p == r.partition));
    before - batch.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(p: i32, o: i64) -> InputRecord {
        InputRecord::at(p, o)
    }

    #[test]
    fn records_of_revoked_partitions_leave_the_batch_and_others_keep_their_order() {
        let mut batch = vec![rec(0, 5), rec(1, 9), rec(0, 6), rec(2, 1), rec(1, 10)];
        let revoked = vec![("a".to_string(), 1), ("b".to_string(), 0)];
        assert_eq!(drop_revoked_records(&mut batch, &revoked), 2);
        let left: Vec<(i32, i64)> = batch.iter().map(|r| (r.partition, r.offset)).collect();
        assert_eq!(left, [(0, 5), (0, 6), (2, 1)], "another topic's partition 0 is not ours to drop");
        assert_eq!(drop_revoked_records(&mut batch, &[]), 0);
    }
}

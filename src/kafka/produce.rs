//! Producing outputs: the producer type the service and the replay share,
//! and handing it a batch of [`OutputRecord`]s.
//!
//! [`enqueue`] queues a whole batch before waiting for anything, so a batch
//! costs one round trip, not one per record; [`deliver`] also waits for every
//! acknowledgement (at-least-once and the replay's topic sink), while a
//! transaction (exactly-once) waits for its commit instead.

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};

use super::client::{client_config, LoggingContext};
use super::record::OutputRecord;
use crate::config::Config;

/// The producer of outputs (service and replay), whose errors are rate-limited.
pub type OutputProducer = FutureProducer<LoggingContext>;

/// The idempotent producer both `run` (at_least_once) and `replay` use.
pub fn idempotent_producer(cfg: &Config) -> ClientConfig {
    let mut c = client_config(cfg);
    c.set("enable.idempotence", "true").set("acks", "all").set("linger.ms", "5");
    c
}

/// Enqueues every output (send_result returns at once) so a batch costs one
/// round trip, not one per record; stops at the first record the producer
/// refuses (its queue full, say) and returns that error beside what was queued.
pub fn enqueue(producer: &OutputProducer, outputs: &[&OutputRecord]) -> (Vec<DeliveryFuture>, Option<KafkaError>) {
    let mut pending = Vec::with_capacity(outputs.len());
    for o in outputs {
        match producer.send_result(future_record(o)) {
            Ok(f) => pending.push(f),
            Err((e, _)) => return (pending, Some(e)),
        }
    }
    (pending, None)
}

/// Enqueues every output and waits for every acknowledgement; the first
/// error, if any, once all have settled.
pub async fn deliver(producer: &OutputProducer, outputs: &[&OutputRecord]) -> Result<(), KafkaError> {
    let (pending, mut error) = enqueue(producer, outputs);
    for f in pending {
        match f.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => {
                error.get_or_insert(e);
            }
            Err(_) => {
                error.get_or_insert(KafkaError::Canceled);
            }
        }
    }
    error.map_or(Ok(()), Err)
}

/// The producer's view of an output: borrowed topic, key, payload and headers.
fn future_record(o: &OutputRecord) -> FutureRecord<'_, [u8], [u8]> {
    let mut headers = OwnedHeaders::new_with_capacity(o.headers.len());
    for (k, v) in &o.headers {
        headers = headers.insert(Header { key: k, value: Some(v.as_slice()) });
    }
    let mut r = FutureRecord::to(&o.topic).payload(o.payload.as_slice()).headers(headers);
    if let Some(k) = &o.key {
        r = r.key(k.as_slice());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::types::RDKafkaErrorCode;

    /// `records::wire_size` is librdkafka's own accounting: a record of exactly
    /// `message.max.bytes` is accepted, one byte more is refused, with a key
    /// and headers as well as a payload.
    #[test]
    fn wire_size_is_what_librdkafka_checks_against_message_max_bytes() {
        const MAX: usize = 20_000;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:9")
            .set("message.max.bytes", MAX.to_string())
            .set("message.timeout.ms", "1000")
            .create()
            .unwrap();
        let headers = vec![("content-type".to_string(), b"application/json".to_vec()), ("h".to_string(), vec![7; 300])];
        let rec = |payload_len: usize| OutputRecord {
            topic: "t".into(),
            key: Some(b"actor-key".to_vec()),
            payload: vec![b'x'; payload_len],
            headers: headers.clone(),
        };
        let fixed = rec(0).wire_size();
        let exact = rec(MAX - fixed);
        assert_eq!(exact.wire_size(), MAX);
        assert!(producer.send_result(future_record(&exact)).is_ok(), "a record of exactly the limit is accepted");
        let over = rec(MAX - fixed + 1);
        match producer.send_result(future_record(&over)) {
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge), _)) => {}
            other => panic!("one byte over is refused for its size, got {:?}", other.map(|_| ()).map_err(|e| e.0)),
        }
        rdkafka::producer::Producer::purge(&producer, rdkafka::producer::PurgeConfig::default().queue().inflight());
    }
}

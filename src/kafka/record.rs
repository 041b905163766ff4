//! A Kafka record as plain data: what the service, the replay and the pure
//! record mapping ([`crate::service::records`]) pass around, so that nothing
//! past the client holds an rdkafka message and the mapping is tested without
//! a broker.

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

#[cfg(test)]
impl InputRecord {
    /// An empty record of topic `a` at `partition`/`offset`, for tests of
    /// what depends only on where a record stands.
    pub(crate) fn at(partition: i32, offset: i64) -> InputRecord {
        InputRecord {
            topic: "a".into(),
            partition,
            offset,
            key: None,
            payload: None,
            headers: vec![],
            timestamp_ms: None,
        }
    }
}

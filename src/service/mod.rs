//! The Kafka edge: the consumer service and what it exposes to operators.
//!
//! [`consumer`] is the loop, [`records`] the pure mapping from an input
//! record to its outputs, [`metrics`], [`health`] and [`http`] what an
//! operator scrapes and probes.

pub mod backoff;
pub mod consumer;
pub mod health;
pub mod http;
pub mod metrics;
pub mod offsets;
pub mod preflight;
pub mod publish;
pub mod records;

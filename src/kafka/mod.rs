//! The Kafka edge, cut by job: how clients are configured and log errors
//! ([`client`]), reading records ([`consume`]), producing outputs
//! ([`produce`]) and turning positions into offsets ([`offsets`], for replay
//! and subscribe). The live service loop is [`crate::service`]; the commands
//! that read bounded ranges are `cmd::replay` and `cmd::subscribe`.
//!
//! Calls that wait on the broker (metadata, watermarks, offset probes,
//! synchronous commits, seeks, flushes) never run on an async worker
//! thread: they go through [`consume::blocking`] or `spawn_blocking`.

pub mod client;
pub mod consume;
pub mod offsets;
pub mod produce;
pub mod record;

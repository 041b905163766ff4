//! demarche: diplomatic statement events (actor, claim, target, date) from
//! Arabic and English news, streamed over Kafka.
//!
//! The extraction core ([`extract`]) is pure and synchronous; the service,
//! the replay and the offline `extract` command all go through
//! [`pipeline::Pipeline`], which parses a raw record into an [`article::Article`]
//! and calls the core.

pub mod alerts;
pub mod article;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod control_chars;
pub mod dictionaries;
pub mod event;
pub mod extract;
pub mod kafka;
pub mod pipeline;
pub mod pretty;
pub mod replay;
pub mod resources_dir;
pub mod service;
pub mod shutdown;
pub mod telemetry;

//! The integration tests: one binary, so librdkafka and the crate are linked
//! once, not once per file. One module per concern; [`common`] holds what
//! they share (the default pipeline, built once; broker and topic helpers).
//!
//! Tests that need what `cargo test` alone cannot provide are `#[ignore]`d
//! with the reason, so they show as ignored rather than as passed:
//! a Kafka-protocol broker (`DEMARCHE_TEST_BROKERS`) or the shared corpus
//! (`../shared/corpus`). `scripts/test.sh` starts tansu and runs them with
//! `--include-ignored`, where a missing broker or corpus is a failure.
//!
//! Run one module with `cargo test --test it cli::`.

mod common;

mod alerts_config;
mod cli;
mod coding;
mod contract;
mod data_files;
mod dictionaries;
mod extract_cli;
mod extraction;
mod golden;
mod malformed;
mod properties;
mod quality;
mod replay_broker;
mod replay_mock;
mod service_broker;
mod service_mock;
mod startup;
mod subscribe_broker;

//! The live consumer service and what it exposes to operators.
//!
//! [`consumer`] is the loop (its client context [`rebalance`], what a batch
//! commits and how it is re-read [`commit`]), [`records`] the pure mapping from an input
//! record to its outputs, [`extraction`] the thread pool that runs it over a
//! batch (shared with the replay), [`preflight`] the start-up checks every
//! Kafka command runs, [`backoff`] the wait between consumer errors, and
//! [`metrics`], [`health`] and [`http`] what an operator scrapes and probes.
//! Client settings, reading and producing are [`crate::kafka`]'s.

pub mod backoff;
pub mod commit;
pub mod consumer;
pub mod extraction;
pub mod health;
pub mod http;
pub mod metrics;
pub mod preflight;
pub mod rebalance;
pub mod records;

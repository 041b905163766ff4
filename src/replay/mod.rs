//! Backfills and subscriptions, the parts that need no broker: what range
//! to read ([`position`]), which records in it count ([`window`]), where a
//! replay stands ([`checkpoint`]), how fast it may go ([`rate`]) and how it
//! shows progress ([`progress`]). The Kafka side is `cmd::replay`,
//! `cmd::subscribe` and `service::offsets`.

pub mod checkpoint;
pub mod position;
pub mod progress;
pub mod rate;
pub mod time_index;
pub mod window;

use serde::{Deserialize, Serialize};

/// What a replay did, record by record: every record read is processed or
/// skipped for a stated reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Records read from the input topic within the offset range.
    pub read: u64,
    /// Records that went through extraction (statements or a dead letter).
    pub processed: u64,
    pub statements: u64,
    pub alerts: u64,
    pub dead_letters: u64,
    /// Records whose own timestamp lies outside `--from` / `--to` times.
    pub skipped_time: u64,
    /// Records whose article `published_at` lies outside the published window.
    pub skipped_published: u64,
    /// Records without a readable `published_at` while a published window is set.
    pub skipped_no_published: u64,
}

impl Summary {
    pub fn skipped(&self) -> u64 {
        self.skipped_time + self.skipped_published + self.skipped_no_published
    }

    /// The closing line of a replay.
    pub fn line(&self) -> String {
        format!(
            "{} records read: {} processed ({} statements, {} alerts, {} dead letters), {} skipped ({} outside the time range, {} outside the published range, {} without a published date)",
            self.read,
            self.processed,
            self.statements,
            self.alerts,
            self.dead_letters,
            self.skipped(),
            self.skipped_time,
            self.skipped_published,
            self.skipped_no_published
        )
    }
}

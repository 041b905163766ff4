//! Backfills and subscriptions. Pure parts, which need no broker: what
//! range to read ([`position`]), which records in it count ([`window`]),
//! where a replay stands ([`checkpoint`]), how fast it may go ([`rate`]) and
//! how time answers are checked ([`time_index`]). The replay's edges: its
//! range reader ([`reader`]), its outputs as typed outcomes into topics or
//! files ([`sink`]) and its progress bar or log lines ([`progress`]). The
//! orchestration is `cmd::replay` (and `cmd::subscribe`); offsets are
//! resolved on the broker by [`crate::kafka::offsets`].

pub mod checkpoint;
pub mod position;
pub mod progress;
pub mod rate;
pub mod reader;
pub mod sink;
pub mod time_index;
pub mod window;

use serde::{Deserialize, Serialize};

use crate::service::records::{InputRecord, Outcome};
use window::Selection;

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
    /// Counts a batch as read and keeps the records the windows select
    /// (counted as processed); the others are counted by why they are skipped.
    pub fn select(
        &mut self,
        records: Vec<InputRecord>,
        time: &window::TimeWindow,
        published: &window::PublishedWindow,
    ) -> Vec<InputRecord> {
        let mut selected = Vec::with_capacity(records.len());
        for r in records {
            self.read += 1;
            match window::select(time, published, r.timestamp_ms, r.payload.as_deref()) {
                Selection::Process => selected.push(r),
                Selection::OutsideTime => self.skipped_time += 1,
                Selection::OutsidePublished => self.skipped_published += 1,
                Selection::NoPublished => self.skipped_no_published += 1,
            }
        }
        self.processed += selected.len() as u64;
        selected
    }

    /// Counts what the processed records became.
    pub fn count_outcomes(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            self.statements += o.statement_kinds.len() as u64;
            self.alerts += o.alerts.len() as u64;
            self.dead_letters += u64::from(o.dead_letter.is_some());
        }
    }

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

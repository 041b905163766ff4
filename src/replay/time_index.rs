//! Checking a broker's answer to "the first offset at or after this time".
//!
//! Apache Kafka answers from its time index exactly; tansu 0.6.0 answers
//! approximately and librdkafka's mock cluster not at all. A replay must
//! select exactly the records in its range whatever the broker, so each
//! answer is checked against the timestamps of the records beside it, and
//! an answer that could drop records is replaced by a scan from the
//! partition's edge (the record timestamps then do the selecting). An
//! answer that is merely early costs reading a few records more, nothing else.

use serde::{Deserialize, Serialize};

/// How an offset was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Given (earliest, latest or an explicit offset).
    Given,
    /// The broker's time index, checked against the neighbouring records.
    TimeIndex,
    /// The broker could not answer, or its answer would drop records: the
    /// partition's edge, with record timestamps selecting.
    Scan,
}

/// The first offset to read for a range starting at `t` (ms). `answer` is
/// the broker's offset (None when it cannot answer); `ts_at(o)` reads the
/// timestamp of the record at `o` (None when it cannot be read).
pub fn start_offset(
    t: i64,
    answer: Option<i64>,
    (low, high): (i64, i64),
    mut ts_at: impl FnMut(i64) -> Option<i64>,
) -> (i64, Basis) {
    let Some(o) = answer.map(|o| o.clamp(low, high)) else { return (low, Basis::Scan) };
    // Correct when the record just before the answer is older than t.
    if o == low || ts_at(o - 1).is_some_and(|ts| ts < t) {
        (o, Basis::TimeIndex)
    } else {
        (low, Basis::Scan)
    }
}

/// The offset a range ending (exclusively) at `t` stops before.
pub fn end_offset(
    t: i64,
    answer: Option<i64>,
    (low, high): (i64, i64),
    mut ts_at: impl FnMut(i64) -> Option<i64>,
) -> (i64, Basis) {
    let Some(o) = answer.map(|o| o.clamp(low, high)) else { return (high, Basis::Scan) };
    // Correct when the record at the answer is at or after t.
    if o == high || ts_at(o).is_some_and(|ts| ts >= t) {
        (o, Basis::TimeIndex)
    } else {
        (high, Basis::Scan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Offsets 10..20, timestamps 1000, 1100, ..., 1900.
    fn ts(o: i64) -> Option<i64> {
        (10..20).contains(&o).then_some(1000 + (o - 10) * 100)
    }
    const EDGES: (i64, i64) = (10, 20);

    #[test]
    fn an_exact_answer_is_kept() {
        assert_eq!(start_offset(1250, Some(13), EDGES, ts), (13, Basis::TimeIndex));
        assert_eq!(end_offset(1250, Some(13), EDGES, ts), (13, Basis::TimeIndex));
        assert_eq!(start_offset(500, Some(10), EDGES, ts), (10, Basis::TimeIndex));
        assert_eq!(end_offset(5000, Some(20), EDGES, ts), (20, Basis::TimeIndex));
    }

    #[test]
    fn an_answer_that_would_drop_records_becomes_a_scan() {
        // Too late for a start: offset 13 (1300) would be skipped.
        assert_eq!(start_offset(1250, Some(14), EDGES, ts), (10, Basis::Scan));
        // Too early for an end: offset 12 (1200 < 1250) would be cut off.
        assert_eq!(end_offset(1250, Some(12), EDGES, ts), (20, Basis::Scan));
    }

    #[test]
    fn an_early_start_or_a_late_end_is_harmless_and_kept() {
        assert_eq!(start_offset(1250, Some(11), EDGES, ts), (11, Basis::TimeIndex));
        assert_eq!(end_offset(1250, Some(16), EDGES, ts), (16, Basis::TimeIndex));
    }

    #[test]
    fn no_answer_or_an_unreadable_neighbour_scans() {
        assert_eq!(start_offset(1250, None, EDGES, ts), (10, Basis::Scan));
        assert_eq!(end_offset(1250, None, EDGES, ts), (20, Basis::Scan));
        assert_eq!(start_offset(1250, Some(13), EDGES, |_| None), (10, Basis::Scan));
        assert_eq!(end_offset(1250, Some(13), EDGES, |_| None), (20, Basis::Scan));
        // Answers outside the partition are clamped to it.
        assert_eq!(end_offset(1250, Some(99), EDGES, ts), (20, Basis::TimeIndex));
    }
}

//! Which records of an offset range a replay processes: those whose own
//! timestamp lies in the time window and, when asked, whose article was
//! published within the published window. Brokers answer "offset for this
//! time" with different precision, so the record's own timestamp decides.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::article::parse_day;

/// `[from_ms, to_ms)` on record timestamps, milliseconds since the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl TimeWindow {
    pub fn is_open(&self) -> bool {
        self.from_ms.is_none() && self.to_ms.is_none()
    }

    /// A record with no timestamp is outside any bounded window.
    pub fn contains(&self, ts_ms: Option<i64>) -> bool {
        if self.is_open() {
            return true;
        }
        let Some(ts) = ts_ms else { return false };
        self.from_ms.is_none_or(|f| ts >= f) && self.to_ms.is_none_or(|t| ts < t)
    }
}

/// Calendar days of `published_at`, both ends inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedWindow {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl PublishedWindow {
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| day >= f) && self.to.is_none_or(|t| day <= t)
    }
}

/// What a replay does with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Process,
    OutsideTime,
    OutsidePublished,
    NoPublished,
}

#[derive(Deserialize)]
struct PublishedOnly {
    #[serde(default)]
    published_at: Option<serde_json::Value>,
}

/// The calendar day of a raw article's `published_at`, read without the
/// full parse (which extraction does anyway for the records that pass).
pub fn published_day(payload: &[u8]) -> Option<NaiveDate> {
    let p: PublishedOnly = serde_json::from_slice(payload).ok()?;
    match p.published_at? {
        serde_json::Value::String(s) => parse_day(&s),
        _ => None,
    }
}

/// Decides one record: its timestamp first (cheap), then its article's day.
pub fn select(time: &TimeWindow, published: &PublishedWindow, ts_ms: Option<i64>, payload: Option<&[u8]>) -> Selection {
    if !time.contains(ts_ms) {
        return Selection::OutsideTime;
    }
    if published.is_open() {
        return Selection::Process;
    }
    match payload.and_then(published_day) {
        None => Selection::NoPublished,
        Some(d) if published.contains(d) => Selection::Process,
        Some(_) => Selection::OutsidePublished,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn time_window_is_half_open() {
        let w = TimeWindow { from_ms: Some(100), to_ms: Some(200) };
        assert!(!w.contains(Some(99)));
        assert!(w.contains(Some(100)));
        assert!(w.contains(Some(199)));
        assert!(!w.contains(Some(200)));
        assert!(!w.contains(None));
        assert!(TimeWindow::default().contains(None));
        assert!(TimeWindow { from_ms: Some(5), to_ms: None }.contains(Some(i64::MAX)));
    }

    #[test]
    fn published_window_reads_the_day_and_is_inclusive() {
        let w = PublishedWindow { from: Some(day("2016-05-01")), to: Some(day("2016-05-03")) };
        let t = TimeWindow::default();
        let rec = |p: &str| format!(r#"{{"id":"a","body":"b","published_at":"{p}"}}"#);
        assert_eq!(select(&t, &w, None, Some(rec("2016-05-03T23:59:00Z").as_bytes())), Selection::Process);
        assert_eq!(select(&t, &w, None, Some(rec("2016-05-01").as_bytes())), Selection::Process);
        assert_eq!(select(&t, &w, None, Some(rec("2016-05-04").as_bytes())), Selection::OutsidePublished);
        assert_eq!(select(&t, &w, None, Some(rec("soon").as_bytes())), Selection::NoPublished);
        assert_eq!(select(&t, &w, None, Some(br#"{"id":"a","body":"b"}"#)), Selection::NoPublished);
        assert_eq!(select(&t, &w, None, Some(b"not json")), Selection::NoPublished);
        assert_eq!(select(&t, &w, None, None), Selection::NoPublished);
        // With no published window every record in the time window is processed, bad ones included.
        assert_eq!(select(&t, &PublishedWindow::default(), None, Some(b"not json")), Selection::Process);
    }

    #[test]
    fn the_time_decides_before_the_article() {
        let t = TimeWindow { from_ms: Some(10), to_ms: None };
        let w = PublishedWindow { from: Some(day("2016-05-01")), to: None };
        assert_eq!(select(&t, &w, Some(5), Some(b"x")), Selection::OutsideTime);
    }
}

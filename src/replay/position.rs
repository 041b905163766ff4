//! Where a range starts or ends, as a user writes it: one vocabulary for
//! `replay --from/--to` and `subscribe --from`: `earliest` (or `beginning`),
//! `latest` (or `end`), a duration back from now (`90s`, `30m`, `2h`, `7d`,
//! `1w`), an RFC 3339 time, or `partition:offset` pairs.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PositionError {
    #[error("`{0}` is not a position: use earliest, latest, a duration ago (30m, 2h, 7d), an RFC 3339 time (2024-05-01T00:00:00Z) or partition:offset pairs (0:120,1:98)")]
    Unknown(String),
    #[error("`{0}`: a partition:offset pair needs a partition and an offset that are non-negative integers")]
    BadPair(String),
    #[error("partition {0} is listed twice")]
    Repeated(i32),
    #[error("`{0}` is not a duration or a time: use 90s, 30m, 2h, 7d or an RFC 3339 time")]
    Since(String),
}

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The first offset still held by the broker.
    Earliest,
    /// The high watermark when the replay starts.
    Latest,
    /// The first record whose timestamp is at or after this time.
    Time(DateTime<Utc>),
    /// Explicit offsets per partition; partitions not listed take the
    /// default end (earliest for a start, latest for an end).
    Offsets(BTreeMap<i32, i64>),
}

impl FromStr for Position {
    type Err = PositionError;

    /// A position, durations counted back from the current time.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Position::parse_at(s, Utc::now())
    }
}

impl Position {
    /// A position, durations counted back from `now`.
    pub fn parse_at(s: &str, now: DateTime<Utc>) -> Result<Position, PositionError> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "earliest" | "beginning" => return Ok(Position::Earliest),
            "latest" | "end" => return Ok(Position::Latest),
            _ => {}
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Position::Time(t.with_timezone(&Utc)));
        }
        if let Some(ago) = duration(s) {
            let t = ago.and_then(|d| now.checked_sub_signed(d)).ok_or_else(|| PositionError::Since(s.to_string()))?;
            return Ok(Position::Time(t));
        }
        if !s.contains(':') || s.contains('T') {
            return Err(PositionError::Unknown(s.to_string()));
        }
        let mut offsets = BTreeMap::new();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (p, o) = pair.split_once(':').ok_or_else(|| PositionError::BadPair(pair.to_string()))?;
            let p: i32 = p.trim().parse().map_err(|_| PositionError::BadPair(pair.to_string()))?;
            let o: i64 = o.trim().parse().map_err(|_| PositionError::BadPair(pair.to_string()))?;
            if p < 0 || o < 0 {
                return Err(PositionError::BadPair(pair.to_string()));
            }
            if offsets.insert(p, o).is_some() {
                return Err(PositionError::Repeated(p));
            }
        }
        if offsets.is_empty() {
            return Err(PositionError::Unknown(s.to_string()));
        }
        Ok(Position::Offsets(offsets))
    }

    /// The time, when this position is one.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Position::Time(t) => Some(*t),
            _ => None,
        }
    }
}

/// `90s`, `30m`, `2h`, `7d`, `1w`: `None` when `s` is not of that shape (digits,
/// then a unit), `Some(None)` when it is but the number is out of range.
fn duration(s: &str) -> Option<Option<Duration>> {
    let split = s.find(|c: char| !c.is_ascii_digit()).filter(|&i| i > 0)?;
    let (n, unit) = s.split_at(split);
    let try_unit: fn(i64) -> Option<Duration> = match unit {
        "s" => Duration::try_seconds,
        "m" | "min" => Duration::try_minutes,
        "h" => Duration::try_hours,
        "d" => Duration::try_days,
        "w" => Duration::try_weeks,
        _ => return None,
    };
    Some(n.parse().ok().and_then(try_unit))
}

/// `--since` (subscribe's older flag): `90s`, `30m`, `2h`, `7d`, `1w` back from
/// `now`, or an RFC 3339 time.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, PositionError> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let err = || PositionError::Since(s.to_string());
    duration(s).ok_or_else(err)?.and_then(|d| now.checked_sub_signed(d)).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form_of_position() {
        assert_eq!("earliest".parse::<Position>().unwrap(), Position::Earliest);
        assert_eq!("LATEST".parse::<Position>().unwrap(), Position::Latest);
        let t = "2024-05-01T10:00:00+02:00".parse::<Position>().unwrap();
        assert_eq!(t.time().unwrap().to_rfc3339(), "2024-05-01T08:00:00+00:00");
        let Position::Offsets(m) = "0:120, 2:7".parse::<Position>().unwrap() else { panic!() };
        assert_eq!(m.into_iter().collect::<Vec<_>>(), vec![(0, 120), (2, 7)]);
    }

    #[test]
    fn refuses_what_it_cannot_read_and_says_why() {
        for bad in ["yesterday", "", "0:", "a:1", "0:-1", "-1:4", "2024-05-01"] {
            assert!(bad.parse::<Position>().is_err(), "{bad}");
        }
        assert_eq!("1:2,1:3".parse::<Position>().unwrap_err(), PositionError::Repeated(1));
    }

    #[test]
    fn a_position_may_be_a_duration_back_from_now() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |s: &str| Position::parse_at(s, now).unwrap().time().unwrap().to_rfc3339();
        assert_eq!(at("2h"), "2026-11-29T10:00:00+00:00");
        assert_eq!(at("30m"), "2026-11-29T11:30:00+00:00");
        assert_eq!(at("7d"), "2026-11-22T12:00:00+00:00");
        assert_eq!(Position::parse_at("beginning", now).unwrap(), Position::Earliest);
        assert_eq!(Position::parse_at("end", now).unwrap(), Position::Latest);
        for bad in ["2", "h", "2y", "-2h", "99999999999999d"] {
            assert!(Position::parse_at(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn since_is_a_duration_back_from_now_or_a_time() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |s: &str| parse_since(s, now).unwrap().to_rfc3339();
        assert_eq!(at("2h"), "2026-11-29T10:00:00+00:00");
        assert_eq!(at("90s"), "2026-11-29T11:58:30+00:00");
        assert_eq!(at("7d"), "2026-11-22T12:00:00+00:00");
        assert_eq!(at("2026-01-01T00:00:00Z"), "2026-01-01T00:00:00+00:00");
        for bad in ["2", "h", "2y", "-2h", "99999999999999d"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }
}

//! Date expressions and their resolution against the publication day.
//!
//! Rules are per language in spirit (the words come from each lexicon's
//! `[dates]` table) but share one engine: a day and month with an optional
//! year ("21 April", «21 نيسان/أبريل», "May 3, 2016"), a weekday optionally
//! marked as past («الاثنين الماضي», "last Monday"), and relative days
//! ("yesterday", «أمس», «أول أمس»). "Today Tuesday" names the day twice;
//! when the weekday disagrees with the publication date the text wins
//! (print editions dated the next morning).

use chrono::{Datelike, Duration, NaiveDate};

use super::resources::Resources;
use super::text::{TokenKind, Tokens};
use crate::event::{DateBasis, Precision};

/// A date found in the text, as a token range and its resolved day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateExpr {
    pub start: usize,
    pub end: usize,
    /// None when it cannot be resolved (a weekday without a publication date).
    pub value: Option<NaiveDate>,
    pub precision: Precision,
    pub basis: DateBasis,
}

fn number_at(t: &Tokens, i: usize) -> Option<u32> {
    if i < t.len() && t.toks[i].kind == TokenKind::Number {
        t.norm(i).parse().ok()
    } else {
        None
    }
}

/// The most recent `weekday` (0 = Monday) on or before `anchor`, or strictly
/// before it when `strict` ("last Monday").
fn weekday_before(anchor: NaiveDate, weekday: u32, strict: bool) -> NaiveDate {
    let cur = anchor.weekday().num_days_from_monday();
    let mut back = (cur + 7 - weekday) % 7;
    if back == 0 && strict {
        back = 7;
    }
    anchor - Duration::days(back as i64)
}

/// Finds every date expression in `[from, to)`, in order. Linear in the range.
pub fn find(
    res: &Resources,
    text: &str,
    t: &Tokens,
    from: usize,
    to: usize,
    published: Option<NaiveDate>,
) -> Vec<DateExpr> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut i = from;
    while i < to {
        let number = t.toks[i].kind == TokenKind::Number;
        if !number && res.dates.any.longest_at(text, t, i).is_none() {
            i += 1;
            continue;
        }
        // Day + month (+ year): "21 April 2016", «21 نيسان/أبريل الماضي».
        if let Some(day) = number_at(t, i).filter(|d| (1..=31).contains(d)) {
            if let Some((month, mut end)) = month_at(res, text, t, i + 1, to, &mut buf) {
                let mut year = number_at(t, end).filter(|y| (1900..=2100).contains(y));
                if year.is_some() {
                    end += 1;
                }
                out.push(resolve_dmy(day, month, year.take(), published, i, end));
                i = end;
                continue;
            }
        }
        // Month + day (+ year): "May 3", "May 3, 2016".
        if let Some((month, end)) = month_at(res, text, t, i, to, &mut buf) {
            if let Some(day) = number_at(t, end).filter(|d| (1..=31).contains(d)) {
                let mut e = end + 1;
                if t.is_punct(e, ",") {
                    e += 1;
                }
                let year = number_at(t, e).filter(|y| (1900..=2100).contains(y));
                let e = if year.is_some() { e + 1 } else { end + 1 };
                out.push(resolve_dmy(day, month, year, published, i, e));
                i = e;
                continue;
            }
        }
        // Relative days: today, yesterday, أمس, أول أمس — possibly followed by a weekday.
        let mut rel = Vec::new();
        res.dates.relative.matches_at(text, t, i, &mut rel);
        if let Some(m) = rel.iter().filter(|m| m.end <= to).max_by_key(|m| m.end) {
            let back = Duration::days(m.value as i64);
            let mut end = m.end;
            let mut value = published.map(|p| p - back);
            // «اليوم الثلاثاء»: the weekday, when given, wins over the publication day.
            let mut wk = Vec::new();
            if end < to {
                res.dates.weekday.matches_at(text, t, end, &mut wk);
            }
            if let Some(w) = wk.iter().filter(|w| w.end <= to).max_by_key(|w| w.end) {
                end = w.end;
                value = value.map(|d| nearest_weekday(d, w.value));
            }
            out.push(DateExpr { start: i, end, value, precision: Precision::Day, basis: DateBasis::Relative });
            i = end;
            continue;
        }
        // Weekdays: "on Monday", «يوم الاثنين», «الاثنين الماضي», "last Monday".
        let mut wk = Vec::new();
        res.dates.weekday.matches_at(text, t, i, &mut wk);
        if let Some(w) = wk.iter().filter(|w| w.end <= to).max_by_key(|w| w.end) {
            let mut start = i;
            let mut end = w.end;
            let mut strict = false;
            let mut pre = Vec::new();
            if i > from {
                // "last Monday": the marker before the weekday.
                for back in 1..=2.min(i - from) {
                    pre.clear();
                    res.dates.last.matches_at(text, t, i - back, &mut pre);
                    if pre.iter().any(|m| m.end == i) {
                        strict = true;
                        start = i - back;
                        break;
                    }
                }
            }
            let mut post = Vec::new();
            if end < to {
                res.dates.last.matches_at(text, t, end, &mut post);
            }
            if let Some(m) = post.iter().filter(|m| m.end <= to).max_by_key(|m| m.end) {
                strict = true;
                end = m.end;
            }
            // A marker before the weekday belongs to the expression: "on", «يوم».
            if start == i && i > from {
                let mut mk = Vec::new();
                for back in 1..=2.min(i - from) {
                    mk.clear();
                    res.dates.day_marker.matches_at(text, t, i - back, &mut mk);
                    if mk.iter().any(|m| m.end == i) {
                        start = i - back;
                        break;
                    }
                }
            }
            let value = published.map(|p| weekday_before(p, w.value, strict));
            out.push(DateExpr { start, end, value, precision: Precision::Day, basis: DateBasis::Relative });
            i = end;
            continue;
        }
        i += 1;
    }
    // A day outside years 1..=9999 cannot be written as YYYY-MM-DD: no date rather than a wrong one.
    for d in &mut out {
        d.value = d.value.filter(|v| (1..=9999).contains(&v.year()));
    }
    out
}

/// The day with the given weekday nearest to `target` (within three days either side).
fn nearest_weekday(target: NaiveDate, weekday: u32) -> NaiveDate {
    let cur = target.weekday().num_days_from_monday() as i64;
    let mut diff = weekday as i64 - cur;
    if diff > 3 {
        diff -= 7;
    }
    if diff < -3 {
        diff += 7;
    }
    target + Duration::days(diff)
}

/// A month name at `i`, possibly written twice with a slash («نيسان/أبريل»).
fn month_at(
    res: &Resources,
    text: &str,
    t: &Tokens,
    i: usize,
    to: usize,
    buf: &mut Vec<super::matcher::Match<u32>>,
) -> Option<(u32, usize)> {
    if i >= to {
        return None;
    }
    buf.clear();
    res.dates.month.matches_at(text, t, i, buf);
    let m = buf.iter().filter(|m| m.end <= to).max_by_key(|m| m.end)?;
    let (month, mut end) = (m.value, m.end);
    if t.is_punct(end, "/-") && end + 1 < to {
        buf.clear();
        res.dates.month.matches_at(text, t, end + 1, buf);
        if let Some(m2) = buf.iter().filter(|m2| m2.value == month && m2.end <= to).max_by_key(|m| m.end) {
            end = m2.end;
        }
    }
    Some((month, end))
}

fn resolve_dmy(
    day: u32,
    month: u32,
    year: Option<u32>,
    published: Option<NaiveDate>,
    start: usize,
    end: usize,
) -> DateExpr {
    let value = match (year, published) {
        (Some(y), _) => NaiveDate::from_ymd_opt(y as i32, month, day),
        (None, Some(p)) => {
            // Without a year, the most recent such day: "21 April" in a May story is this April,
            // in a January story last April (allowing a week ahead for announced dates).
            let this = NaiveDate::from_ymd_opt(p.year(), month, day);
            match this {
                Some(d) if d <= p + Duration::days(7) => Some(d),
                Some(_) => NaiveDate::from_ymd_opt(p.year() - 1, month, day),
                None => None,
            }
        }
        (None, None) => None,
    };
    DateExpr { start, end, value, precision: Precision::Day, basis: DateBasis::Explicit }
}

//! The input contract: a raw article, parsed and validated at the boundary.
//!
//! An [`Article`] that exists is valid: it has an id, a body, a known
//! language and, when given, a publication date that parses. Everything else
//! becomes a [`Reject`] with a reason a person can act on; the caller turns it
//! into a rejects line or a dead-letter record, never into silence.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The languages demarche reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ar,
    En,
}

impl Lang {
    /// The primary language subtag: `ar` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// From a BCP 47 tag: `ar`, `ar-SY`, `en-GB`... None for other languages.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The majority script of the first few thousand characters.
    pub fn detect(title: &str, body: &str) -> Lang {
        let mut ar = 0usize;
        let mut latin = 0usize;
        for c in title.chars().chain(body.chars()).take(4000) {
            if ('\u{0600}'..='\u{06FF}').contains(&c) {
                ar += 1;
            } else if c.is_ascii_alphabetic() {
                latin += 1;
            }
        }
        if ar > latin {
            Lang::Ar
        } else {
            Lang::En
        }
    }
}

/// A news article, the unit demarche consumes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    pub id: String,
    pub body: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub source: Option<String>,
    /// The language given by the producer (BCP 47), or detected from the text.
    pub lang: Lang,
    /// `published_at` exactly as given, passed through to events.
    pub published_at: Option<String>,
    /// The calendar day of `published_at`, the anchor for relative dates.
    #[serde(skip)]
    pub published_day: Option<NaiveDate>,
}

/// Why a record could not become an article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    #[error("record of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("record is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("record is not JSON: {detail}")]
    NotJson { detail: String },
    #[error("record is JSON but not an object")]
    NotObject,
    #[error("missing required field `{field}`")]
    MissingField { field: &'static str },
    #[error("field `{field}` must be {expected}")]
    WrongType { field: &'static str, expected: &'static str },
    #[error("field `{field}` is invalid: {detail}")]
    Invalid { field: &'static str, detail: String },
}

impl Reject {
    /// A short stable name for metrics, headers and rejects files.
    pub fn kind(&self) -> &'static str {
        match self {
            Reject::TooLarge { .. } => "too_large",
            Reject::NotUtf8 { .. } => "not_utf8",
            Reject::NotJson { .. } => "not_json",
            Reject::NotObject => "not_object",
            Reject::MissingField { .. } => "missing_field",
            Reject::WrongType { .. } => "wrong_type",
            Reject::Invalid { .. } => "invalid_field",
        }
    }
}

/// Limits applied while parsing, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_record_bytes: 4 * 1024 * 1024 }
    }
}

/// The raw shape, before validation: any field may be anything.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    title: Option<Value>,
    #[serde(default)]
    url: Option<Value>,
    #[serde(default)]
    source: Option<Value>,
    #[serde(default)]
    lang: Option<Value>,
    #[serde(default)]
    published_at: Option<Value>,
}

fn opt_string(v: Option<Value>, field: &'static str) -> Result<Option<String>, Reject> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Reject::WrongType { field, expected: "a string or null" }),
    }
}

impl Article {
    /// Parses one record (a Kafka value or a JSONL line).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Article, Reject> {
        if bytes.len() > limits.max_record_bytes {
            return Err(Reject::TooLarge { size: bytes.len(), limit: limits.max_record_bytes });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| Reject::NotUtf8 { offset: e.valid_up_to() })?;
        let value: Value = serde_json::from_str(text).map_err(|e| Reject::NotJson { detail: e.to_string() })?;
        if !value.is_object() {
            return Err(Reject::NotObject);
        }
        let raw: Raw = serde_json::from_value(value).map_err(|e| Reject::NotJson { detail: e.to_string() })?;
        let id = match raw.id {
            None | Some(Value::Null) => return Err(Reject::MissingField { field: "id" }),
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(Reject::Invalid { field: "id", detail: "empty".into() })
            }
            Some(Value::String(s)) => s,
            Some(_) => return Err(Reject::WrongType { field: "id", expected: "a string" }),
        };
        let body = match raw.body {
            None | Some(Value::Null) => return Err(Reject::MissingField { field: "body" }),
            Some(Value::String(s)) => s,
            Some(_) => return Err(Reject::WrongType { field: "body", expected: "a string" }),
        };
        let title = opt_string(raw.title, "title")?;
        let url = opt_string(raw.url, "url")?;
        let source = opt_string(raw.source, "source")?;
        let lang_tag = opt_string(raw.lang, "lang")?;
        let published_at = opt_string(raw.published_at, "published_at")?.filter(|s| !s.trim().is_empty());
        let published_day = match &published_at {
            None => None,
            Some(s) => Some(parse_day(s).ok_or_else(|| Reject::Invalid {
                field: "published_at",
                detail: format!("{s:?} is neither an RFC 3339 date-time (2016-05-03T09:00:00Z) nor a YYYY-MM-DD date"),
            })?),
        };
        let lang = match lang_tag.as_deref() {
            Some(tag) => Lang::from_tag(tag).unwrap_or_else(|| Lang::detect(title.as_deref().unwrap_or(""), &body)),
            None => Lang::detect(title.as_deref().unwrap_or(""), &body),
        };
        Ok(Article { id, body, title, url, source, lang, published_at, published_day })
    }
}

/// The calendar day of a publication timestamp. Accepted, and checked whole:
/// an RFC 3339 date-time (`2016-05-03T09:00:00Z`, `2016-05-03T09:00:00.5+03:00`),
/// a plain date (`2016-05-03`), and the ISO 8601 local times feeds also write
/// (`2016-05-03T09:00:00`, `2016-05-03 09:00`, `2017-01-22T185600`, seen in
/// real outlets' data): a date, then optionally `T` or a space, a valid time of
/// day (extended `hh:mm[:ss[.f]]` or basic `hhmm[ss]`) and an optional `Z` or
/// `±hh[:]mm` offset. Anything else, even after a good date, is `None`.
/// The day is the one written (local to the outlet), not converted to UTC,
/// because "today" in the text means the outlet's day.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let head = s.get(..10)?;
    // chrono's %Y also reads "+016" and "-001": only four plain digits are a year here.
    let shape = head.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape {
        return None;
    }
    let day = NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
    let rest = &s[10..];
    // The whole value is checked (time of day, offset), but only its written date is kept.
    let valid = rest.is_empty()
        || (rest.starts_with(['T', 't']) && chrono::DateTime::parse_from_rfc3339(s).is_ok())
        || rest.strip_prefix(['T', 't', ' ']).is_some_and(iso_local_time);
    valid.then_some(day)
}

/// `hh:mm[:ss[.f]]` or `hhmm[ss]`, then optionally `Z` or `±hh[:]mm`; every
/// field in range (a leap second allowed).
fn iso_local_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<u32> {
        let d = b.get(from..from + n)?;
        d.iter().all(u8::is_ascii_digit).then(|| d.iter().fold(0, |a, c| a * 10 + u32::from(c - b'0')))
    };
    let extended = b.get(2) == Some(&b':');
    let step = if extended { 3 } else { 2 };
    let (Some(h), Some(m)) = (digits(0, 2), digits(step, 2)) else { return false };
    let mut i = step + 2;
    let mut sec = 0;
    let has_seconds = if extended { b.get(i) == Some(&b':') } else { b.get(i).is_some_and(u8::is_ascii_digit) };
    if has_seconds {
        let at = if extended { i + 1 } else { i };
        let Some(x) = digits(at, 2) else { return false };
        sec = x;
        i = at + 2;
        if b.get(i) == Some(&b'.') {
            let frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if frac == 0 {
                return false;
            }
            i += 1 + frac;
        }
    }
    if h > 23 || m > 59 || sec > 60 {
        return false;
    }
    let zone = &s[i..];
    match zone.as_bytes().first() {
        None => true,
        Some(b'Z' | b'z') => zone.len() == 1,
        Some(b'+' | b'-') => {
            let z = &zone[1..];
            let (zh, zm) = match z.len() {
                5 if z.as_bytes()[2] == b':' => (&z[..2], &z[3..]),
                4 => (&z[..2], &z[2..]),
                _ => return false,
            };
            let num = |x: &str| x.bytes().all(|c| c.is_ascii_digit()).then(|| x.parse::<u32>().ok()).flatten();
            matches!((num(zh), num(zm)), (Some(zh), Some(zm)) if zh <= 23 && zm <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Article, Reject> {
        Article::parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn good_article_with_detected_language() {
        let a =
            parse(r#"{"id":"a1","body":"قال الوزير إن الوضع جيد","published_at":"2016-05-03T09:00:00Z","extra":1}"#)
                .unwrap();
        assert_eq!(a.lang, Lang::Ar);
        assert_eq!(a.published_day, NaiveDate::from_ymd_opt(2016, 5, 3));
    }

    #[test]
    fn every_reason_has_its_kind() {
        assert_eq!(parse("not json").unwrap_err().kind(), "not_json");
        assert_eq!(parse("[1]").unwrap_err().kind(), "not_object");
        assert_eq!(parse(r#"{"body":"x"}"#).unwrap_err(), Reject::MissingField { field: "id" });
        assert_eq!(parse(r#"{"id":"x"}"#).unwrap_err(), Reject::MissingField { field: "body" });
        assert_eq!(parse(r#"{"id":3,"body":"x"}"#).unwrap_err().kind(), "wrong_type");
        assert_eq!(parse(r#"{"id":"x","body":"y","title":5}"#).unwrap_err().kind(), "wrong_type");
        assert_eq!(parse(r#"{"id":"x","body":"y","published_at":"soon"}"#).unwrap_err().kind(), "invalid_field");
        assert_eq!(Article::parse(b"{\"id\":\"\xff\"}", &Limits::default()).unwrap_err().kind(), "not_utf8");
        let small = Limits { max_record_bytes: 10 };
        assert_eq!(Article::parse(br#"{"id":"x","body":"long body"}"#, &small).unwrap_err().kind(), "too_large");
    }

    #[test]
    fn publication_days_are_whole_rfc3339_date_times_or_plain_dates() {
        let day = |s: &str| parse_day(s).map(|d| d.to_string());
        assert_eq!(day("2015-05-12").as_deref(), Some("2015-05-12"));
        assert_eq!(day("2017-01-20T21:43:00+01:00").as_deref(), Some("2017-01-20"));
        assert_eq!(day("2016-05-03T09:00:00.250Z").as_deref(), Some("2016-05-03"));
        assert_eq!(day("2016-05-03t09:00:00z").as_deref(), Some("2016-05-03"));
        // The day written, not the UTC day: late evening east of Greenwich stays that evening's day.
        assert_eq!(day("2016-05-03T23:30:00-05:00").as_deref(), Some("2016-05-03"));
        assert_eq!(day("2016-05-04T01:30:00+03:00").as_deref(), Some("2016-05-04"));
        // ISO 8601 local times that feeds write, checked field by field.
        for good in [
            "2016-05-03T09:00:00",
            "2016-05-03 09:00",
            "2016-05-03T09:00Z",
            "2017-01-22T185600",
            "2017-01-22T1856+0300",
            "2016-05-03 09:00:00.5-05:00",
        ] {
            assert_eq!(day(good).as_deref(), Some(&good[..10]), "{good}");
        }
        for bad in [
            "2015-13-01",
            "20150512",
            "2016-02-30",
            "2016-05-03garbage",
            "2016-05-03T25:00:00Z",
            "2016-05-03T09:60",
            "2016-05-03T09:00:00+25:00",
            "2016-05-03T09:00:00+0360",
            "2016-05-03T09:00:00.",
            "2016-05-03T9:00",
            "2016-05-03T",
            "2017-01-22T185600Q",
            "2017-01-22T1856001",
            "+016-05-03",
        ] {
            assert_eq!(day(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_date_with_trailing_garbage_is_rejected_with_its_reason() {
        for bad in ["2016-05-03garbage", "2016-05-03T25:00:00Z", "2016-02-30"] {
            let line = format!(r#"{{"id":"x","body":"y","published_at":"{bad}"}}"#);
            let err = parse(&line).unwrap_err();
            assert_eq!(err.kind(), "invalid_field", "{bad}");
            assert!(err.to_string().contains("published_at") && err.to_string().contains(bad), "{err}");
        }
    }
}

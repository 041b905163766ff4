//! Invariants of the extractor over arbitrary text: whatever the article
//! says, extraction never panics, every span lies inside its field and holds
//! the text beside it, events conform to the schema, and ids are
//! deterministic and unique within the article.
//!
//! The text is a random mix of Arabic and Latin letters, digits, the
//! punctuation the segmenter cares about (quotes, Arabic comma and semicolon,
//! colons, dashes, newlines), marks that are not letters (diacritics,
//! tatweel, joiners, astral characters whose UTF-16 and UTF-8 lengths differ
//! from one code point) and fragments of real cue, actor and date words, so
//! that the cases reach attribution and not only tokenisation.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::common::default_pipeline;
use demarche::event::{Field, Span, StatementEvent};
use jsonschema::Validator;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{json, Value};

fn event_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(include_str!("../../schemas/statement-event.schema.json")).unwrap();
        jsonschema::draft202012::new(&schema).expect("event schema compiles")
    })
}

const FRAGMENTS: &[&str] = &[
    // English cues, actors, dates.
    "said",
    "says",
    "told",
    "added",
    "warned",
    "called on",
    "accused",
    "denied",
    "according to",
    "that",
    "he",
    "she",
    "they",
    "Lavrov",
    "Sergei Lavrov",
    "Russian Foreign Minister",
    "Kerry",
    "John Kerry",
    "the State Department",
    "Moscow",
    "Washington",
    "Damascus",
    "the regime",
    "the UN envoy",
    "on Monday",
    "yesterday",
    "on 21 April",
    "For his part,",
    "in a statement",
    "The",
    "Russia",
    "Iran",
    // Arabic cues, actors, dates.
    "قال",
    "قالت",
    "وقال",
    "وأضاف",
    "وأضافت",
    "أكد",
    "أعلن",
    "طالب",
    "دعا",
    "حذر",
    "أن",
    "إن",
    "بأن",
    "لافروف",
    "سيرغي لافروف",
    "وزير الخارجية",
    "الروسي",
    "الأمريكي",
    "كيري",
    "موسكو",
    "واشنطن",
    "دمشق",
    "النظام",
    "المبعوث الدولي",
    "من جانبه",
    "اليوم",
    "الثلاثاء",
    "يوم الاثنين",
    "أمس",
    "في بيان",
    "حسب وكالة",
    "روسيا",
];

const PUNCT: &[&str] = &[
    "“", "”", "«", "»", "\"", "'", "‘", "’", "،", "؛", "؟", ":", ".", ",", "!", "?", "(", ")", "-", " - ", "—", "―",
    "–", "|", "...", "…", "\n", "\n\n", "\r\n", "\t", "\u{a0}",
];

/// Characters that are not letters but sit inside words or change lengths.
const ODD: &[&str] = &[
    "\u{064b}", "\u{064f}", "\u{0650}", "\u{0651}", "\u{0652}", "\u{0640}", "\u{200c}", "\u{200d}", "\u{200f}",
    "\u{feff}", "ى", "ة", "آ", "ﻻ", "ﷲ", "ﷺ", "ﬁ", "٢٠١٦", "۲۰۱۶", "𝐀", "😀", "e\u{301}", "İ", "ß", "中文", "\u{0}",
    "\u{7}", "\r", "\u{b}", "\u{c}", "\u{85}", "\u{2028}", "\u{2029}",
];

const SPEAKERS: &[&str] =
    &["Lavrov", "Sergei Lavrov", "The minister", "He", "Kerry", "لافروف", "وزير الخارجية الروسي", "المبعوث الدولي"];
const CUES: &[&str] = &["said", "told reporters", "warned", "قال", "وأضاف", "أكد", "حذر"];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
        3 => Just(" ".to_string()),
        2 => prop::sample::select(PUNCT).prop_map(str::to_string),
        2 => "[\u{0621}-\u{064a}]{1,7}",
        2 => "[A-Za-z]{1,9}",
        1 => "[0-9]{1,4}",
        1 => prop::sample::select(ODD).prop_map(str::to_string),
    ]
}

fn text(max_pieces: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..max_pieces).prop_map(|v| v.concat())
}

fn article() -> impl Strategy<Value = String> {
    (
        "[a-z0-9-]{1,12}",
        prop::option::of(text(24)),
        text(120),
        prop::sample::select(vec![None, Some("ar"), Some("en"), Some("fr")]),
        prop::sample::select(vec![None, Some("2016-05-03"), Some("2016-05-03T09:00:00+03:00"), Some("2017-01-01")]),
    )
        .prop_map(|(id, title, body, lang, published_at)| {
            json!({ "id": id, "title": title, "body": body, "lang": lang, "published_at": published_at }).to_string()
        })
}

fn slice(chars: &[char], span: Span) -> Option<String> {
    (span[0] <= span[1] && span[1] <= chars.len()).then(|| chars[span[0]..span[1]].iter().collect())
}

/// The span lies inside the field and holds `text`.
fn holds(chars: &[char], what: &str, span: Span, text: &str) -> Result<(), TestCaseError> {
    let got = slice(chars, span)
        .ok_or_else(|| TestCaseError::fail(format!("{what} span {span:?} outside {} code points", chars.len())))?;
    prop_assert_eq!(got, text, "{} span {:?}", what, span);
    Ok(())
}

fn check(body: &str, title: Option<&str>, events: &[StatementEvent]) -> Result<(), TestCaseError> {
    let body: Vec<char> = body.chars().collect();
    let title: Vec<char> = title.unwrap_or("").chars().collect();
    let mut ids = HashSet::new();
    for e in events {
        prop_assert!(ids.insert(e.event_id.as_str()), "event_id {} repeated", e.event_id);
        let v = serde_json::to_value(e).expect("an event serialises");
        let errors: Vec<String> =
            event_validator().iter_errors(&v).map(|x| format!("{x} at {}", x.instance_path)).collect();
        prop_assert!(errors.is_empty(), "schema: {:?}\n{:#}", errors, v);
        let chars = match e.field {
            Field::Title => &title,
            Field::Body => &body,
        };
        let s = e.sentence.span;
        prop_assert!(s[0] <= s[1] && s[1] <= chars.len(), "sentence span {:?} of {}", s, chars.len());
        holds(chars, "cue", e.cue.span, &e.cue.text)?;
        holds(chars, "claim", e.claim.span, &e.claim.text)?;
        if let Some(span) = e.actor.span {
            let mention =
                e.actor.mention.as_deref().ok_or_else(|| TestCaseError::fail("actor span without mention"))?;
            holds(chars, "actor", span, mention)?;
        }
        for t in &e.targets {
            holds(chars, "target", t.span, &t.mention)?;
        }
    }
    Ok(())
}

/// 256 cases (a few seconds in a debug build); `PROPTEST_CASES=100000` for a
/// deeper search, `PROPTEST_RNG_SEED=<n>` to replay one sequence. Failures
/// are not written to `tests/proptest-regressions`: a failing input becomes a
/// named regression test below instead.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn extraction_keeps_its_invariants(line in article()) {
        let first = default_pipeline().process(line.as_bytes()).map_err(|r| TestCaseError::fail(format!("rejected: {r}")))?;
        check(&first.article.body, first.article.title.as_deref(), &first.events)?;
        let again = default_pipeline().process(line.as_bytes()).unwrap();
        let ids = |es: &[StatementEvent]| es.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&first.events), ids(&again.events));
        prop_assert_eq!(&first.events, &again.events);
    }

    /// Quotations and sentences split across lines and around cues, in one language at a time.
    #[test]
    fn quoted_statements_keep_their_invariants(
        speaker in prop::sample::select(SPEAKERS),
        cue in prop::sample::select(CUES),
        open in prop::sample::select(vec!["“", "«", "\"", "'", ""]),
        close in prop::sample::select(vec!["”", "»", "\"", "'", ""]),
        before in text(20),
        inside in text(30),
        after in text(20),
        order in 0usize..4,
    ) {
        let quote = format!("{open}{inside}{close}");
        let body = match order {
            0 => format!("{before} {speaker} {cue} {quote}. {after}"),
            1 => format!("{before}\n{quote}, {speaker} {cue}.\n{after}"),
            2 => format!("{cue} {speaker}: {quote}{after}"),
            _ => format!("{quote} ― {speaker}\n{before} {cue} {after}"),
        };
        let line = json!({"id": "q", "body": body, "published_at": "2016-05-03"}).to_string();
        let first = default_pipeline().process(line.as_bytes()).map_err(|r| TestCaseError::fail(format!("rejected: {r}")))?;
        check(&first.article.body, None, &first.events)?;
        let again = default_pipeline().process(line.as_bytes()).unwrap();
        prop_assert_eq!(&first.events, &again.events);
    }
}

/// Found by `quoted_statements_keep_their_invariants`: a comma as the first
/// token of a field, before a cue, made the claim-before-cue search look at
/// the token before token 0 (an integer underflow: a panic in debug builds).
#[test]
fn a_comma_opening_a_field_before_a_cue() {
    for text in [",said", ", Lavrov said.", ",” Lavrov said.", "، قال لافروف", ", he said that talks would resume."]
    {
        for line in [json!({"id": "comma", "body": text}), json!({"id": "comma", "title": text, "body": ""})] {
            let p = default_pipeline().process(line.to_string().as_bytes()).expect("parses");
            check(&p.article.body, p.article.title.as_deref(), &p.events).unwrap();
        }
    }
}

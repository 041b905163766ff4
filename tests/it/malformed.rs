//! The offline run loop against hostile input: every bad line becomes one
//! rejects record with its line number and reason, blank lines are skipped,
//! and the good lines around them (before and after) still give events.

use std::collections::HashSet;
use std::io::Cursor;

use crate::common::default_pipeline;
use demarche::cmd::extract::{run, Summary};
use demarche::event::StatementEvent;
use serde_json::{json, Value};

/// Small enough that a 1 MB line is far over it, large enough for every good line.
const LIMIT: usize = 64 * 1024;

fn en(id: &str) -> String {
    json!({
        "id": id,
        "lang": "en",
        "published_at": "2016-05-03T09:00:00Z",
        "title": "Talks to resume, Moscow says",
        "body": "Russian Foreign Minister Sergei Lavrov said on Monday that talks would resume.",
    })
    .to_string()
}

fn ar(id: &str) -> String {
    json!({
        "id": id,
        "lang": "ar",
        "published_at": "2016-05-03",
        "body": "قال وزير الخارجية الروسي سيرغي لافروف اليوم الثلاثاء إن المحادثات ستستأنف.",
    })
    .to_string()
}

/// One input line: its bytes, the line ending, and what the run must make of it.
enum Expect {
    Events(&'static str),
    Reject(&'static str),
    Blank,
}

fn input() -> Vec<(Vec<u8>, &'static [u8], Expect)> {
    use Expect::*;
    let huge = json!({"id": "huge", "body": "Lavrov said that talks would resume. ".repeat(28_000)}).to_string();
    assert!(huge.len() > 1_000_000);
    let mut bad_utf8 = br#"{"id":"bad-utf8","body":"Lavrov said "#.to_vec();
    bad_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    bad_utf8.extend_from_slice(br#" that talks would resume."}"#);
    let s = |x: &str| x.as_bytes().to_vec();
    let lf: &[u8] = b"\n";
    let crlf: &[u8] = b"\r\n";
    vec![
        (s(&en("good-en-1")), lf, Events("good-en-1")),
        (s("{this is not json"), lf, Reject("not_json")),
        (s(r#"{"id":"truncated","body":"Lavrov said that talks"#), lf, Reject("not_json")),
        (s(r#"[{"id":"in-an-array","body":"Lavrov said that talks would resume."}]"#), lf, Reject("not_object")),
        (s(r#""just a string""#), lf, Reject("not_object")),
        (s(r#"{"body":"Lavrov said that talks would resume."}"#), lf, Reject("missing_field")),
        (s(r#"{"id":"no-body","title":"Lavrov said that talks would resume."}"#), lf, Reject("missing_field")),
        (s(&ar("good-ar-1")), lf, Events("good-ar-1")),
        (s(r#"{"id":42,"body":"Lavrov said that talks would resume."}"#), lf, Reject("wrong_type")),
        (
            s(r#"{"id":"title-object","title":{"text":"x"},"body":"Lavrov said that talks would resume."}"#),
            lf,
            Reject("wrong_type"),
        ),
        (
            s(r#"{"id":"bad-date","published_at":"not a date","body":"Lavrov said that talks would resume."}"#),
            lf,
            Reject("invalid_field"),
        ),
        (s(&huge), lf, Reject("too_large")),
        (bad_utf8, lf, Reject("not_utf8")),
        (s(""), lf, Blank),
        (s("   \t "), lf, Blank),
        (s(""), crlf, Blank),
        (s(&en("good-en-crlf")), crlf, Events("good-en-crlf")),
        (s("{\"id\":\"crlf-bad\""), crlf, Reject("not_json")),
        (s(&ar("good-ar-crlf")), crlf, Events("good-ar-crlf")),
        // The last line has no line ending at all.
        (s(&en("good-en-last")), b"", Events("good-en-last")),
    ]
}

struct Outcome {
    summary: Summary,
    events: Vec<StatementEvent>,
    rejects: Vec<Value>,
}

fn run_on(bytes: &[u8]) -> Outcome {
    let mut out = Vec::new();
    let mut rejects = Vec::new();
    let summary = run(default_pipeline(), &mut Cursor::new(bytes), &mut out, Some(&mut rejects), LIMIT)
        .expect("the run succeeds");
    let events = String::from_utf8(out)
        .expect("output is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("output line is not an event ({e}): {l}")))
        .collect();
    let rejects = String::from_utf8(rejects)
        .expect("rejects are UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("rejects line is not JSON ({e}): {l}")))
        .collect();
    Outcome { summary, events, rejects }
}

#[test]
fn bad_lines_are_rejected_with_their_reason_and_good_lines_still_extract() {
    let lines = input();
    let mut bytes = Vec::new();
    for (line, ending, _) in &lines {
        bytes.extend_from_slice(line);
        bytes.extend_from_slice(ending);
    }
    let Outcome { summary, events, rejects } = run_on(&bytes);

    let expected_rejects: Vec<(u64, &str)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, (_, _, e))| match e {
            Expect::Reject(kind) => Some((i as u64 + 1, *kind)),
            _ => None,
        })
        .collect();
    let good: Vec<&str> = lines
        .iter()
        .filter_map(|(_, _, e)| match e {
            Expect::Events(id) => Some(*id),
            _ => None,
        })
        .collect();
    let blank = lines.iter().filter(|(_, _, e)| matches!(e, Expect::Blank)).count() as u64;

    assert_eq!(summary.read, summary.extracted + summary.rejected, "{summary:?}");
    assert_eq!(summary.rejected, 12, "{summary:?}");
    assert_eq!(summary.rejected, expected_rejects.len() as u64);
    assert_eq!(summary.extracted, good.len() as u64, "{summary:?}");
    assert_eq!(summary.blank, blank, "{summary:?}");
    assert_eq!(summary.read + summary.blank, lines.len() as u64, "{summary:?}");
    assert_eq!(summary.statements, events.len() as u64);

    // One rejects record per rejected line, in order, with its line number and kind.
    let got: Vec<(u64, &str)> =
        rejects.iter().map(|r| (r["line"].as_u64().expect("line number"), r["kind"].as_str().expect("kind"))).collect();
    assert_eq!(got, expected_rejects);
    for r in &rejects {
        assert!(r.is_object(), "{r}");
        assert!(r["reason"].as_str().is_some_and(|s| !s.is_empty()), "no reason: {r}");
        assert!(r["excerpt"].as_str().is_some_and(|s| s.chars().count() <= 200), "excerpt: {r}");
    }
    let too_large = rejects.iter().find(|r| r["kind"] == "too_large").unwrap();
    assert!(too_large["reason"].as_str().unwrap().contains(&LIMIT.to_string()), "{too_large}");

    // Every good line gave events, including those after bad lines and with CRLF endings.
    let with_events: HashSet<&str> = events.iter().map(|e| e.article.id.as_str()).collect();
    for id in &good {
        assert!(with_events.contains(id), "no events for {id}; events for {with_events:?}");
    }
    assert_eq!(with_events.len(), good.len(), "events for an article that should have been rejected: {with_events:?}");
    // A CRLF line is the same article as the LF one: its carriage return is not part of the text.
    let claims = |id: &str| -> Vec<String> {
        events.iter().filter(|e| e.article.id == id).map(|e| e.claim.text.clone()).collect()
    };
    assert_eq!(claims("good-en-1"), claims("good-en-crlf"));
    assert_eq!(claims("good-ar-1"), claims("good-ar-crlf"));
    assert!(events.iter().all(|e| !e.claim.text.contains('\r')));
}

#[test]
fn the_fixtures_give_the_expected_statements() {
    let Outcome { events, .. } = run_on(format!("{}\n{}\n", en("en"), ar("ar")).as_bytes());
    for id in ["en", "ar"] {
        let body: Vec<&StatementEvent> = events.iter().filter(|e| e.article.id == id && !e.headline).collect();
        assert_eq!(body.len(), 1, "{id}: {body:#?}");
        let e = body[0];
        assert_eq!(e.actor.id.as_deref(), Some("sergei-lavrov"), "{e:#?}");
        // "talks would resume" / «المحادثات ستستأنف»: the future on the main verb is an announcement.
        assert_eq!(e.claim.kind, "announce");
        assert_eq!(e.date.value.as_deref(), Some(if id == "en" { "2016-05-02" } else { "2016-05-03" }), "{e:#?}");
    }
}

#[test]
fn an_input_of_only_bad_lines_is_still_a_successful_run() {
    let mut bytes = b"not json\n[]\n\n{\"id\":1}\n".to_vec();
    bytes.extend_from_slice(&[0xc3, 0x28, b'\n']);
    let Outcome { summary, events, rejects } = run_on(&bytes);
    assert_eq!((summary.read, summary.extracted, summary.rejected, summary.blank), (4, 0, 4, 1));
    assert!(events.is_empty());
    let kinds: Vec<&str> = rejects.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["not_json", "not_object", "wrong_type", "not_utf8"]);
}

#[test]
fn an_empty_input_reads_nothing() {
    let Outcome { summary, events, rejects } = run_on(b"");
    assert_eq!(summary, Summary::default());
    assert!(events.is_empty() && rejects.is_empty());
}

#[test]
fn a_byte_order_mark_before_the_first_line_is_skipped() {
    let plain = run_on(format!("{}\n{}\n", en("bom-1"), ar("bom-2")).as_bytes());
    let with_bom = run_on(format!("\u{feff}{}\n{}\n", en("bom-1"), ar("bom-2")).as_bytes());
    assert_eq!(with_bom.summary.rejected, 0, "{:?}", with_bom.rejects);
    assert_eq!(with_bom.summary.extracted, 2);
    assert_eq!(with_bom.events, plain.events, "the mark changes nothing in the events");
    // A mark alone on the first line leaves a blank line.
    let alone = run_on(format!("\u{feff}\n{}\n", en("bom-3")).as_bytes());
    assert_eq!((alone.summary.blank, alone.summary.extracted, alone.summary.rejected), (1, 1, 0));
    // Only the start of the input: a mark inside the stream is still a bad line.
    let later = run_on(format!("{}\n\u{feff}{}\n", en("bom-4"), en("bom-5")).as_bytes());
    let kinds: Vec<(u64, &str)> =
        later.rejects.iter().map(|r| (r["line"].as_u64().unwrap(), r["kind"].as_str().unwrap())).collect();
    assert_eq!(kinds, [(2, "not_json")]);
}

#[test]
fn published_at_is_validated_whole_not_on_its_first_ten_characters() {
    let with = |id: &str, published: &str| {
        json!({"id": id, "lang": "en", "published_at": published,
               "body": "Russian Foreign Minister Sergei Lavrov said on Monday that talks would resume."})
        .to_string()
    };
    let bad =
        ["2016-05-03garbage", "2016-05-03T25:00:00Z", "2016-02-30", "2016-05-03T09:61:00", "2016-05-03 09:00 GMT"];
    // RFC 3339, a plain date, and the ISO 8601 local times feeds write (the shared corpus has some).
    let good = [
        "2016-05-03",
        "2016-05-03T09:00:00Z",
        "2016-05-03T09:00:00.123+03:00",
        "2016-05-03 09:00",
        "2016-05-03T185600",
    ];
    let mut input = String::new();
    for (i, p) in bad.iter().chain(&good).enumerate() {
        input.push_str(&with(&format!("a{i}"), p));
        input.push('\n');
    }
    let Outcome { summary, events, rejects } = run_on(input.as_bytes());
    assert_eq!((summary.rejected, summary.extracted), (bad.len() as u64, good.len() as u64), "{rejects:?}");
    for (r, p) in rejects.iter().zip(bad) {
        assert_eq!(r["kind"], "invalid_field", "{r}");
        let reason = r["reason"].as_str().unwrap();
        assert!(reason.contains("published_at") && reason.contains(p), "{reason}");
    }
    // Valid values go through unchanged, and the day written anchors the dates.
    for (i, p) in good.iter().enumerate() {
        let id = format!("a{}", bad.len() + i);
        let e = events.iter().find(|e| e.article.id == id && !e.headline).expect("an event");
        assert_eq!(e.article.published_at.as_deref(), Some(*p));
        assert_eq!(e.date.value.as_deref(), Some("2016-05-02"), "Monday before {p}");
    }
}

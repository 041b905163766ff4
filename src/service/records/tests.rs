//! Tests of [`super`]: outputs, dead letters and their fitting, panics.

use super::fit::{varint_size, FIELD_CUT};
use super::*;

fn input(payload: Option<&[u8]>) -> InputRecord {
    InputRecord {
        topic: "articles".into(),
        partition: 2,
        offset: 41,
        key: Some(b"k1".to_vec()),
        payload: payload.map(|p| p.to_vec()),
        headers: vec![("traceparent".into(), b"00-abc-def-01".to_vec())],
        timestamp_ms: Some(0),
    }
}

fn header<'a>(r: &'a OutputRecord, k: &str) -> Option<&'a [u8]> {
    r.headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_slice())
}

fn header_text(r: &OutputRecord, k: &str) -> Option<String> {
    header(r, k).map(|v| String::from_utf8_lossy(v).into_owned())
}

fn pipeline() -> &'static Pipeline {
    static P: std::sync::OnceLock<Pipeline> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        crate::cmd::build_pipeline(&crate::config::Config::load_with_env(None, Vec::new()).unwrap()).unwrap()
    })
}

fn topics() -> OutputTopics {
    OutputTopics { statements: "statements".into(), alerts: "alerts".into(), dead_letter: "articles.dlq".into() }
}

fn no_rules() -> AlertRules {
    AlertRules::from_toml("none", "").unwrap()
}

/// An article with statements (and alerts under the starter rules), with `id`.
fn article(id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "lang": "en",
        "published_at": "2016-05-03",
        "body": "Turkish President Recep Tayyip Erdogan threatened to close the border, and warned Russia that Ankara would respond.",
    }))
    .unwrap()
}

const MAX: usize = crate::config::DEFAULT_MESSAGE_MAX_BYTES;

fn run(input: &InputRecord) -> Outcome {
    process(pipeline(), &no_rules(), &topics(), MAX, input, "2026-01-01T00:00:00.000Z")
}

#[test]
fn dead_letters_keep_bytes_key_and_say_why() {
    let reject = Failure::Rejected(Reject::NotJson { detail: "expected value".into() });
    let dl = dead_letter(&input(Some(b"\xff not json")), &reject, "articles.dlq");
    assert_eq!(dl.payload, b"\xff not json");
    assert_eq!(dl.key.as_deref(), Some(&b"k1"[..]));
    let h = |k: &str| dl.headers.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).to_string());
    assert_eq!(h(headers::ERROR_KIND).as_deref(), Some("not_json"));
    assert_eq!(h(headers::SOURCE_PARTITION).as_deref(), Some("2"));
    assert_eq!(h(headers::SOURCE_OFFSET).as_deref(), Some("41"));
    assert_eq!(h(headers::TRACEPARENT).as_deref(), Some("00-abc-def-01"));
}

#[test]
fn wire_size_counts_key_payload_headers_and_overhead() {
    let h = vec![("ab".to_string(), b"xyz".to_vec())];
    assert_eq!(wire_size(None, b"", &[]), 36);
    assert_eq!(wire_size(Some(b"k"), b"12345", &h), 36 + 1 + 5 + (2 + 3 + 1 + 1));
    // Zigzag: 63 is 126, one byte; 64 is 128, two.
    assert_eq!([0, 1, 63, 64, 8191, 8192, 1 << 20].map(varint_size), [1, 1, 1, 2, 2, 3, 4]);
}

#[test]
fn an_article_whose_outputs_cannot_fit_becomes_one_dead_letter() {
    // The same article with a short id gives statements that fit.
    let fine = run(&input(Some(&article("short-id"))));
    assert!(fine.dead_letter.is_none() && !fine.records.is_empty(), "{fine:?}");
    assert!(fine.records.iter().all(|r| r.topic == "statements"));

    // A 600 KB id is copied into every statement and its article-id header: over 1 MB each.
    let id = "i".repeat(600_000);
    let bytes = article(&id);
    let out = run(&input(Some(&bytes)));
    assert_eq!(out.dead_letter, Some("output_too_large"));
    assert!(out.statement_kinds.is_empty() && out.alerts.is_empty() && out.article_id.is_none());
    assert_eq!(out.records.len(), 1, "the article's outputs replaced by one dead letter");
    let dl = &out.records[0];
    assert_eq!(dl.topic, "articles.dlq");
    assert_eq!(dl.payload, bytes, "the whole article, uncut: it fits");
    assert!(dl.wire_size() <= output_limit(MAX));
    assert_eq!(header_text(dl, headers::ERROR_KIND).as_deref(), Some("output_too_large"));
    let reason = header_text(dl, headers::ERROR_REASON).unwrap();
    assert!(reason.contains("output 1 of") && reason.contains("statement"), "{reason}");
    assert!(reason.contains(&output_limit(MAX).to_string()) && reason.contains("message.max.bytes"), "{reason}");
    assert!(header(dl, truncated::PAYLOAD).is_none());
}

#[test]
fn a_dead_letter_that_cannot_fit_is_cut_and_says_so() {
    // Text near the limit, with multi-byte characters so a cut can fall inside one.
    let text = "é".repeat(499_990).into_bytes();
    assert_eq!(text.len(), 999_980);
    let mut rec = input(Some(&text));
    rec.key = Some(vec![b'k'; 5_000]);
    rec.headers.push(("x-big".into(), vec![b'h'; 3_000]));
    rec.headers.extend((0..500).map(|i| (format!("x-{i}"), b"v".to_vec())));
    let out = run(&rec);
    assert_eq!(out.dead_letter, Some("too_large"));
    let dl = &out.records[0];
    let limit = output_limit(MAX);
    assert!(dl.wire_size() <= limit, "{} > {limit}", dl.wire_size());
    assert!(dl.wire_size() > limit - 100, "the payload is cut only as far as needed");
    assert!(text.starts_with(&dl.payload) && dl.payload.len() < text.len());
    assert!(std::str::from_utf8(&dl.payload).is_ok(), "text is cut at a character boundary");
    assert_eq!(header_text(dl, truncated::PAYLOAD).as_deref(), Some("999980"));
    assert_eq!(header_text(dl, truncated::KEY).as_deref(), Some("5000"));
    assert_eq!(dl.key.as_ref().unwrap().len(), FIELD_CUT);
    assert_eq!(header(dl, "x-big").map(<[u8]>::len), Some(FIELD_CUT));
    let cut_or_dropped: usize = header_text(dl, truncated::HEADERS).unwrap().parse().unwrap();
    let carried = dl.headers.iter().filter(|(k, _)| k.starts_with("x-")).count();
    assert_eq!(carried + cut_or_dropped, 501 + 1, "each input header kept, or counted (x-big both)");
    // Where it came from is always there, so the whole record can be read at the source.
    assert_eq!(header_text(dl, headers::SOURCE_OFFSET).as_deref(), Some("41"));
    assert_eq!(header_text(dl, headers::ERROR_KIND).as_deref(), Some("too_large"));
    assert_eq!(header_text(dl, headers::TRACEPARENT).as_deref(), Some("00-abc-def-01"));

    // Bytes that are not text are cut anywhere; a key and headers that fit stay whole.
    let binary: Vec<u8> = (0..1_200_000u32).map(|i| (i % 251) as u8 | 0x80).collect();
    let out = run(&input(Some(&binary)));
    let dl = &out.records[0];
    assert_eq!(out.dead_letter, Some("too_large"));
    assert!(dl.wire_size() <= limit && dl.wire_size() > limit - 8);
    assert!(binary.starts_with(&dl.payload));
    assert_eq!(header_text(dl, truncated::PAYLOAD).as_deref(), Some("1200000"));
    assert!(header(dl, truncated::KEY).is_none() && header(dl, truncated::HEADERS).is_none());
    assert_eq!(dl.key.as_deref(), Some(&b"k1"[..]));
}

#[test]
fn a_cut_dead_letter_rejected_again_keeps_its_mark_and_names_its_latest_source() {
    let first = &run(&input(Some(&vec![b'x'; 1_200_000]))).records[0];
    assert_eq!(header_text(first, truncated::PAYLOAD).as_deref(), Some("1200000"));
    // Re-driven from the dead-letter topic: still too large for the record limit.
    let again = InputRecord {
        topic: "articles.dlq".into(),
        partition: 0,
        offset: 7,
        key: first.key.clone(),
        payload: Some(first.payload.clone()),
        headers: first.headers.clone(),
        timestamp_ms: None,
    };
    let dl = &run(&again).records[0];
    assert!(dl.wire_size() <= output_limit(MAX));
    let marks: Vec<&str> = dl.headers.iter().filter(|(k, _)| k == truncated::PAYLOAD).map(|_| "m").collect();
    assert_eq!(marks.len(), 1);
    assert_eq!(header_text(dl, truncated::PAYLOAD).as_deref(), Some("1200000"), "the source record's length");
    assert_eq!(header_text(dl, headers::SOURCE_TOPIC).as_deref(), Some("articles.dlq"));
    assert_eq!(header_text(dl, headers::SOURCE_OFFSET).as_deref(), Some("7"));
}

#[test]
fn a_dead_letter_whose_excess_is_its_headers_keeps_its_payload() {
    let mut rec = input(Some(b"not json"));
    rec.headers.push(("x-huge".into(), vec![b'h'; 1_100_000]));
    let out = run(&rec);
    let dl = &out.records[0];
    assert!(dl.wire_size() <= output_limit(MAX));
    assert_eq!(dl.payload, b"not json");
    assert!(header(dl, truncated::PAYLOAD).is_none());
    assert_eq!(header_text(dl, truncated::HEADERS).as_deref(), Some("1"));
}

#[test]
fn the_reason_is_short_and_clean_whatever_the_input_quotes() {
    let date = format!("2016-05-03\u{1b}[2J\u{202e}{}", "9".repeat(50_000));
    let bytes = serde_json::to_vec(&serde_json::json!({"id": "a", "body": "b", "published_at": date})).unwrap();
    let out = run(&input(Some(&bytes)));
    assert_eq!(out.dead_letter, Some("invalid_field"));
    let reason = header(&out.records[0], headers::ERROR_REASON).unwrap();
    assert!(reason.len() <= REASON_MAX);
    let reason = std::str::from_utf8(reason).unwrap();
    assert!(reason.starts_with("field `published_at` is invalid"), "{reason}");
    assert!(!reason.chars().any(is_unsafe), "{reason:?}");
}

#[test]
fn clean_removes_c0_c1_del_and_bidi_controls_only() {
    let dirty = "a\u{0}b\tc\nd\u{1b}[31me\u{7f}f\u{85}g\u{9b}h\u{202e}i\u{2066}j\u{200f}k\u{61c}l";
    assert_eq!(clean(dirty), b"abcd[31mefghijkl");
    let fine = "Erdoğan أردوغان 中文 — \u{200d}ok";
    assert_eq!(clean(fine), fine.as_bytes(), "letters, punctuation and joiners stay");
}

#[test]
fn keys_and_headers_built_from_article_data_carry_no_controls() {
    let rules = AlertRules::from_toml(
        "test",
        "[[rule]]\nname = \"desk\\u001b]0;title\\u0007\\u202e\"\nseverity = \"info\"\nlanguages = [\"en\"]\n",
    )
    .unwrap();
    let id = "art\u{1b}[2K\r\u{202e}-1\u{9b}";
    let mut rec = input(Some(&article(id)));
    rec.headers = vec![("traceparent".into(), b"00-abc\x1b[1m-01".to_vec())];
    let out = process(pipeline(), &rules, &topics(), MAX, &rec, "2026-01-01T00:00:00.000Z");
    assert!(out.dead_letter.is_none(), "{out:?}");
    assert!(out.records.iter().any(|r| r.topic == "alerts"), "the test rule matched");
    for r in &out.records {
        let key = std::str::from_utf8(r.key.as_deref().unwrap()).unwrap();
        assert!(!key.is_empty() && !key.chars().any(is_unsafe), "{key:?}");
        for (name, v) in &r.headers {
            let v = std::str::from_utf8(v).unwrap();
            assert!(!v.chars().any(is_unsafe), "{name}: {v:?}");
        }
        assert_eq!(header_text(r, headers::ARTICLE_ID).as_deref(), Some("art[2K-1"));
        assert_eq!(header_text(r, headers::TRACEPARENT).as_deref(), Some("00-abc[1m-01"));
    }
    let alert = out.records.iter().find(|r| r.topic == "alerts").unwrap();
    assert_eq!(header_text(alert, headers::ALERT_RULE).as_deref(), Some("desk]0;title"));
    // The payloads keep the text as given: JSON escapes it.
    let first: serde_json::Value = serde_json::from_slice(&out.records[0].payload).unwrap();
    assert_eq!(first["article"]["id"], id);
}

#[test]
fn a_dead_letter_passes_on_the_input_key_and_headers_byte_for_byte() {
    // A Schema Registry key starts with a zero byte; a re-drive needs it unchanged.
    let mut rec = input(Some(b"not json"));
    rec.key = Some(b"\x00\x00\x00\x00\x07\x1b".to_vec());
    rec.headers.push(("x-bin".into(), b"\x00\x01\x9b".to_vec()));
    let dl = &run(&rec).records[0];
    assert_eq!(dl.key, rec.key);
    assert_eq!(header(dl, "x-bin"), Some(&b"\x00\x01\x9b"[..]));
}

fn panicking_pipeline() -> Pipeline {
    let mut p = crate::cmd::build_pipeline(&crate::config::Config::load_with_env(None, Vec::new()).unwrap()).unwrap();
    p.panic_on = Some("PANIC-HERE");
    p
}

#[test]
fn a_panic_while_processing_a_record_becomes_an_internal_dead_letter() {
    let p = panicking_pipeline();
    let bytes = article("PANIC-HERE");
    let out = process(&p, &no_rules(), &topics(), MAX, &input(Some(&bytes)), "now");
    assert_eq!(out.dead_letter, Some("internal"));
    assert_eq!(out.records.len(), 1);
    let dl = &out.records[0];
    assert_eq!(dl.payload, bytes);
    assert_eq!(header_text(dl, headers::ERROR_KIND).as_deref(), Some("internal"));
    let reason = header_text(dl, headers::ERROR_REASON).unwrap();
    assert!(reason.contains("test panic on") && reason.contains("PANIC-HERE"), "{reason}");
    // The same pipeline goes on with the next record.
    let next = process(&p, &no_rules(), &topics(), MAX, &input(Some(&article("fine"))), "now");
    assert!(next.dead_letter.is_none() && !next.records.is_empty());
}

#[tokio::test]
async fn a_panic_in_an_extraction_worker_costs_one_record_not_the_batch_or_the_pool() {
    use crate::service::extraction::Extraction;
    let ex =
        Extraction::new(std::sync::Arc::new(panicking_pipeline()), std::sync::Arc::new(no_rules()), topics(), 2, MAX)
            .unwrap();
    let batch: Vec<InputRecord> = ["a", "PANIC-HERE", "b", "PANIC-HERE", "c"]
        .iter()
        .enumerate()
        .map(|(i, id)| InputRecord { offset: i as i64, ..input(Some(&article(id))) })
        .collect();
    for _ in 0..2 {
        let outcomes = ex.process(std::sync::Arc::new(batch.clone())).await;
        let kinds: Vec<Option<&str>> = outcomes.iter().map(|o| o.dead_letter).collect();
        assert_eq!(kinds, [None, Some("internal"), None, Some("internal"), None]);
        assert!(outcomes[0].records.iter().all(|r| r.topic == "statements"));
    }
}

/// A replay's rejects file is written from the typed rejection: it must say
/// what the dead letter's headers say, and each output's kind must match
/// what it is (alerts carry their rule).
#[test]
fn the_typed_outcome_agrees_with_the_records() {
    let mut bad = input(Some(b"{not json"));
    bad.topic = "arti\u{1b}cles".into();
    let out = run(&bad);
    assert_eq!(out.kinds, [OutputKind::DeadLetter]);
    let why = out.rejection.as_ref().expect("a rejection");
    let dl = &out.records[0];
    assert_eq!(Some(why.reason.clone()), header_text(dl, headers::ERROR_REASON));
    assert_eq!(Some(why.kind.to_string()), header_text(dl, headers::ERROR_KIND));
    assert_eq!(Some(why.topic.clone()), header_text(dl, headers::SOURCE_TOPIC));
    assert_eq!(why.topic, "articles", "cleaned as in the header");
    assert_eq!(Some(why.partition.to_string()), header_text(dl, headers::SOURCE_PARTITION));
    assert_eq!(Some(why.offset.to_string()), header_text(dl, headers::SOURCE_OFFSET));

    let rules =
        AlertRules::from_toml("test", "[[rule]]\nname = \"en\"\nseverity = \"info\"\nlanguages = [\"en\"]\n").unwrap();
    let ok = process(pipeline(), &rules, &topics(), MAX, &input(Some(&article("a1"))), "t");
    assert!(ok.rejection.is_none());
    assert_eq!(ok.kinds.len(), ok.records.len());
    assert!(ok.kinds.contains(&OutputKind::Alert), "the test rule alerts on every English statement");
    for (r, k) in ok.records.iter().zip(&ok.kinds) {
        let is_alert = header(r, headers::ALERT_RULE).is_some();
        assert_eq!(*k == OutputKind::Alert, is_alert);
        assert_eq!(r.topic, if is_alert { "alerts" } else { "statements" });
    }
}

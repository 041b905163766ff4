//! The shipped alert rules (`config/alerts.toml`) load, and hand-built events
//! raise the alerts a desk would expect from them.

use demarche::alerts::{alerts_for, AlertRules, Severity};
use demarche::event::{
    Actor, ArticleRef, Claim, Cue, DateBasis, EntityKind, EventDate, Field, Precision, Resolution, SentenceRef,
    StatementEvent, Target,
};

const PATH: &str = "config/alerts.toml";

fn rules() -> AlertRules {
    let text = std::fs::read_to_string(PATH).unwrap_or_else(|e| panic!("{PATH}: {e}"));
    AlertRules::from_toml(PATH, &text).unwrap_or_else(|e| panic!("{e}"))
}

fn country(code: &str, name: &str, mention: &str) -> (Option<String>, String, String) {
    (Some(code.to_string()), name.to_string(), mention.to_string())
}

fn event(
    id: &str,
    lang: &str,
    actor: (Option<String>, String, String),
    cue: (&str, &str),
    claim: (&str, &str),
    targets: &[(Option<String>, String, String)],
) -> StatementEvent {
    let (actor_id, actor_name, actor_mention) = actor;
    StatementEvent {
        schema_version: 1,
        event_id: id.to_string(),
        article: ArticleRef {
            id: format!("article-{id}"),
            source: None,
            url: None,
            lang: lang.to_string(),
            published_at: Some("2024-05-02T08:00:00Z".to_string()),
        },
        field: Field::Body,
        headline: false,
        sentence: SentenceRef { span: [0, 120] },
        actor: Actor {
            country: actor_id.clone(),
            id: actor_id,
            name: actor_name,
            mention: Some(actor_mention),
            span: Some([0, 5]),
            kind: EntityKind::Country,
            role: None,
            resolution: Resolution::Named,
            cameo: None,
        },
        cue: Cue { text: cue.0.to_string(), span: [6, 10], lemma: cue.1.to_string() },
        claim: Claim { text: claim.0.to_string(), span: [11, 100], kind: claim.1.parse().unwrap(), quote: false },
        targets: targets
            .iter()
            .map(|(id, name, mention)| Target {
                id: id.clone(),
                name: name.clone(),
                mention: mention.clone(),
                span: [20, 26],
                kind: EntityKind::Country,
                country: id.clone(),
                cameo: None,
            })
            .collect(),
        date: EventDate {
            value: Some("2024-05-02".to_string()),
            precision: Precision::Day,
            basis: DateBasis::Published,
            text: None,
        },
        codes: Default::default(),
        confidence: 0.8,
        extractor: "demarche/test".to_string(),
    }
}

/// «هددت إيران الولايات المتحدة...»: Iran threatens the United States and names its nuclear programme.
fn iran_threatens_usa() -> StatementEvent {
    event(
        "0f6a4c0e-3d7b-5a51-9f42-1c2d3e4f5a61",
        "ar",
        country("IRN", "Iran", "إيران"),
        ("هددت", "threaten"),
        ("بتوسيع برنامجها النوويّ ردّاً على أي هجوم أمريكي", "threaten"),
        &[country("USA", "United States", "الولايات المتحدة")],
    )
}

/// Egypt announces a ceasefire in Gaza.
fn egypt_announces_ceasefire() -> StatementEvent {
    event(
        "0f6a4c0e-3d7b-5a51-9f42-1c2d3e4f5a62",
        "en",
        country("EGY", "Egypt", "Egypt"),
        ("announced", "announce"),
        ("a Ceasefire in Gaza would take effect at 8 a.m. on Sunday", "announce"),
        &[],
    )
}

fn matched(rules: &AlertRules, e: &StatementEvent) -> Vec<String> {
    rules.evaluate(e).map(|r| r.name.clone()).collect()
}

#[test]
fn shipped_rules_are_valid_and_guarded_by_confidence() {
    let rules = rules();
    assert!(!rules.is_empty());
    for r in rules.rules() {
        let min = r.filter.spec().min_confidence;
        assert!(min.is_some_and(|m| m >= 0.5), "rule {:?}: min_confidence {min:?}", r.name);
    }
    for name in [
        "threat-against-state",
        "warning-to-state",
        "accusation-watch-list",
        "ceasefire",
        "nuclear-threat",
        "sanctions-announced",
        "diplomatic-rupture",
    ] {
        assert!(rules.rules().iter().any(|r| r.name == name), "no rule {name:?}");
    }
}

#[test]
fn arabic_nuclear_threat_against_the_us_is_critical_twice() {
    let rules = rules();
    let e = iran_threatens_usa();
    assert_eq!(matched(&rules, &e), ["threat-against-state", "nuclear-threat"]);
    let alerts = alerts_for(&rules, &e, "2024-05-02T08:00:03Z");
    assert!(alerts.iter().all(|a| a.severity == Severity::Critical));
    assert_eq!(alerts, alerts_for(&rules, &e, "2024-05-02T08:00:03Z"), "alerts are deterministic");
}

#[test]
fn english_ceasefire_announcement_is_reported() {
    let rules = rules();
    assert_eq!(matched(&rules, &egypt_announces_ceasefire()), ["ceasefire"]);
}

#[test]
fn arabic_ceasefire_and_rupture_keywords_match() {
    let rules = rules();
    let truce = event(
        "0f6a4c0e-3d7b-5a51-9f42-1c2d3e4f5a63",
        "ar",
        country("QAT", "Qatar", "قطر"),
        ("أعلنت", "announce"),
        ("التوصل إلى اتفاق لوقف إطلاق النار في غزة", "announce"),
        &[],
    );
    // «لوقف إطلاق النار» contains «وقف إطلاق النار».
    assert_eq!(matched(&rules, &truce), ["ceasefire"]);
    let rupture = event(
        "0f6a4c0e-3d7b-5a51-9f42-1c2d3e4f5a64",
        "ar",
        country("BHR", "Bahrain", "البحرين"),
        ("أعلنت", "announce"),
        ("قطع العلاقات الدبلوماسية مع إيران واستدعاء سفيرها", "announce"),
        &[country("IRN", "Iran", "إيران")],
    );
    assert_eq!(matched(&rules, &rupture), ["diplomatic-rupture"]);
}

#[test]
fn uncertain_events_raise_nothing() {
    let rules = rules();
    for mut e in [iran_threatens_usa(), egypt_announces_ceasefire()] {
        e.confidence = 0.4;
        assert!(matched(&rules, &e).is_empty(), "{:?}", e.claim.text);
    }
}

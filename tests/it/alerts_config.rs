//! The shipped alert rules (`config/alerts.toml`) load, and hand-built events
//! raise the alerts a desk would expect from them.

use demarche::alerts::{alerts_for, AlertRules, Severity};
use demarche::event::{
    Actor, ArticleRef, Claim, Codes, Cue, DateBasis, EntityKind, EventDate, Field, Plover, Precision, Resolution,
    SentenceRef, StatementEvent, Target,
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

/// `e` as the coder would code it: a CAMEO event code, a PLOVER event type,
/// the actor's CAMEO code and each target's, in order.
fn coded(mut e: StatementEvent, cameo: &str, plover: &str, actor: &str, targets: &[&str]) -> StatementEvent {
    e.codes = Codes {
        cameo: Some(cameo.to_string()),
        plover: Plover { event: Some(plover.to_string()), mode: None, context: None },
    };
    e.actor.cameo = Some(actor.to_string());
    for (t, code) in e.targets.iter_mut().zip(targets) {
        t.cameo = Some(code.to_string());
    }
    e
}

/// The Russian foreign ministry accuses Washington of aggression (CAMEO 1123).
fn russia_accuses_usa() -> StatementEvent {
    let e = event(
        "0f6a4c0e-3d7b-5a51-9f42-1c2d3e4f5a65",
        "en",
        country("RUS", "Russia", "Moscow"),
        ("accused", "accuse"),
        ("Washington of arming the aggressor", "accuse"),
        &[country("USA", "United States", "Washington")],
    );
    coded(e, "1123", "ACCUSE", "RUSGOV", &["USAGOV"])
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
        "government-accuses-us",
        "threat-of-force",
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

#[test]
fn a_government_accusing_the_us_is_selected_by_its_codes() {
    let rules = rules();
    // The claim-kind rule and the coded rule both see it.
    assert_eq!(matched(&rules, &russia_accuses_usa()), ["accusation-watch-list", "government-accuses-us"]);
    // Not a government (the military), or not against the United States.
    let mut e = russia_accuses_usa();
    e.actor.cameo = Some("RUSMIL".to_string());
    assert_eq!(matched(&rules, &e), ["accusation-watch-list"]);
    let mut e = russia_accuses_usa();
    e.targets[0].cameo = Some("GBRGOV".to_string());
    assert_eq!(matched(&rules, &e), ["accusation-watch-list"]);
    // Coded as something else than an accusation.
    let mut e = russia_accuses_usa();
    e.codes.plover.event = Some("REJECT".to_string());
    assert_eq!(matched(&rules, &e), ["accusation-watch-list"]);
    // An accusation the claim kinds missed (coded from the statement as a whole):
    // only the coded rule sees it.
    let mut e = russia_accuses_usa();
    e.claim.kind = "say".parse().unwrap();
    assert_eq!(matched(&rules, &e), ["government-accuses-us"]);
    let alerts = alerts_for(&rules, &e, "2024-05-02T08:00:03Z");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].severity, Severity::Warning);
}

#[test]
fn a_coded_threat_of_force_is_critical() {
    let rules = rules();
    let e = coded(iran_threatens_usa(), "1384", "THREATEN", "IRNGOV", &["USAGOV"]);
    assert_eq!(matched(&rules, &e), ["threat-against-state", "nuclear-threat", "threat-of-force"]);
    assert!(alerts_for(&rules, &e, "2024-05-02T08:00:03Z").iter().all(|a| a.severity == Severity::Critical));
    // A threat without force (CAMEO 132, sanctions) is not a threat of force.
    let e = coded(iran_threatens_usa(), "132", "THREATEN", "IRNGOV", &["USAGOV"]);
    assert_eq!(matched(&rules, &e), ["threat-against-state", "nuclear-threat"]);
}

#[test]
fn uncoded_events_raise_no_coded_alert() {
    let rules = rules();
    let mut e = russia_accuses_usa();
    e.codes = Codes::default();
    e.actor.cameo = None;
    e.targets[0].cameo = None;
    assert_eq!(matched(&rules, &e), ["accusation-watch-list"]);
}

#[test]
fn uncertain_coded_events_raise_nothing() {
    let rules = rules();
    let threat = coded(iran_threatens_usa(), "1384", "THREATEN", "IRNGOV", &["USAGOV"]);
    for mut e in [russia_accuses_usa(), threat] {
        e.confidence = 0.4;
        assert!(matched(&rules, &e).is_empty(), "{:?}", e.claim.text);
    }
}

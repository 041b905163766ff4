//! Statement events the filter and rule tests share.

use crate::event::{
    Actor, ArticleRef, Claim, ClaimKind, Codes, Cue, DateBasis, EntityKind, EventDate, Field, Plover, Precision,
    Resolution, SentenceRef, StatementEvent, Target,
};

fn target(id: &str, name: &str, mention: &str, country: &str) -> Target {
    Target {
        id: Some(id.into()),
        name: name.into(),
        mention: mention.into(),
        span: [0, 0],
        kind: EntityKind::Country,
        country: Some(country.into()),
        cameo: None,
    }
}

/// Sergei Lavrov warns the United States and Ukraine, in English.
pub(super) fn event() -> StatementEvent {
    StatementEvent {
        schema_version: 1,
        event_id: "7f1c9b1e-0000-5000-8000-000000000001".into(),
        article: ArticleRef {
            id: "a1".into(),
            source: Some("example".into()),
            url: None,
            lang: "en".into(),
            published_at: Some("2024-03-01T10:00:00Z".into()),
        },
        field: Field::Body,
        headline: false,
        sentence: SentenceRef { span: [0, 80] },
        actor: Actor {
            id: Some("sergei-lavrov".into()),
            name: "Sergei Lavrov".into(),
            mention: Some("Russian Foreign Minister Sergei Lavrov".into()),
            span: Some([0, 38]),
            kind: EntityKind::Person,
            role: Some("foreign minister".into()),
            country: Some("RUS".into()),
            resolution: Resolution::Named,
            cameo: None,
        },
        cue: Cue { text: "warned".into(), span: [39, 45], lemma: "warn".into() },
        claim: Claim {
            text: "Western weapons deliveries risk a NUCLEAR escalation".into(),
            span: [51, 103],
            kind: ClaimKind::Warn,
            quote: false,
        },
        targets: vec![target("USA", "United States", "Washington", "USA"), target("UKR", "Ukraine", "Kyiv", "UKR")],
        date: EventDate {
            value: Some("2024-03-01".into()),
            precision: Precision::Day,
            basis: DateBasis::Published,
            text: None,
        },
        codes: Default::default(),
        confidence: 0.7,
        extractor: "demarche/test".into(),
    }
}

/// Iran's foreign ministry threatens Israel, in Arabic.
pub(super) fn arabic_event() -> StatementEvent {
    let mut e = event();
    e.event_id = "7f1c9b1e-0000-5000-8000-000000000002".into();
    e.article.lang = "ar".into();
    e.actor = Actor {
        id: Some("irn-foreign-ministry".into()),
        name: "Iranian Foreign Ministry".into(),
        mention: Some("الخارجيّة الإيرانية".into()),
        span: Some([0, 18]),
        kind: EntityKind::Government,
        role: None,
        country: Some("IRN".into()),
        resolution: Resolution::Named,
        cameo: None,
    };
    e.claim.text = "الرد على التهديدات سيكون حاسماً وأن برنامجها النوويّ سلمي".into();
    e.claim.kind = ClaimKind::Threaten;
    e.targets = vec![target("ISR", "Israel", "الكيان الصهيوني", "ISR")];
    e
}

/// [`event`] as the coder would code it: an accusation of aggression (CAMEO
/// 1123, PLOVER ACCUSE) by the Russian government (`RUSGOV`) against the
/// United States government (`USAGOV`) and Ukraine (`UKR`).
pub(super) fn coded_event() -> StatementEvent {
    let mut e = event();
    e.codes = Codes {
        cameo: Some("1123".into()),
        plover: Plover { event: Some("ACCUSE".into()), mode: None, context: Some("military".into()) },
    };
    e.actor.cameo = Some("RUSGOV".into());
    e.targets[0].cameo = Some("USAGOV".into());
    e.targets[1].cameo = Some("UKR".into());
    e
}

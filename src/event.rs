//! The output contract: one statement event, `schema_version` 1.
//!
//! Downstream timeline and alert services code against these types (and the
//! JSON Schema in `schemas/statement-event.schema.json`, checked by tests).
//! All spans are `[start, end)` offsets in Unicode code points into the field
//! named by `field`, so that the characters at the span equal the text beside it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SCHEMA_VERSION: u32 = 1;

/// The extractor's name and crate version; events carry it followed by the
/// data files' fingerprint ([`crate::extract::Extractor::version`]).
pub fn extractor_version() -> String {
    format!("demarche/{}", env!("CARGO_PKG_VERSION"))
}

/// A half-open range of code points.
pub type Span = [usize; 2];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementEvent {
    pub schema_version: u32,
    pub event_id: String,
    pub article: ArticleRef,
    pub field: Field,
    /// True for events found in a headline ("Actor: claim"): they repeat the body.
    pub headline: bool,
    pub sentence: SentenceRef,
    pub actor: Actor,
    pub cue: Cue,
    pub claim: Claim,
    pub targets: Vec<Target>,
    pub date: EventDate,
    /// The statement coded in the event-data vocabularies (CAMEO, PLOVER).
    pub codes: Codes,
    pub confidence: f32,
    pub extractor: String,
}

/// The statement in the event-data vocabularies its consumers select by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Codes {
    /// CAMEO event code, 2 to 4 digits as a string ("010", "112", "0231").
    pub cameo: Option<String>,
    pub plover: Plover,
}

/// PLOVER (2021) coding of the statement: `event` is null where PLOVER has
/// no category (a plain statement, CAMEO 01).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plover {
    pub event: Option<String>,
    pub mode: Option<String>,
    pub context: Option<String>,
}

/// The sixteen PLOVER (2021) event types `codes.plover.event` may hold, in
/// the order of the schema's enum (cooperation first, force last).
pub const PLOVER_EVENTS: [&str; 16] = [
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",
    "COOPERATE",
    "AID",
    "RETREAT",
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRef {
    pub id: String,
    pub source: Option<String>,
    pub url: Option<String>,
    pub lang: String,
    pub published_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Body,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentenceRef {
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Organization,
    Government,
    Country,
    Group,
    Unknown,
}

/// How the actor of an event was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    /// Named in the event's own clause.
    Named,
    /// Named only by an office ("the foreign minister", «المبعوث الدولي»).
    Role,
    /// Not named: carried from an earlier statement («وأضاف», "for his part").
    Carried,
    /// A pronoun ("he said").
    Pronoun,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// Gazetteer id (a slug, or an ISO 3166-1 alpha-3 code for countries), null when unknown.
    pub id: Option<String>,
    /// Canonical display name.
    pub name: String,
    /// The text as written, or null when the actor is carried.
    pub mention: Option<String>,
    pub span: Option<Span>,
    pub kind: EntityKind,
    pub role: Option<String>,
    pub country: Option<String>,
    pub resolution: Resolution,
    /// CAMEO actor code: country (or IGO/NGO) then sector, e.g. `RUSGOV`, `IGOUNO`; null when unknown.
    #[serde(default)]
    pub cameo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cue {
    pub text: String,
    pub span: Span,
    /// A canonical English verb: say, announce, call...
    pub lemma: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub text: String,
    pub span: Span,
    /// Serialised as its word, one of [`CLAIM_KINDS`].
    pub kind: ClaimKind,
    /// Direct speech.
    pub quote: bool,
}

/// The kind of communicative act a claim is: the `claimKind` enum of the
/// schema, in the same order. Serialised as the lowercase word (`"accuse"`),
/// which is also how lexicons and alert rules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimKind {
    Say,
    Announce,
    Assess,
    Hope,
    Appeal,
    Demand,
    Accuse,
    Disapprove,
    Agree,
    Reject,
    Deny,
    Warn,
    Threaten,
    Promise,
    Praise,
    Inform,
    Propose,
    Approve,
    Ask,
}

impl ClaimKind {
    /// Every kind, in the order of the schema (the first fourteen are the core kinds).
    pub const ALL: [ClaimKind; 19] = [
        ClaimKind::Say,
        ClaimKind::Announce,
        ClaimKind::Assess,
        ClaimKind::Hope,
        ClaimKind::Appeal,
        ClaimKind::Demand,
        ClaimKind::Accuse,
        ClaimKind::Disapprove,
        ClaimKind::Agree,
        ClaimKind::Reject,
        ClaimKind::Deny,
        ClaimKind::Warn,
        ClaimKind::Threaten,
        ClaimKind::Promise,
        ClaimKind::Praise,
        ClaimKind::Inform,
        ClaimKind::Propose,
        ClaimKind::Approve,
        ClaimKind::Ask,
    ];

    /// The word the contract uses for the kind.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Say => "say",
            ClaimKind::Announce => "announce",
            ClaimKind::Assess => "assess",
            ClaimKind::Hope => "hope",
            ClaimKind::Appeal => "appeal",
            ClaimKind::Demand => "demand",
            ClaimKind::Accuse => "accuse",
            ClaimKind::Disapprove => "disapprove",
            ClaimKind::Agree => "agree",
            ClaimKind::Reject => "reject",
            ClaimKind::Deny => "deny",
            ClaimKind::Warn => "warn",
            ClaimKind::Threaten => "threaten",
            ClaimKind::Promise => "promise",
            ClaimKind::Praise => "praise",
            ClaimKind::Inform => "inform",
            ClaimKind::Propose => "propose",
            ClaimKind::Approve => "approve",
            ClaimKind::Ask => "ask",
        }
    }
}

/// The words of [`ClaimKind::ALL`]: what lexicons, rules and the schema may say.
pub const CLAIM_KINDS: [&str; 19] = {
    let mut out = [""; 19];
    let mut i = 0;
    while i < out.len() {
        out[i] = ClaimKind::ALL[i].as_str();
        i += 1;
    }
    out
};

/// Comparing with the contract word (`kind == "accuse"`), as JSON readers do.
impl PartialEq<&str> for ClaimKind {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

impl std::fmt::Display for ClaimKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no claim kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown claim kind {0:?} (known: {known})", known = CLAIM_KINDS.join(", "))]
pub struct UnknownClaimKind(pub String);

impl std::str::FromStr for ClaimKind {
    type Err = UnknownClaimKind;

    fn from_str(s: &str) -> Result<ClaimKind, UnknownClaimKind> {
        ClaimKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownClaimKind(s.to_string()))
    }
}

/// What an organisation of the gazetteer is. A government or a group speaks as
/// that [`EntityKind`]; media are sources, never actors or targets by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Organization,
    Government,
    Group,
    Media,
}

impl OrgKind {
    /// Every kind, as the gazetteer spells them.
    pub const ALL: [OrgKind; 4] = [OrgKind::Organization, OrgKind::Government, OrgKind::Group, OrgKind::Media];

    /// The word the gazetteer uses for the kind.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrgKind::Organization => "organization",
            OrgKind::Government => "government",
            OrgKind::Group => "group",
            OrgKind::Media => "media",
        }
    }

    /// The kind of entity such an organisation is when it speaks or is addressed.
    pub fn entity_kind(self) -> EntityKind {
        match self {
            OrgKind::Government => EntityKind::Government,
            OrgKind::Group => EntityKind::Group,
            OrgKind::Organization | OrgKind::Media => EntityKind::Organization,
        }
    }
}

impl std::str::FromStr for OrgKind {
    type Err = String;

    /// Err holds the word that names no kind.
    fn from_str(s: &str) -> Result<OrgKind, String> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| s.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub id: Option<String>,
    pub name: String,
    pub mention: String,
    pub span: Span,
    pub kind: EntityKind,
    pub country: Option<String>,
    /// CAMEO actor code, as for the actor.
    #[serde(default)]
    pub cameo: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Day,
    Month,
    Year,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateBasis {
    /// A calendar date written in the text.
    Explicit,
    /// A weekday or "yesterday" resolved against the publication date.
    Relative,
    /// Taken from the sentence or from the same actor's previous statement.
    Carried,
    /// The publication date (present-tense statements and headlines).
    Published,
    /// The text gives no date for a past-tense statement: the value is the
    /// publication day, the latest day it can have been made ("X said ...").
    Reported,
    /// A pluperfect report ("had said", «كان قد أعلن»): made before the
    /// publication day, which is the value (an exclusive upper bound).
    Earlier,
    /// No date: nothing in the text and no publication date.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDate {
    pub value: Option<String>,
    pub precision: Precision,
    pub basis: DateBasis,
    /// The words that gave the date, when there are any.
    pub text: Option<String>,
}

/// Namespace of event ids (UUID v5), fixed forever: changing it changes every id.
const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x6d8e_2a1c_4b7f_5e03_9a41_d2c6_7b8e_f015);

/// The deterministic id of an event: the same article, field, cue span and
/// actor always give the same id, so downstream can de-duplicate replays.
pub fn event_id(article_id: &str, field: Field, cue_span: Span, actor_key: &str) -> String {
    let name =
        format!("{}\u{1f}{}\u{1f}{}:{}\u{1f}{}", article_id, field.as_str(), cue_span[0], cue_span[1], actor_key);
    Uuid::new_v5(&EVENT_NAMESPACE, name.as_bytes()).to_string()
}

impl StatementEvent {
    /// The Kafka key: the actor id, or its name when unknown, so one actor's
    /// timeline stays in one partition and in order.
    pub fn key(&self) -> &str {
        self.actor.id.as_deref().unwrap_or(&self.actor.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_as_the_contract_words() {
        for k in ClaimKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
            assert_eq!(k.as_str().parse::<ClaimKind>(), Ok(k));
        }
        assert_eq!(CLAIM_KINDS[0], "say");
        assert_eq!(CLAIM_KINDS.len(), ClaimKind::ALL.len());
        let e = "shout".parse::<ClaimKind>().unwrap_err().to_string();
        assert!(e.starts_with("unknown claim kind \"shout\" (known: say, announce,"), "{e}");
        for k in OrgKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
            assert_eq!(k.as_str().parse::<OrgKind>(), Ok(k));
        }
        assert_eq!(OrgKind::Media.entity_kind(), EntityKind::Organization);
        assert_eq!(OrgKind::Government.entity_kind(), EntityKind::Government);
    }

    #[test]
    fn event_ids_are_stable_and_sensitive_to_every_part() {
        let a = event_id("art", Field::Body, [3, 7], "sergei-lavrov");
        assert_eq!(a, event_id("art", Field::Body, [3, 7], "sergei-lavrov"));
        assert_ne!(a, event_id("art", Field::Title, [3, 7], "sergei-lavrov"));
        assert_ne!(a, event_id("art", Field::Body, [3, 8], "sergei-lavrov"));
        assert_ne!(a, event_id("art", Field::Body, [3, 7], "john-kerry"));
        // Pinned: a change here (namespace, name layout) changes every id and
        // breaks de-duplication downstream.
        assert_eq!(a, "99fd765e-b5bb-5259-a6cc-be805e479835");
    }
}

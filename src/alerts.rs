//! Alert rules: which statement events deserve somebody's attention.
//!
//! A [`Filter`] is a set of criteria over a [`StatementEvent`] (who spoke, about
//! whom, what kind of claim, which words, which language, how sure the extractor
//! was). The `subscribe` command filters with it directly; an alert [`Rule`]
//! names a filter and gives it a [`Severity`]; [`AlertRules`] is a file of rules,
//! and [`alerts_for`] turns the rules an event matches into [`Alert`] records.
//!
//! Semantics: every criterion that is not empty must match (AND across
//! criteria), and one entry of a list is enough (OR within a list). A filter
//! with no criterion matches every event; a *rule* with no criterion is an
//! error, since it would alert on the whole stream.
//!
//! Text is compared the way the extractor compares it
//! ([`crate::extract::text::normalise`]): case folded, Arabic diacritics and
//! tatweel dropped, alef, alef maqsura and ta marbuta variants unified, so that
//! a rule written «تهديد» finds «تهديدٌ» and «التهديدات». Names (actors,
//! targets) must match whole words; keywords are substrings of the claim, so
//! they also find Arabic words with clitics and English plurals.
//!
//! The module is pure: the caller reads the rules file and supplies the time
//! of matching, so replays are reproducible and alert ids are deterministic.

use std::cell::OnceCell;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::StatementEvent;
use crate::extract::resources::CLAIM_KINDS;
use crate::extract::text::{is_word_char, normalise};

/// A criterion that cannot be compiled into a [`Filter`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown claim kind {kind:?} in `kinds` (known kinds: {known})", known = CLAIM_KINDS.join(", "))]
    UnknownKind { kind: String },
    #[error("`{field}`: {value:?} is not an ISO 3166-1 alpha-3 country code")]
    Country { field: &'static str, value: String },
    #[error("`{field}` has an empty entry, which would match nothing or everything")]
    Blank { field: &'static str },
    #[error("`min_confidence` {0} is not between 0 and 1")]
    Confidence(f32),
}

/// A problem in an alert rules file; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    /// Bad TOML, an unknown key, a missing name or severity, a bad severity.
    #[error("{file}: {source}")]
    Toml { file: String, source: toml::de::Error },
    #[error("{file}: rule {rule:?}: {source}")]
    Filter { file: String, rule: String, source: FilterError },
    #[error("{file}: rule {rule:?} has no criterion, so it would alert on every event")]
    EmptyRule { file: String, rule: String },
    #[error("{file}: rule {rule:?} is defined more than once")]
    DuplicateRule { file: String, rule: String },
    #[error("{file}: rule number {index} has an empty name")]
    UnnamedRule { file: String, index: usize },
}

/// The criteria of a filter as written (in a rules file, or a `subscribe`
/// request). Compile it with [`Filter::new`]; all lists default to empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterSpec {
    /// Actor ids or names: the id equals one (ignoring case), or the name or
    /// the mention contains one as whole words.
    pub actors: Vec<String>,
    /// ISO 3166-1 alpha-3 codes of the actor's country.
    pub actor_countries: Vec<String>,
    /// Target ids or names, as for `actors`; any target of the event may match.
    pub targets: Vec<String>,
    /// ISO 3166-1 alpha-3 codes; any target's country may match.
    pub target_countries: Vec<String>,
    /// Claim kinds, from [`CLAIM_KINDS`].
    pub kinds: Vec<String>,
    /// Words or phrases found anywhere in the claim text.
    pub keywords: Vec<String>,
    /// Article languages (`ar`, `en`).
    pub languages: Vec<String>,
    /// The least extractor confidence accepted, inclusive.
    pub min_confidence: Option<f32>,
}

/// One entry of `actors` or `targets`, compiled.
#[derive(Debug, Clone, PartialEq)]
struct NameNeedle {
    /// Compared with entity ids, ignoring ASCII case (ids are slugs or ISO codes).
    id: String,
    /// The entry's words, normalised and joined by single spaces.
    words: String,
}

/// Compiled matching criteria: built once, then [`Filter::matches`] normalises
/// only the parts of an event that a criterion looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FilterSpec", into = "FilterSpec")]
pub struct Filter {
    spec: FilterSpec,
    actors: Vec<NameNeedle>,
    actor_countries: Vec<String>,
    targets: Vec<NameNeedle>,
    target_countries: Vec<String>,
    kinds: Vec<&'static str>,
    keywords: Vec<String>,
    languages: Vec<String>,
}

impl Filter {
    /// Checks and compiles the criteria: claim kinds must be known, country
    /// codes three letters, no entry blank, `min_confidence` within 0..=1.
    pub fn new(spec: FilterSpec) -> Result<Filter, FilterError> {
        let names = |field: &'static str, list: &[String]| {
            list.iter()
                .map(|s| {
                    let words = word_form(s);
                    if words.is_empty() {
                        return Err(FilterError::Blank { field });
                    }
                    Ok(NameNeedle { id: s.trim().to_string(), words })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let countries = |field: &'static str, list: &[String]| {
            list.iter()
                .map(|s| {
                    let code = s.trim();
                    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
                        Ok(code.to_ascii_uppercase())
                    } else {
                        Err(FilterError::Country { field, value: s.clone() })
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let kinds = spec
            .kinds
            .iter()
            .map(|k| {
                CLAIM_KINDS
                    .iter()
                    .copied()
                    .find(|known| known.eq_ignore_ascii_case(k.trim()))
                    .ok_or_else(|| FilterError::UnknownKind { kind: k.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let keywords = spec
            .keywords
            .iter()
            .map(|k| {
                let k = phrase_form(k);
                if k.is_empty() {
                    Err(FilterError::Blank { field: "keywords" })
                } else {
                    Ok(k)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let languages = spec
            .languages
            .iter()
            .map(|l| {
                let l = l.trim();
                if l.is_empty() {
                    Err(FilterError::Blank { field: "languages" })
                } else {
                    Ok(l.to_ascii_lowercase())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(c) = spec.min_confidence {
            if !(0.0..=1.0).contains(&c) {
                return Err(FilterError::Confidence(c));
            }
        }
        Ok(Filter {
            actors: names("actors", &spec.actors)?,
            actor_countries: countries("actor_countries", &spec.actor_countries)?,
            targets: names("targets", &spec.targets)?,
            target_countries: countries("target_countries", &spec.target_countries)?,
            kinds,
            keywords,
            languages,
            spec,
        })
    }

    /// The criteria as written.
    pub fn spec(&self) -> &FilterSpec {
        &self.spec
    }

    /// True when there is no criterion at all: the filter matches every event.
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
            && self.actor_countries.is_empty()
            && self.targets.is_empty()
            && self.target_countries.is_empty()
            && self.kinds.is_empty()
            && self.keywords.is_empty()
            && self.languages.is_empty()
            && self.spec.min_confidence.is_none()
    }

    pub fn matches(&self, e: &StatementEvent) -> bool {
        self.matches_view(&EventView::new(e))
    }

    /// Cheap criteria first, so most events are rejected before any text is normalised.
    fn matches_view(&self, v: &EventView) -> bool {
        let e = v.event;
        if let Some(min) = self.spec.min_confidence {
            // A NaN confidence is no confidence at all.
            if e.confidence.is_nan() || e.confidence < min {
                return false;
            }
        }
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| *k == e.claim.kind) {
            return false;
        }
        if !self.languages.is_empty() && !self.languages.iter().any(|l| l.eq_ignore_ascii_case(&e.article.lang)) {
            return false;
        }
        if !self.actor_countries.is_empty() && !in_codes(&self.actor_countries, e.actor.country.as_deref()) {
            return false;
        }
        if !self.target_countries.is_empty()
            && !e.targets.iter().any(|t| in_codes(&self.target_countries, t.country.as_deref()))
        {
            return false;
        }
        if !self.actors.is_empty() {
            let (name, mention) = v.actor();
            if !self.actors.iter().any(|n| n.matches(e.actor.id.as_deref(), name, mention)) {
                return false;
            }
        }
        if !self.targets.is_empty() {
            let names = v.targets();
            let hit = e
                .targets
                .iter()
                .zip(names)
                .any(|(t, (name, mention))| self.targets.iter().any(|n| n.matches(t.id.as_deref(), name, mention)));
            if !hit {
                return false;
            }
        }
        if !self.keywords.is_empty() {
            let claim = v.claim();
            if !self.keywords.iter().any(|k| claim.contains(k.as_str())) {
                return false;
            }
        }
        true
    }
}

impl TryFrom<FilterSpec> for Filter {
    type Error = FilterError;
    fn try_from(spec: FilterSpec) -> Result<Filter, FilterError> {
        Filter::new(spec)
    }
}

impl From<Filter> for FilterSpec {
    fn from(f: Filter) -> FilterSpec {
        f.spec
    }
}

impl NameNeedle {
    fn matches(&self, id: Option<&str>, name: &str, mention: &str) -> bool {
        id.is_some_and(|id| id.eq_ignore_ascii_case(&self.id))
            || contains_words(name, &self.words)
            || contains_words(mention, &self.words)
    }
}

fn in_codes(codes: &[String], country: Option<&str>) -> bool {
    country.is_some_and(|c| codes.iter().any(|k| k.eq_ignore_ascii_case(c)))
}

/// An event with the normalised forms of its text, each made on first use
/// and shared by every rule that looks at it.
struct EventView<'e> {
    event: &'e StatementEvent,
    /// Word forms of the actor's name and mention (empty when there is none).
    actor: OnceCell<(String, String)>,
    /// Word forms of each target's name and mention, in order.
    targets: OnceCell<Vec<(String, String)>>,
    /// Phrase form of the claim text.
    claim: OnceCell<String>,
}

impl<'e> EventView<'e> {
    fn new(event: &'e StatementEvent) -> EventView<'e> {
        EventView { event, actor: OnceCell::new(), targets: OnceCell::new(), claim: OnceCell::new() }
    }

    fn actor(&self) -> (&str, &str) {
        let (n, m) = self.actor.get_or_init(|| {
            let a = &self.event.actor;
            (word_form(&a.name), a.mention.as_deref().map(word_form).unwrap_or_default())
        });
        (n, m)
    }

    fn targets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.targets
            .get_or_init(|| self.event.targets.iter().map(|t| (word_form(&t.name), word_form(&t.mention))).collect())
            .iter()
            .map(|(n, m)| (n.as_str(), m.as_str()))
    }

    fn claim(&self) -> &str {
        self.claim.get_or_init(|| phrase_form(&self.event.claim.text))
    }
}

/// The normalised words of `s`, joined by single spaces: the form in which
/// names are compared, so punctuation and spacing never matter.
fn word_form(s: &str) -> String {
    let n = normalise(s);
    let mut out = String::with_capacity(n.len());
    for w in n.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// `s` normalised with each run of white space made one space: the form in
/// which keywords are looked for, keeping punctuation ("cease-fire").
fn phrase_form(s: &str) -> String {
    let n = normalise(s);
    let mut out = String::with_capacity(n.len());
    for w in n.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// True when the words of `needle` occur in `hay` as whole words (both in word form).
fn contains_words(hay: &str, needle: &str) -> bool {
    let b = hay.as_bytes();
    hay.match_indices(needle).any(|(i, _)| {
        let j = i + needle.len();
        (i == 0 || b[i - 1] == b' ') && (j == b.len() || b[j] == b' ')
    })
}

/// How urgent an alert is; ordered, so `Severity::Critical > Severity::Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A named filter with a severity.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub severity: Severity,
    pub filter: Filter,
}

/// A rules file: `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RuleEntry>,
}

/// One `[[rule]]` as written: the criteria sit beside the name rather than in
/// a sub-table, which reads better; serde cannot flatten a [`FilterSpec`] here
/// and still reject unknown keys, hence the repeated fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    name: String,
    severity: Severity,
    #[serde(default)]
    actors: Vec<String>,
    #[serde(default)]
    actor_countries: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    target_countries: Vec<String>,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    min_confidence: Option<f32>,
}

/// A checked set of alert rules, in file order.
#[derive(Debug, Clone)]
pub struct AlertRules {
    name: String,
    rules: Vec<Rule>,
}

impl AlertRules {
    /// Parses and checks a rules file; `name` (usually its path) is only used
    /// in error messages.
    pub fn from_toml(name: &str, text: &str) -> Result<AlertRules, AlertsError> {
        let file: RulesFile =
            toml::from_str(text).map_err(|source| AlertsError::Toml { file: name.to_string(), source })?;
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(file.rule.len());
        for (i, r) in file.rule.into_iter().enumerate() {
            if r.name.trim().is_empty() {
                return Err(AlertsError::UnnamedRule { file: name.to_string(), index: i + 1 });
            }
            if !seen.insert(r.name.clone()) {
                return Err(AlertsError::DuplicateRule { file: name.to_string(), rule: r.name });
            }
            let spec = FilterSpec {
                actors: r.actors,
                actor_countries: r.actor_countries,
                targets: r.targets,
                target_countries: r.target_countries,
                kinds: r.kinds,
                keywords: r.keywords,
                languages: r.languages,
                min_confidence: r.min_confidence,
            };
            let filter = Filter::new(spec).map_err(|source| AlertsError::Filter {
                file: name.to_string(),
                rule: r.name.clone(),
                source,
            })?;
            if filter.is_empty() {
                return Err(AlertsError::EmptyRule { file: name.to_string(), rule: r.name });
            }
            rules.push(Rule { name: r.name, severity: r.severity, filter });
        }
        Ok(AlertRules { name: name.to_string(), rules })
    }

    /// The name the rules were loaded under.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every rule the event matches, in file order. The event's text is
    /// normalised once for all rules; the matches are collected before
    /// returning, so the iterator does not borrow the event.
    pub fn evaluate<'a>(&'a self, e: &StatementEvent) -> impl Iterator<Item = &'a Rule> {
        let view = EventView::new(e);
        self.rules.iter().filter(|r| r.filter.matches_view(&view)).collect::<Vec<_>>().into_iter()
    }
}

/// Namespace of alert ids (UUID v5), fixed forever: changing it changes every id.
const ALERT_NAMESPACE: Uuid = Uuid::from_u128(0xca14_ab76_fee2_4b9b_b234_fe0a_17e3_5c42);

/// The deterministic id of the alert raised by `rule` on the event `event_id`:
/// a replay raises the same ids, so downstream can de-duplicate.
pub fn alert_id(event_id: &str, rule: &str) -> String {
    let name = format!("{event_id}\u{1f}{rule}");
    Uuid::new_v5(&ALERT_NAMESPACE, name.as_bytes()).to_string()
}

/// One rule matched by one statement event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// [`alert_id`] of the event id and the rule name.
    pub alert_id: String,
    /// The rule's name.
    pub rule: String,
    pub severity: Severity,
    /// When the event was matched, RFC 3339 in UTC, as given by the caller.
    pub matched_at: String,
    pub statement: StatementEvent,
}

/// The alerts an event raises, one per matching rule, in file order.
/// `matched_at` is an RFC 3339 UTC time supplied by the caller.
pub fn alerts_for(rules: &AlertRules, e: &StatementEvent, matched_at: &str) -> Vec<Alert> {
    rules
        .evaluate(e)
        .map(|r| Alert {
            alert_id: alert_id(&e.event_id, &r.name),
            rule: r.name.clone(),
            severity: r.severity,
            matched_at: matched_at.to_string(),
            statement: e.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{
        Actor, ArticleRef, Claim, Cue, DateBasis, EntityKind, EventDate, Field, Precision, Resolution, SentenceRef,
        Target,
    };

    fn target(id: &str, name: &str, mention: &str, country: &str) -> Target {
        Target {
            id: Some(id.into()),
            name: name.into(),
            mention: mention.into(),
            span: [0, 0],
            kind: EntityKind::Country,
            country: Some(country.into()),
        }
    }

    /// Sergei Lavrov warns the United States and Ukraine, in English.
    fn event() -> StatementEvent {
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
            },
            cue: Cue { text: "warned".into(), span: [39, 45], lemma: "warn".into() },
            claim: Claim {
                text: "Western weapons deliveries risk a NUCLEAR escalation".into(),
                span: [51, 103],
                kind: "warn".into(),
                quote: false,
            },
            targets: vec![target("USA", "United States", "Washington", "USA"), target("UKR", "Ukraine", "Kyiv", "UKR")],
            date: EventDate {
                value: Some("2024-03-01".into()),
                precision: Precision::Day,
                basis: DateBasis::Published,
                text: None,
            },
            codes: serde_json::Map::new(),
            confidence: 0.7,
            extractor: "demarche/test".into(),
        }
    }

    /// Iran's foreign ministry threatens Israel, in Arabic.
    fn arabic_event() -> StatementEvent {
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
        };
        e.claim.text = "الرد على التهديدات سيكون حاسماً وأن برنامجها النوويّ سلمي".into();
        e.claim.kind = "threaten".into();
        e.targets = vec![target("ISR", "Israel", "الكيان الصهيوني", "ISR")];
        e
    }

    fn filter(spec: FilterSpec) -> Filter {
        Filter::new(spec).unwrap()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_empty_filter_matches_everything() {
        let f = filter(FilterSpec::default());
        assert!(f.is_empty());
        assert!(f.matches(&event()));
        assert!(f.matches(&arabic_event()));
    }

    #[test]
    fn actors_match_by_id_name_or_mention_as_whole_words() {
        let m = |a: &[&str]| filter(FilterSpec { actors: strings(a), ..Default::default() }).matches(&event());
        assert!(m(&["SERGEI-LAVROV"]), "id, ignoring case");
        assert!(m(&["lavrov"]), "one word of the name");
        assert!(m(&["sergei  lavrov"]), "a word sequence, spacing aside");
        assert!(m(&["foreign minister"]), "words of the mention");
        assert!(!m(&["lav"]), "part of a word");
        assert!(!m(&["lavrov sergei"]), "words out of order");
        assert!(!m(&["RUS"]), "the country is not the actor");
        assert!(m(&["Blinken", "Lavrov"]), "any entry");
        // Arabic mention, with normalisation on both sides.
        let e = arabic_event();
        let m = |a: &[&str]| filter(FilterSpec { actors: strings(a), ..Default::default() }).matches(&e);
        assert!(m(&["الخارجية الإيرانيّة"]));
        assert!(m(&["الايرانية"]));
        assert!(!m(&["ايران"]), "«إيران» is not a whole word of «الإيرانية»");
        // A carried actor has no mention.
        let mut e = event();
        e.actor.mention = None;
        e.actor.id = None;
        assert!(filter(FilterSpec { actors: strings(&["lavrov"]), ..Default::default() }).matches(&e));
        assert!(!filter(FilterSpec { actors: strings(&["foreign"]), ..Default::default() }).matches(&e));
    }

    #[test]
    fn actor_countries_match_the_actor_country() {
        let m = |c: &[&str], e: &StatementEvent| {
            filter(FilterSpec { actor_countries: strings(c), ..Default::default() }).matches(e)
        };
        assert!(m(&["RUS"], &event()));
        assert!(m(&["usa", "rus"], &event()), "case-insensitive, any entry");
        assert!(!m(&["USA"], &event()), "a target's country is not the actor's");
        let mut e = event();
        e.actor.country = None;
        assert!(!m(&["RUS"], &e));
    }

    #[test]
    fn targets_match_any_target() {
        let m = |t: &[&str], e: &StatementEvent| {
            filter(FilterSpec { targets: strings(t), ..Default::default() }).matches(e)
        };
        assert!(m(&["usa"], &event()), "id");
        assert!(m(&["ukraine"], &event()), "name of the second target");
        assert!(m(&["Kyiv"], &event()), "mention");
        assert!(m(&["states"], &event()), "a whole word of the name");
        assert!(!m(&["sergei lavrov"], &event()), "the actor is not a target");
        assert!(m(&["الكيان الصهيونى"], &arabic_event()), "alef maqsura in the rule");
        let mut e = event();
        e.targets.clear();
        assert!(!m(&["usa"], &e));
    }

    #[test]
    fn target_countries_match_any_target_country() {
        let m = |c: &[&str], e: &StatementEvent| {
            filter(FilterSpec { target_countries: strings(c), ..Default::default() }).matches(e)
        };
        assert!(m(&["UKR"], &event()));
        assert!(m(&["CHN", "usa"], &event()));
        assert!(!m(&["RUS"], &event()), "the actor's country is not a target's");
        let mut e = event();
        e.targets.clear();
        assert!(!m(&["USA"], &e));
    }

    #[test]
    fn kinds_match_the_claim_kind() {
        let m =
            |k: &[&str], e: &StatementEvent| filter(FilterSpec { kinds: strings(k), ..Default::default() }).matches(e);
        assert!(m(&["warn"], &event()));
        assert!(m(&["threaten", "Warn"], &event()));
        assert!(!m(&["threaten"], &event()));
        assert!(m(&["threaten"], &arabic_event()));
    }

    #[test]
    fn keywords_are_case_insensitive_substrings_of_the_claim() {
        let m = |k: &[&str], e: &StatementEvent| {
            filter(FilterSpec { keywords: strings(k), ..Default::default() }).matches(e)
        };
        assert!(m(&["nuclear"], &event()));
        assert!(m(&["Nuclear Escalation"], &event()));
        assert!(m(&["weapons   deliveries"], &event()), "spacing in the rule");
        assert!(m(&["ceasefire", "deliveries"], &event()));
        assert!(!m(&["ceasefire"], &event()));
        assert!(!m(&["Lavrov"], &event()), "only the claim is searched");
        let mut e = event();
        e.claim.text = "an immediate\ncease-fire".into();
        assert!(m(&["immediate cease-fire"], &e), "a line break in the text");
    }

    #[test]
    fn arabic_keywords_are_normalised() {
        let mut e = arabic_event();
        let m = |k: &str, e: &StatementEvent| {
            filter(FilterSpec { keywords: vec![k.to_string()], ..Default::default() }).matches(e)
        };
        assert!(m("تهديد", &e), "«التهديدات» contains «تهديد»");
        assert!(m("نووي", &e), "shadda in the text");
        assert!(m("نوويّ", &e), "shadda in the rule");
        assert!(m("حاسما", &e), "tanwin in the text");
        assert!(m("برنامجـها", &e), "tatweel in the rule");
        e.claim.text = "هدّد بتهديدٌ".into();
        assert!(m("تهديد", &e), "«تهديد» matches «تهديدٌ»");
        e.claim.text = "أعلن وقف إطلاق النار في غزة".into();
        assert!(m("وقف اطلاق النار", &e), "hamza on the alef");
        assert!(m("وقف إطلاق النار", &e));
        e.claim.text = "إعلان هدنة إنسانية لمدة يومين".into();
        assert!(m("هدنه", &e), "ta marbuta");
        e.claim.text = "دعا إلى تسوية سياسية في ليبيا".into();
        assert!(m("الي", &e), "alef maqsura");
        e.claim.text = "سحب آليات".into();
        assert!(m("اليات", &e), "alef madda");
        assert!(!m("ناتو", &arabic_event()));
    }

    #[test]
    fn languages_match_the_article_language() {
        let m = |l: &[&str], e: &StatementEvent| {
            filter(FilterSpec { languages: strings(l), ..Default::default() }).matches(e)
        };
        assert!(m(&["en"], &event()));
        assert!(m(&["AR"], &arabic_event()));
        assert!(!m(&["ar"], &event()));
    }

    #[test]
    fn min_confidence_is_inclusive() {
        let m = |c: f32, conf: f32| {
            let mut e = event();
            e.confidence = conf;
            filter(FilterSpec { min_confidence: Some(c), ..Default::default() }).matches(&e)
        };
        assert!(m(0.5, 0.5));
        assert!(m(0.5, 0.9));
        assert!(!m(0.5, 0.49));
        assert!(!m(0.0, f32::NAN));
        assert!(!filter(FilterSpec { min_confidence: Some(0.0), ..Default::default() }).is_empty());
    }

    #[test]
    fn criteria_are_and_and_lists_are_or() {
        let spec = FilterSpec {
            actor_countries: strings(&["RUS", "CHN"]),
            target_countries: strings(&["GBR", "USA"]),
            kinds: strings(&["warn", "threaten"]),
            keywords: strings(&["sanctions", "nuclear"]),
            languages: strings(&["en"]),
            min_confidence: Some(0.5),
            ..Default::default()
        };
        assert!(filter(spec.clone()).matches(&event()), "one entry of every list");
        // Each criterion alone can veto.
        let vetoes: [fn(&mut StatementEvent); 6] = [
            |e| e.actor.country = Some("FRA".into()),
            |e| e.targets.retain(|t| t.id.as_deref() != Some("USA")),
            |e| e.claim.kind = "say".into(),
            |e| e.claim.text = "talks will continue".into(),
            |e| e.article.lang = "ar".into(),
            |e| e.confidence = 0.3,
        ];
        for (i, veto) in vetoes.iter().enumerate() {
            let mut e = event();
            veto(&mut e);
            assert!(!filter(spec.clone()).matches(&e), "criterion {i} should veto");
        }
        // Actors and targets, too.
        let f = filter(FilterSpec { actors: strings(&["lavrov"]), targets: strings(&["china"]), ..Default::default() });
        assert!(!f.matches(&event()));
        let f = filter(FilterSpec { actors: strings(&["lavrov"]), targets: strings(&["kyiv"]), ..Default::default() });
        assert!(f.matches(&event()));
    }

    #[test]
    fn bad_criteria_are_rejected() {
        let err = |spec: FilterSpec| Filter::new(spec).unwrap_err();
        let e = err(FilterSpec { kinds: strings(&["warn", "threat"]), ..Default::default() });
        assert_eq!(e, FilterError::UnknownKind { kind: "threat".into() });
        assert!(e.to_string().contains("\"threat\""), "{e}");
        assert!(matches!(
            err(FilterSpec { actor_countries: strings(&["Iran"]), ..Default::default() }),
            FilterError::Country { field: "actor_countries", .. }
        ));
        assert!(matches!(
            err(FilterSpec { target_countries: strings(&["US"]), ..Default::default() }),
            FilterError::Country { field: "target_countries", .. }
        ));
        assert_eq!(
            err(FilterSpec { keywords: strings(&["truce", " "]), ..Default::default() }),
            FilterError::Blank { field: "keywords" }
        );
        assert_eq!(
            err(FilterSpec { actors: strings(&["-"]), ..Default::default() }),
            FilterError::Blank { field: "actors" }
        );
        assert_eq!(
            err(FilterSpec { targets: strings(&[""]), ..Default::default() }),
            FilterError::Blank { field: "targets" }
        );
        assert_eq!(
            err(FilterSpec { languages: strings(&[""]), ..Default::default() }),
            FilterError::Blank { field: "languages" }
        );
        assert!(matches!(
            err(FilterSpec { min_confidence: Some(1.5), ..Default::default() }),
            FilterError::Confidence(_)
        ));
        assert!(matches!(
            err(FilterSpec { min_confidence: Some(f32::NAN), ..Default::default() }),
            FilterError::Confidence(_)
        ));
    }

    #[test]
    fn filters_round_trip_through_json_and_reject_unknown_keys() {
        let f: Filter = serde_json::from_str(r#"{"kinds": ["warn"], "min_confidence": 0.5}"#).unwrap();
        assert!(f.matches(&event()));
        let back: Filter = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
        let e = serde_json::from_str::<Filter>(r#"{"kind": ["warn"]}"#).unwrap_err().to_string();
        assert!(e.contains("kind"), "{e}");
        let e = serde_json::from_str::<Filter>(r#"{"kinds": ["wrn"]}"#).unwrap_err().to_string();
        assert!(e.contains("wrn"), "{e}");
    }

    const RULES: &str = r#"
        [[rule]]
        name = "threats"
        severity = "critical"
        kinds = ["threaten"]
        min_confidence = 0.5

        [[rule]]
        name = "nuclear"
        severity = "warning"
        keywords = ["nuclear", "نووي"]

        [[rule]]
        name = "russia-to-us"
        severity = "info"
        actor_countries = ["RUS"]
        target_countries = ["USA"]
    "#;

    fn rules() -> AlertRules {
        AlertRules::from_toml("rules.toml", RULES).unwrap()
    }

    fn names<'a>(it: impl Iterator<Item = &'a Rule>) -> Vec<&'a str> {
        it.map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn evaluate_returns_every_matching_rule_in_order() {
        let r = rules();
        assert_eq!(r.len(), 3);
        assert_eq!(r.name(), "rules.toml");
        assert_eq!(r.rules()[0].severity, Severity::Critical);
        assert_eq!(names(r.evaluate(&event())), ["nuclear", "russia-to-us"]);
        assert_eq!(names(r.evaluate(&arabic_event())), ["threats", "nuclear"]);
        let mut e = event();
        e.claim.text = "talks".into();
        e.targets.clear();
        assert!(r.evaluate(&e).next().is_none());
        assert!(AlertRules::from_toml("empty.toml", "").unwrap().is_empty());
    }

    #[test]
    fn alerts_carry_the_rule_and_a_deterministic_id() {
        let r = rules();
        let e = event();
        let a = alerts_for(&r, &e, "2024-03-01T10:00:05Z");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].rule, "nuclear");
        assert_eq!(a[0].severity, Severity::Warning);
        assert_eq!(a[1].severity, Severity::Info);
        assert_eq!(a[0].matched_at, "2024-03-01T10:00:05Z");
        assert_eq!(a[0].statement, e);
        // A replay, later, raises the same ids.
        let again = alerts_for(&r, &e, "2025-01-01T00:00:00Z");
        assert_eq!(a[0].alert_id, again[0].alert_id);
        assert_eq!(a[1].alert_id, again[1].alert_id);
        // Ids differ by rule and by event, and are version-5 UUIDs.
        assert_ne!(a[0].alert_id, a[1].alert_id);
        assert_ne!(a[0].alert_id, alert_id(&arabic_event().event_id, "nuclear"));
        let id = Uuid::parse_str(&a[0].alert_id).unwrap();
        assert_eq!(id.get_version_num(), 5);
        // Pinned: a change here breaks de-duplication downstream.
        assert_eq!(alert_id("e", "r"), PINNED_ALERT_ID);
        // Alerts serialise with the severity in lower case and read back.
        let json = serde_json::to_value(&a[0]).unwrap();
        assert_eq!(json["severity"], "warning");
        assert_eq!(json["rule"], "nuclear");
        assert_eq!(serde_json::from_value::<Alert>(json).unwrap(), a[0]);
    }

    const PINNED_ALERT_ID: &str = "6b8c8ede-710a-54a7-8827-4e7ce5228f3b";

    fn load_err(text: &str) -> String {
        AlertRules::from_toml("bad.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn unknown_keys_are_rejected_naming_file_and_key() {
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\nkind = [\"warn\"]\n");
        assert!(e.starts_with("bad.toml: "), "{e}");
        assert!(e.contains("unknown field `kind`"), "{e}");
        let e = load_err("[[rules]]\nname = \"x\"\n");
        assert!(e.starts_with("bad.toml: ") && e.contains("`rules`"), "{e}");
    }

    #[test]
    fn load_errors_name_the_problem() {
        let e =
            AlertRules::from_toml("bad.toml", "[[rule]]\nname = \"x\"\nseverity = \"info\"\nkinds = [\"threat\"]\n")
                .unwrap_err();
        assert!(matches!(&e, AlertsError::Filter { rule, source: FilterError::UnknownKind { kind }, .. }
            if rule == "x" && kind == "threat"));
        let s = e.to_string();
        assert!(s.starts_with("bad.toml: rule \"x\": unknown claim kind \"threat\""), "{s}");

        let e = AlertRules::from_toml("bad.toml", "[[rule]]\nname = \"x\"\nseverity = \"info\"\n").unwrap_err();
        assert!(matches!(&e, AlertsError::EmptyRule { rule, .. } if rule == "x"));
        assert!(e.to_string().starts_with("bad.toml: rule \"x\""), "{e}");

        let twice = "[[rule]]\nname = \"x\"\nseverity = \"info\"\nkinds = [\"warn\"]\n\
                     [[rule]]\nname = \"x\"\nseverity = \"critical\"\nkinds = [\"threaten\"]\n";
        let e = AlertRules::from_toml("bad.toml", twice).unwrap_err();
        assert!(matches!(&e, AlertsError::DuplicateRule { rule, .. } if rule == "x"));
        assert!(e.to_string().starts_with("bad.toml: rule \"x\" is defined more than once"), "{e}");

        let e = AlertRules::from_toml("bad.toml", "[[rule]]\nname = \" \"\nseverity = \"info\"\nkinds = [\"warn\"]\n")
            .unwrap_err();
        assert!(matches!(e, AlertsError::UnnamedRule { index: 1, .. }));

        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"severe\"\nkinds = [\"warn\"]\n");
        assert!(e.starts_with("bad.toml: ") && e.contains("severe"), "{e}");
        let e = load_err("[[rule]]\nname = \"x\"\nkinds = [\"warn\"]\n");
        assert!(e.contains("severity"), "{e}");
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\ntarget_countries = [\"Iran\"]\n");
        assert!(e.starts_with("bad.toml: rule \"x\": `target_countries`: \"Iran\""), "{e}");
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\nmin_confidence = 2.0\n");
        assert!(e.contains("min_confidence"), "{e}");
        let e = load_err("[[rule]\n");
        assert!(e.starts_with("bad.toml: "), "{e}");
    }
}

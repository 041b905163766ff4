//! Alert rules: named filters with a severity, read from the operator's rules
//! file, and the [`Alert`] records an event raises.
//!
//! A rules file is `[[rule]]` tables checked as a whole at load: every rule
//! named, no name twice, no rule without a criterion (it would alert on the
//! whole stream), every criterion valid; each error names the file and the
//! rule. Alert ids are UUID v5 of the event id and the rule name, so a replay
//! raises the same ids.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::filter::{Filter, FilterError, FilterSpec};
use super::view::EventView;
use crate::event::StatementEvent;

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
    #[serde(default)]
    cameo: Vec<String>,
    #[serde(default)]
    plover: Vec<String>,
    #[serde(default)]
    actor_cameo: Vec<String>,
    #[serde(default)]
    target_cameo: Vec<String>,
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
                cameo: r.cameo,
                plover: r.plover,
                actor_cameo: r.actor_cameo,
                target_cameo: r.target_cameo,
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
    use super::super::fixtures::{arabic_event, coded_event, event};
    use super::*;

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

    #[test]
    fn rules_select_by_cameo_and_plover_codes() {
        let text = r#"
            [[rule]]
            name = "government-accuses-us"
            severity = "warning"
            plover = ["accuse"]
            actor_cameo = ["rusgov", "CHNGOV"]
            target_cameo = ["USA"]

            [[rule]]
            name = "disapproval"
            severity = "info"
            cameo = ["11"]

            [[rule]]
            name = "threat-of-force"
            severity = "critical"
            cameo = ["138"]
        "#;
        let r = AlertRules::from_toml("codes.toml", text).unwrap();
        assert_eq!(names(r.evaluate(&coded_event())), ["government-accuses-us", "disapproval"]);
        assert_eq!(r.rules()[0].filter.spec().actor_cameo, ["rusgov", "CHNGOV"], "kept as written");
        // Not coded yet: no code rule fires.
        assert!(r.evaluate(&event()).next().is_none());
        assert!(r.evaluate(&arabic_event()).next().is_none());
        let mut e = coded_event();
        e.codes.cameo = Some("1384".into());
        e.codes.plover.event = Some("THREATEN".into());
        assert_eq!(names(r.evaluate(&e)), ["threat-of-force"]);
        // A code criterion alone is a criterion: the rule is not empty.
        let one = "[[rule]]\nname = \"x\"\nseverity = \"info\"\ntarget_cameo = [\"IGO\"]\n";
        assert_eq!(AlertRules::from_toml("one.toml", one).unwrap().len(), 1);
    }

    #[test]
    fn bad_codes_in_a_rule_name_the_file_the_rule_and_the_value() {
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\nplover = [\"THREAT\"]\n");
        assert!(
            e.starts_with(
                "bad.toml: rule \"x\": unknown PLOVER event type \"THREAT\" in `plover` (known types: AGREE,"
            ),
            "{e}"
        );
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\ncameo = [\"11x\"]\n");
        assert!(e.starts_with("bad.toml: rule \"x\": `cameo`: \"11x\" is not a CAMEO event code prefix"), "{e}");
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\nactor_cameo = [\"RUS GOV\"]\n");
        assert!(e.starts_with("bad.toml: rule \"x\": `actor_cameo`: \"RUS GOV\""), "{e}");
        // A number is refused, not read as a code: 010 would lose its zero.
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\ncameo = [112]\n");
        assert!(e.starts_with("bad.toml: ") && e.contains("expected a string"), "{e}");
        let e = load_err("[[rule]]\nname = \"x\"\nseverity = \"info\"\nplover_event = [\"ACCUSE\"]\n");
        assert!(e.contains("unknown field `plover_event`"), "{e}");
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

//! The matcher: a [`FilterSpec`] as written, compiled into a [`Filter`] that
//! tells whether a statement event meets every criterion.
//!
//! `subscribe` filters the stream with one directly; every alert rule
//! ([`super::rules`]) holds one. Compiling checks the criteria once (claim
//! kinds and PLOVER types known, country and CAMEO codes well formed, nothing
//! blank) and brings names and keywords into the extractor's normal form;
//! matching then normalises only the parts of an event a criterion looks at,
//! once per event for all rules ([`super::view`]).
//!
//! CAMEO codes are hierarchical, so they are selected by prefix: `11` is
//! every disapproval (110 to 116, and 1121 to 1125 under 112), `112` an
//! accusation and its subtypes; `RUS` every Russian actor code (`RUSGOV`,
//! `RUSMIL`). An event or entity whose code is null (not coded) never passes
//! a code criterion.

use serde::{Deserialize, Serialize};

use super::view::{contains_words, phrase_form, word_form, EventView};
use crate::event::{ClaimKind, StatementEvent, CLAIM_KINDS, PLOVER_EVENTS};

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
    #[error("`cameo`: {value:?} is not a CAMEO event code prefix (1 to 4 digits, such as \"11\" or \"112\")")]
    CameoEvent { value: String },
    #[error("unknown PLOVER event type {value:?} in `plover` (known types: {known})", known = PLOVER_EVENTS.join(", "))]
    UnknownPlover { value: String },
    #[error("`{field}`: {value:?} is not a CAMEO actor code prefix (letters only, such as \"RUS\", \"RUSGOV\" or \"IGOUNO\")")]
    CameoActor { field: &'static str, value: String },
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
    /// Claim kinds, from [`CLAIM_KINDS`] (case ignored).
    pub kinds: Vec<String>,
    /// Words or phrases found anywhere in the claim text.
    pub keywords: Vec<String>,
    /// Article languages (`ar`, `en`).
    pub languages: Vec<String>,
    /// The least extractor confidence accepted, inclusive.
    pub min_confidence: Option<f32>,
    /// CAMEO event code prefixes (1 to 4 digits): `11` selects every 11x code (110 to 116, 1121 to 1125).
    pub cameo: Vec<String>,
    /// PLOVER event types, from [`PLOVER_EVENTS`] (case ignored).
    pub plover: Vec<String>,
    /// CAMEO actor code prefixes of the actor (letters, case ignored): `RUS`
    /// selects `RUSGOV` and `RUSMIL`.
    pub actor_cameo: Vec<String>,
    /// CAMEO actor code prefixes, as for `actor_cameo`; any target may match.
    pub target_cameo: Vec<String>,
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
    kinds: Vec<ClaimKind>,
    keywords: Vec<String>,
    languages: Vec<String>,
    /// Digits only.
    cameo: Vec<String>,
    plover: Vec<&'static str>,
    /// Upper-case ASCII letters only.
    actor_cameo: Vec<String>,
    target_cameo: Vec<String>,
}

impl Filter {
    /// Checks and compiles the criteria: claim kinds and PLOVER types must be
    /// known, country codes three letters, CAMEO event prefixes 1 to 4 digits,
    /// CAMEO actor prefixes letters, no entry blank, `min_confidence` within 0..=1.
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
                ClaimKind::ALL
                    .into_iter()
                    .find(|known| known.as_str().eq_ignore_ascii_case(k.trim()))
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
        let cameo = spec
            .cameo
            .iter()
            .map(|c| {
                let code = c.trim();
                if code.is_empty() {
                    Err(FilterError::Blank { field: "cameo" })
                } else if code.len() <= 4 && code.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(code.to_string())
                } else {
                    Err(FilterError::CameoEvent { value: c.clone() })
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let plover = spec
            .plover
            .iter()
            .map(|p| {
                let p = p.trim();
                if p.is_empty() {
                    return Err(FilterError::Blank { field: "plover" });
                }
                PLOVER_EVENTS
                    .into_iter()
                    .find(|known| known.eq_ignore_ascii_case(p))
                    .ok_or_else(|| FilterError::UnknownPlover { value: p.to_string() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let actor_codes = |field: &'static str, list: &[String]| {
            list.iter()
                .map(|s| {
                    let code = s.trim();
                    if code.is_empty() {
                        Err(FilterError::Blank { field })
                    } else if code.bytes().all(|b| b.is_ascii_alphabetic()) {
                        Ok(code.to_ascii_uppercase())
                    } else {
                        Err(FilterError::CameoActor { field, value: s.clone() })
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Filter {
            actors: names("actors", &spec.actors)?,
            actor_countries: countries("actor_countries", &spec.actor_countries)?,
            targets: names("targets", &spec.targets)?,
            target_countries: countries("target_countries", &spec.target_countries)?,
            kinds,
            keywords,
            languages,
            cameo,
            plover,
            actor_cameo: actor_codes("actor_cameo", &spec.actor_cameo)?,
            target_cameo: actor_codes("target_cameo", &spec.target_cameo)?,
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
            && self.cameo.is_empty()
            && self.plover.is_empty()
            && self.actor_cameo.is_empty()
            && self.target_cameo.is_empty()
    }

    pub fn matches(&self, e: &StatementEvent) -> bool {
        self.matches_view(&EventView::new(e))
    }

    /// Cheap criteria first, so most events are rejected before any text is normalised.
    pub(super) fn matches_view(&self, v: &EventView) -> bool {
        let e = v.event;
        if let Some(min) = self.spec.min_confidence {
            // A NaN confidence is no confidence at all.
            if e.confidence.is_nan() || e.confidence < min {
                return false;
            }
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&e.claim.kind) {
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
        if !self.cameo.is_empty() && !has_prefix(&self.cameo, e.codes.cameo.as_deref()) {
            return false;
        }
        if !self.plover.is_empty()
            && !e.codes.plover.event.as_deref().is_some_and(|p| self.plover.iter().any(|k| k.eq_ignore_ascii_case(p)))
        {
            return false;
        }
        if !self.actor_cameo.is_empty() && !has_prefix(&self.actor_cameo, e.actor.cameo.as_deref()) {
            return false;
        }
        if !self.target_cameo.is_empty()
            && !e.targets.iter().any(|t| has_prefix(&self.target_cameo, t.cameo.as_deref()))
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

/// True when `code` starts with one of `prefixes` (ASCII case ignored); a
/// missing code has no prefix.
fn has_prefix(prefixes: &[String], code: Option<&str>) -> bool {
    code.is_some_and(|c| {
        prefixes.iter().any(|p| c.len() >= p.len() && c.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{arabic_event, coded_event, event};
    use super::*;

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
    fn cameo_event_codes_match_by_prefix() {
        let m =
            |c: &[&str], e: &StatementEvent| filter(FilterSpec { cameo: strings(c), ..Default::default() }).matches(e);
        let e = coded_event();
        for hit in ["1", "11", "112", "1123", " 112 "] {
            assert!(m(&[hit], &e), "{hit:?} is a prefix of 1123");
        }
        for miss in ["12", "113", "1124", "0112", "01"] {
            assert!(!m(&[miss], &e), "{miss:?} is not a prefix of 1123");
        }
        assert!(m(&["13", "11"], &e), "any entry");
        // `112` selects 112 itself and its subtypes, never 11 or 113.
        let code = |c: &str| {
            let mut e = coded_event();
            e.codes.cameo = Some(c.into());
            e
        };
        assert!(m(&["112"], &code("112")));
        assert!(m(&["112"], &code("1125")));
        assert!(!m(&["112"], &code("11")), "a shorter code is not selected by a longer prefix");
        assert!(!m(&["112"], &code("113")));
        assert!(m(&["01"], &code("010")), "a leading zero is part of the code");
        assert!(!m(&["10"], &code("010")));
    }

    #[test]
    fn plover_types_match_ignoring_case() {
        let m =
            |p: &[&str], e: &StatementEvent| filter(FilterSpec { plover: strings(p), ..Default::default() }).matches(e);
        let e = coded_event();
        assert!(m(&["ACCUSE"], &e));
        assert!(m(&["accuse"], &e), "case ignored in the filter");
        assert!(m(&["threaten", "Accuse"], &e), "any entry");
        assert!(!m(&["THREATEN"], &e));
        let mut lower = coded_event();
        lower.codes.plover.event = Some("accuse".into());
        assert!(m(&["ACCUSE"], &lower), "case ignored in the event");
    }

    #[test]
    fn cameo_actor_codes_match_by_prefix_ignoring_case() {
        let actor = |c: &[&str], e: &StatementEvent| {
            filter(FilterSpec { actor_cameo: strings(c), ..Default::default() }).matches(e)
        };
        let target = |c: &[&str], e: &StatementEvent| {
            filter(FilterSpec { target_cameo: strings(c), ..Default::default() }).matches(e)
        };
        let e = coded_event();
        assert!(actor(&["RUS"], &e));
        assert!(actor(&["rusgov"], &e), "lower case is accepted and normalised");
        assert!(actor(&["CHN", "RUSGOV"], &e), "any entry");
        assert!(!actor(&["RUSMIL"], &e));
        assert!(!actor(&["GOV"], &e), "a prefix, not a part: the sector alone does not match");
        assert!(!actor(&["USA"], &e), "a target's code is not the actor's");
        assert!(target(&["USA"], &e), "the first target");
        assert!(target(&["UKR"], &e), "the second target");
        assert!(target(&["usagov"], &e));
        assert!(!target(&["USAMIL"], &e));
        assert!(!target(&["UKRGOV"], &e), "a longer prefix than the code");
        assert!(!target(&["RUS"], &e), "the actor's code is not a target's");
        let mut igo = coded_event();
        igo.actor.cameo = Some("IGOUNO".into());
        assert!(actor(&["IGO"], &igo) && actor(&["IGOUNO"], &igo));
        assert!(!actor(&["IGONAT"], &igo));
    }

    #[test]
    fn null_codes_never_match_a_code_criterion() {
        // The uncoded event: every code null.
        let e = event();
        assert_eq!(e.codes, Default::default());
        let specs = [
            FilterSpec { cameo: strings(&["0", "1"]), ..Default::default() },
            FilterSpec { plover: PLOVER_EVENTS.iter().map(|p| p.to_string()).collect(), ..Default::default() },
            FilterSpec { actor_cameo: strings(&["RUS"]), ..Default::default() },
            FilterSpec { target_cameo: strings(&["USA"]), ..Default::default() },
        ];
        for spec in specs {
            let f = filter(spec);
            assert!(!f.is_empty(), "{f:?}");
            assert!(!f.matches(&e), "{:?}", f.spec());
        }
        // Coded elsewhere, not where the criterion looks.
        let mut e = coded_event();
        e.codes.plover.event = None;
        assert!(!filter(FilterSpec { plover: strings(&["ACCUSE"]), ..Default::default() }).matches(&e));
        assert!(filter(FilterSpec { cameo: strings(&["112"]), ..Default::default() }).matches(&e));
        e.targets[0].cameo = None;
        assert!(!filter(FilterSpec { target_cameo: strings(&["USA"]), ..Default::default() }).matches(&e));
        e.targets.clear();
        assert!(!filter(FilterSpec { target_cameo: strings(&["UKR"]), ..Default::default() }).matches(&e));
    }

    #[test]
    fn code_criteria_combine_with_the_others() {
        let spec = FilterSpec {
            plover: strings(&["ACCUSE", "THREATEN"]),
            cameo: strings(&["11", "13"]),
            actor_cameo: strings(&["RUSGOV", "CHNGOV"]),
            target_cameo: strings(&["USA"]),
            kinds: strings(&["warn"]),
            ..Default::default()
        };
        assert!(filter(spec.clone()).matches(&coded_event()));
        let vetoes: [fn(&mut StatementEvent); 5] = [
            |e| e.codes.plover.event = Some("REJECT".into()),
            |e| e.codes.cameo = Some("120".into()),
            |e| e.actor.cameo = Some("RUSMIL".into()),
            |e| e.targets[0].cameo = Some("GBRGOV".into()),
            |e| e.claim.kind = ClaimKind::Accuse,
        ];
        for (i, veto) in vetoes.iter().enumerate() {
            let mut e = coded_event();
            veto(&mut e);
            assert!(!filter(spec.clone()).matches(&e), "criterion {i} should veto");
        }
    }

    #[test]
    fn bad_codes_are_rejected_with_clear_messages() {
        let err = |spec: FilterSpec| Filter::new(spec).unwrap_err();
        for bad in ["11a", "12345", "1.1", "-1", "١١"] {
            let e = err(FilterSpec { cameo: strings(&["11", bad]), ..Default::default() });
            assert_eq!(e, FilterError::CameoEvent { value: bad.into() });
            let s = e.to_string();
            assert!(s.starts_with(&format!("`cameo`: {bad:?} is not a CAMEO event code prefix (1 to 4 digits")), "{s}");
        }
        let e = err(FilterSpec { plover: strings(&["accuse", "accusation"]), ..Default::default() });
        assert_eq!(e, FilterError::UnknownPlover { value: "accusation".into() });
        let s = e.to_string();
        assert!(s.starts_with("unknown PLOVER event type \"accusation\" in `plover`"), "{s}");
        assert!(s.contains("AGREE, CONSULT, SUPPORT") && s.ends_with("COERCE, ASSAULT)"), "{s}");
        for bad in ["RUS-GOV", "RU5", "US A", "روس"] {
            assert_eq!(
                err(FilterSpec { actor_cameo: strings(&[bad]), ..Default::default() }),
                FilterError::CameoActor { field: "actor_cameo", value: bad.into() }
            );
        }
        let s = err(FilterSpec { target_cameo: strings(&["USA", "U.S."]), ..Default::default() }).to_string();
        assert!(s.starts_with("`target_cameo`: \"U.S.\" is not a CAMEO actor code prefix"), "{s}");
        for (spec, field) in [
            (FilterSpec { cameo: strings(&[" "]), ..Default::default() }, "cameo"),
            (FilterSpec { plover: strings(&[""]), ..Default::default() }, "plover"),
            (FilterSpec { actor_cameo: strings(&[""]), ..Default::default() }, "actor_cameo"),
            (FilterSpec { target_cameo: strings(&["  "]), ..Default::default() }, "target_cameo"),
        ] {
            assert_eq!(err(spec), FilterError::Blank { field });
        }
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
            |e| e.claim.kind = ClaimKind::Say,
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
        let f: Filter =
            serde_json::from_str(r#"{"plover": ["accuse"], "actor_cameo": ["rus"], "cameo": ["11"]}"#).unwrap();
        assert!(f.matches(&coded_event()) && !f.matches(&event()));
        assert_eq!(f.spec().plover, ["accuse"], "the spec is kept as written");
        let e = serde_json::from_str::<Filter>(r#"{"plover": ["SAY"]}"#).unwrap_err().to_string();
        assert!(e.contains("SAY"), "{e}");
    }
}

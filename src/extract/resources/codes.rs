//! Coding files (data/codes/): how a statement is coded in CAMEO and PLOVER,
//! and how an actor is coded in CAMEO.
//!
//! `cameo.toml` maps a claim kind, a cue lemma and phrases of the claim to a
//! CAMEO event code; `plover.toml` maps every CAMEO code demarche can emit to
//! PLOVER (event, mode, context); `actors.toml` maps roles, bodies and
//! organisations to CAMEO actor codes. All three are built here into
//! [`CodeTables`], which `extract::coding` reads. Every code is checked as it
//! is loaded: a malformed code, an unknown claim kind, role, body or
//! organisation, and a CAMEO code without a PLOVER row are errors naming the
//! file and the entry.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::gazetteer::ROLES;
use super::lexicon::claim_kind;
use super::{DataFile, PhraseMatcher, ResourceError, Resources};
use crate::event::{ClaimKind, Plover, PLOVER_EVENTS};

/// Claims longer than this are coded from their first tokens only: what a
/// statement is (an appeal, a refusal) shows early, and coding stays cheap.
pub const CLAIM_TOKENS: usize = 80;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CameoFile {
    kinds: BTreeMap<String, String>,
    #[serde(default)]
    lemmas: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    rule: Vec<RuleEntry>,
    #[serde(default)]
    topic: Vec<TopicEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    name: String,
    code: String,
    from: Vec<String>,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    ar: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicEntry {
    name: String,
    codes: BTreeMap<String, String>,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    ar: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PloverFile {
    cameo: BTreeMap<String, PloverEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PloverEntry {
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    context: Option<String>,
    /// Why the row departs from the 2021 table (documentation; tests exempt it).
    #[serde(default)]
    #[allow(dead_code)]
    exception: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorsFile {
    #[serde(default)]
    roles: BTreeMap<String, String>,
    #[serde(default)]
    bodies: BTreeMap<String, String>,
    #[serde(default)]
    orgs: BTreeMap<String, OrgCode>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgCode {
    code: String,
    /// The Phoenix dictionary entry the code is taken from (checked by a test).
    #[serde(default)]
    #[allow(dead_code)]
    phoenix: Option<String>,
}

/// A CAMEO event code with its PLOVER coding.
#[derive(Debug, Clone)]
pub struct CameoCode {
    pub code: String,
    pub plover: Plover,
}

/// A construction of the claim that recodes the statement.
#[derive(Debug, Clone, Copy)]
pub struct CodeRule {
    pub code: u16,
    /// The claim kinds it applies to, one bit per [`ClaimKind`].
    pub from: u32,
}

/// A topic of the claim: the sub-code by prefix of the code so far.
#[derive(Debug, Clone)]
pub struct CodeTopic {
    pub codes: Vec<(String, u16)>,
}

/// What a claim phrase of the coding file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePhrase {
    Rule(u16),
    Topic(u16),
}

/// The coding files, built. Empty (coding off, every code null) when the
/// data have no codes/ files.
#[derive(Debug, Default)]
pub struct CodeTables {
    /// Every CAMEO code the data can emit, with its PLOVER row.
    pub cameo: Vec<CameoCode>,
    /// Default code per claim kind, indexed by the kind's position in [`ClaimKind::ALL`].
    pub by_kind: Vec<Option<u16>>,
    pub by_lemma: HashMap<String, Vec<(ClaimKind, u16)>>,
    pub rules: Vec<CodeRule>,
    pub topics: Vec<CodeTopic>,
    pub phrases: PhraseMatcher<CodePhrase>,
    /// Sector per role, indexed as [`ROLES`]; empty for the bare country.
    pub role_sector: Vec<String>,
    /// Sector per body id of roles.toml.
    pub body_sector: HashMap<String, String>,
    /// CAMEO actor code per organisation id.
    pub org_code: HashMap<String, String>,
}

impl CodeTables {
    pub fn enabled(&self) -> bool {
        !self.cameo.is_empty()
    }
}

pub fn kind_bit(k: ClaimKind) -> u32 {
    1 << (k as u32)
}

fn is_event_code(s: &str) -> bool {
    (2..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_actor_code(s: &str) -> bool {
    !s.is_empty() && s.len() % 3 == 0 && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn bad_code(file: &str, entry: impl Into<String>, code: &str, want: &'static str) -> ResourceError {
    ResourceError::BadCode { file: file.into(), entry: entry.into(), code: code.into(), want }
}

fn toml_err(f: &DataFile, e: toml::de::Error) -> ResourceError {
    ResourceError::Toml { file: f.name.into(), source: e }
}

impl Resources {
    /// Builds the coding tables from cameo.toml, plover.toml and actors.toml
    /// (any may be absent; cameo.toml needs plover.toml). Runs after the
    /// gazetteers and roles, whose ids actors.toml names.
    pub(super) fn add_codes(
        &mut self,
        cameo: Option<&DataFile>,
        plover: Option<&DataFile>,
        actors: Option<&DataFile>,
    ) -> Result<(), ResourceError> {
        let mut t = CodeTables { phrases: PhraseMatcher::default(), ..Default::default() };
        if let Some(c) = cameo {
            let p = plover.ok_or_else(|| ResourceError::Invalid {
                file: c.name.into(),
                what: "needs codes/plover.toml beside it (the PLOVER row of every code)".into(),
            })?;
            build_event_codes(&mut t, c, p)?;
        }
        if let Some(a) = actors {
            self.build_actor_codes(&mut t, a)?;
        }
        self.codes = t;
        Ok(())
    }

    fn build_actor_codes(&self, t: &mut CodeTables, f: &DataFile) -> Result<(), ResourceError> {
        let af: ActorsFile = toml::from_str(f.text).map_err(|e| toml_err(f, e))?;
        t.role_sector = vec![String::new(); ROLES.len()];
        for (role, sector) in &af.roles {
            let entry = format!("roles.{role}");
            let Some(i) = ROLES.iter().position(|r| r == role) else {
                return Err(ResourceError::Invalid { file: f.name.into(), what: format!("{entry}: unknown role") });
            };
            if !sector.is_empty() && !is_actor_code(sector) {
                return Err(bad_code(f.name, entry, sector, "a CAMEO sector: three capital letters, or \"\""));
            }
            t.role_sector[i] = sector.clone();
        }
        for (body, sector) in &af.bodies {
            let entry = format!("bodies.{body}");
            if !self.bodies.iter().any(|b| &b.id == body) {
                return Err(ResourceError::Invalid { file: f.name.into(), what: format!("{entry}: unknown body") });
            }
            if !is_actor_code(sector) {
                return Err(bad_code(f.name, entry, sector, "a CAMEO sector: three capital letters"));
            }
            t.body_sector.insert(body.clone(), sector.clone());
        }
        for (org, c) in &af.orgs {
            let entry = format!("orgs.{org}");
            // With no gazetteer loaded (tests of one file) there is nothing to check against.
            if org != "UN" && !self.orgs.is_empty() && !self.org_index.contains_key(org) {
                return Err(ResourceError::Invalid {
                    file: f.name.into(),
                    what: format!("{entry}: no organisation of the gazetteer has this id"),
                });
            }
            if !is_actor_code(&c.code) {
                return Err(bad_code(f.name, entry, &c.code, "a CAMEO actor code: groups of three capital letters"));
            }
            t.org_code.insert(org.clone(), c.code.clone());
        }
        Ok(())
    }
}

fn build_event_codes(t: &mut CodeTables, f: &DataFile, pf: &DataFile) -> Result<(), ResourceError> {
    let plover: PloverFile = toml::from_str(pf.text).map_err(|e| toml_err(pf, e))?;
    for (code, row) in &plover.cameo {
        let entry = format!("cameo.{code}");
        if !is_event_code(code) {
            return Err(bad_code(pf.name, entry, code, "a CAMEO event code: 2 to 4 digits"));
        }
        if let Some(ev) = row.event.as_deref().filter(|e| !PLOVER_EVENTS.contains(e)) {
            return Err(ResourceError::Invalid {
                file: pf.name.into(),
                what: format!("{entry}: unknown PLOVER event {ev:?} (known: {})", PLOVER_EVENTS.join(", ")),
            });
        }
    }
    let cf: CameoFile = toml::from_str(f.text).map_err(|e| toml_err(f, e))?;
    let mut index: HashMap<String, u16> = HashMap::new();
    // Interns a code of cameo.toml, with its PLOVER row.
    let mut intern = |entry: &str, code: &str, t: &mut CodeTables| -> Result<u16, ResourceError> {
        if !is_event_code(code) {
            return Err(bad_code(f.name, entry, code, "a CAMEO event code: 2 to 4 digits"));
        }
        if let Some(&i) = index.get(code) {
            return Ok(i);
        }
        let row = plover.cameo.get(code).ok_or_else(|| ResourceError::NoPlover {
            file: f.name.into(),
            entry: entry.into(),
            code: code.into(),
            plover: pf.name.into(),
        })?;
        let none_if_empty = |s: &Option<String>| s.clone().filter(|x| !x.trim().is_empty());
        let i = t.cameo.len() as u16;
        t.cameo.push(CameoCode {
            code: code.to_string(),
            plover: Plover {
                event: none_if_empty(&row.event),
                mode: none_if_empty(&row.mode),
                context: none_if_empty(&row.context),
            },
        });
        index.insert(code.to_string(), i);
        Ok(i)
    };
    t.by_kind = vec![None; ClaimKind::ALL.len()];
    for (kind, code) in &cf.kinds {
        let entry = format!("kinds.{kind}");
        let k = claim_kind(f.name, kind)?;
        let i = intern(&entry, code, t)?;
        t.by_kind[k as usize] = Some(i);
    }
    if let Some(k) = ClaimKind::ALL.iter().find(|k| t.by_kind[**k as usize].is_none()) {
        return Err(ResourceError::Invalid { file: f.name.into(), what: format!("kinds: no code for claim kind {k}") });
    }
    for (lemma, by_kind) in &cf.lemmas {
        for (kind, code) in by_kind {
            let entry = format!("lemmas.{lemma}.{kind}");
            let k = claim_kind(f.name, kind)?;
            let i = intern(&entry, code, t)?;
            t.by_lemma.entry(lemma.clone()).or_default().push((k, i));
        }
    }
    for r in &cf.rule {
        let entry = format!("rule {:?}", r.name);
        let code = intern(&entry, &r.code, t)?;
        let mut from = 0;
        for k in &r.from {
            from |= kind_bit(claim_kind(f.name, k)?);
        }
        let id = t.rules.len() as u16;
        t.rules.push(CodeRule { code, from });
        for p in r.en.iter().chain(&r.ar) {
            t.phrases.insert(p, CodePhrase::Rule(id));
        }
    }
    for tp in &cf.topic {
        let entry = format!("topic {:?}", tp.name);
        let mut codes = Vec::new();
        for (prefix, code) in &tp.codes {
            if !(2..=3).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad_code(f.name, &entry, prefix, "a prefix of a CAMEO code: 2 or 3 digits"));
            }
            codes.push((prefix.clone(), intern(&entry, code, t)?));
        }
        let id = t.topics.len() as u16;
        t.topics.push(CodeTopic { codes });
        for p in tp.en.iter().chain(&tp.ar) {
            t.phrases.insert(p, CodePhrase::Topic(id));
        }
    }
    Ok(())
}

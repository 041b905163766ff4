//! The data the extractor runs on: cue lexicons, word lists, date words,
//! the gazetteer of countries, people, organisations and groups, and the
//! role titles that resolve to office holders.
//!
//! Built from TOML text (the caller reads the files), so that this module and
//! the whole extraction core stay free of I/O. Every file is checked while it
//! is built: an unknown key, an unknown role, a bad date or a dangling id is an
//! error naming the file and the entry.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::matcher::PhraseMatcher;
use super::Lang;

/// A problem in one of the data files.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("{file}: {source}")]
    Toml { file: String, source: toml::de::Error },
    #[error("{file}: {what}")]
    Invalid { file: String, what: String },
}

/// The claim kinds of the contract. A lexicon may use any of them.
pub const CLAIM_KINDS: [&str; 19] = [
    "say",
    "announce",
    "assess",
    "hope",
    "appeal",
    "demand",
    "accuse",
    "disapprove",
    "agree",
    "reject",
    "deny",
    "warn",
    "threaten",
    "promise",
    "praise",
    "inform",
    "propose",
    "approve",
    "ask",
];

/// How a cue takes its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frame {
    /// Takes a that-clause, a quotation or a colon ("said that", «قال إن»); may follow the claim ("..., he said").
    Speech,
    /// Takes an addressee or object first ("called on X to", «دعا X إلى», "accused X of").
    Object,
    /// A noun ("demands", «مطالبات»): the actor is its possessor or follows it.
    Noun,
    /// "according to X", «حسب X»: X is the source, the rest of the sentence the claim.
    Source,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueFile {
    language: String,
    #[serde(default)]
    words: Words,
    #[serde(default)]
    dates: DateWords,
    #[serde(default)]
    cue: Vec<CueEntry>,
    #[serde(default)]
    claim_kind: Vec<ClaimKindEntry>,
}

/// Closed-class words of one language, listed in its lexicon file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// Words that open a reported clause: that / أن / إن.
    #[serde(default)]
    pub complementizers: Vec<String>,
    /// Phrases that carry the previous speaker: "for his part", «من جانبه».
    #[serde(default)]
    pub carry: Vec<String>,
    #[serde(default)]
    pub pronouns_m: Vec<String>,
    #[serde(default)]
    pub pronouns_f: Vec<String>,
    #[serde(default)]
    pub pronouns_plural: Vec<String>,
    /// Words that make the following cue pluperfect: had / كان.
    #[serde(default)]
    pub pluperfect: Vec<String>,
    /// Words skipped between a subject and its cue: also, has, reportedly.
    #[serde(default)]
    pub skippable: Vec<String>,
    /// Words that end a noun phrase: prepositions, conjunctions, relatives.
    #[serde(default)]
    pub np_stop: Vec<String>,
    /// Subjects that are anonymous and never annotated: "sources", «مصادر».
    #[serde(default)]
    pub anonymous: Vec<String>,
    /// Lines that start boilerplate: "Read more", «اقرأ أيضا», «مقالات ذات صلة».
    #[serde(default)]
    pub boilerplate: Vec<String>,
    /// Words before a cue that make it not a statement ("so-called": so).
    #[serde(default)]
    pub cue_blockers: Vec<String>,
    /// Location prepositions: an entity right after one is a place, not a target.
    #[serde(default)]
    pub place_preps: Vec<String>,
    /// Words before an entity that direct the claim at it: "against", "to", «ضد».
    #[serde(default)]
    pub directed: Vec<String>,
    /// Generic nouns naming the government in focus ("the regime", «النظام»).
    #[serde(default)]
    pub regime: Vec<String>,
    /// Nouns for "side"/"party" followed by a demonym: «الجانب الروسي», "the Russian side".
    #[serde(default)]
    pub side: Vec<String>,
}

/// Date vocabulary of one language.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateWords {
    /// Twelve lists: every name of each month (Levantine, Egyptian/Gulf, Maghreb...).
    #[serde(default)]
    pub months: Vec<Vec<String>>,
    /// Seven lists, Monday first.
    #[serde(default)]
    pub weekdays: Vec<Vec<String>>,
    #[serde(default)]
    pub today: Vec<String>,
    #[serde(default)]
    pub yesterday: Vec<String>,
    #[serde(default)]
    pub day_before_yesterday: Vec<String>,
    #[serde(default)]
    pub tomorrow: Vec<String>,
    /// "last" / «الماضي»: the weekday before the publication date.
    #[serde(default)]
    pub last: Vec<String>,
    /// Words that may introduce a day: on / يوم / في.
    #[serde(default)]
    pub day_markers: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueEntry {
    lemma: String,
    kind: String,
    #[serde(default = "default_frame")]
    frame: Frame,
    forms: Vec<String>,
    /// Participles and gerunds (مؤكداً, "adding") whose actor is the main clause's.
    #[serde(default)]
    participle: bool,
    /// A weak cue (believe, want): only with a that-clause or a quotation.
    #[serde(default)]
    weak: bool,
}

fn default_frame() -> Frame {
    Frame::Speech
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimKindEntry {
    kind: String,
    /// The cue kinds this refines (say, assess...): a claim of one of them containing a word becomes `kind`.
    from: Vec<String>,
    words: Vec<String>,
}

/// One cue of the lexicon.
#[derive(Debug, Clone)]
pub struct Cue {
    pub lemma: String,
    pub kind: &'static str,
    pub frame: Frame,
    pub participle: bool,
    pub weak: bool,
    pub lang: Lang,
}

/// A claim-kind refinement: a claim with one of these words is of another kind.
#[derive(Debug, Clone, Copy)]
pub struct KindRefine {
    pub kind: &'static str,
    pub from: u32,
}

/// The word lists of both languages as phrase matchers.
#[derive(Debug, Default)]
pub struct WordSets {
    pub complementizer: PhraseMatcher<()>,
    pub carry: PhraseMatcher<()>,
    pub pronoun: PhraseMatcher<Gender>,
    pub pluperfect: PhraseMatcher<()>,
    pub skippable: PhraseMatcher<()>,
    pub np_stop: PhraseMatcher<()>,
    pub anonymous: PhraseMatcher<()>,
    pub boilerplate: PhraseMatcher<()>,
    pub cue_blocker: PhraseMatcher<()>,
    pub place_prep: PhraseMatcher<()>,
    pub regime: PhraseMatcher<()>,
    pub side: PhraseMatcher<()>,
    pub directed: PhraseMatcher<()>,
    pub claim_kind: PhraseMatcher<u32>,
}

/// Date words of both languages.
#[derive(Debug, Default)]
pub struct DateSets {
    pub month: PhraseMatcher<u32>,
    pub weekday: PhraseMatcher<u32>,
    /// Days before publication: today 0, yesterday 1, the day before 2, tomorrow -1.
    pub relative: PhraseMatcher<i32>,
    pub last: PhraseMatcher<()>,
    pub day_marker: PhraseMatcher<()>,
    /// Every month, weekday and relative-day phrase: one lookup tells whether a
    /// date can start at a token, so the other lookups run only where one can.
    pub any: PhraseMatcher<()>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Plural,
}

// ---------------------------------------------------------------- gazetteer

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GazetteerFile {
    #[serde(default)]
    country: Vec<CountryEntry>,
    #[serde(default)]
    person: Vec<PersonEntry>,
    #[serde(default)]
    org: Vec<OrgEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryEntry {
    code: String,
    name: String,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    en_adj: Vec<String>,
    #[serde(default)]
    ar: Vec<String>,
    #[serde(default)]
    ar_adj: Vec<String>,
    #[serde(default)]
    capital_en: Vec<String>,
    #[serde(default)]
    capital_ar: Vec<String>,
    #[serde(default)]
    government_en: Vec<String>,
    #[serde(default)]
    government_ar: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonEntry {
    id: String,
    name: String,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    ar: Vec<String>,
    gender: String,
    country: String,
    #[serde(default)]
    offices: Vec<OfficeEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficeEntry {
    role: String,
    of: String,
    #[serde(default, rename = "for")]
    for_: Option<String>,
    from: String,
    #[serde(default)]
    until: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgEntry {
    id: String,
    name: String,
    kind: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    ar: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    #[serde(default)]
    role: Vec<RoleEntry>,
    #[serde(default)]
    body: Vec<BodyEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleEntry {
    role: String,
    /// Display title ("foreign minister").
    title: String,
    /// The office is always of this country or org ("Secretary of State": USA).
    #[serde(default)]
    of: Option<String>,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    ar: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyEntry {
    id: String,
    /// Display name after the country adjective ("Foreign Ministry").
    title: String,
    #[serde(default)]
    of: Option<String>,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    ar: Vec<String>,
}

/// The roles an office can have; `envoy`, `spokesperson` and the rest name
/// offices of countries and organisations alike.
pub const ROLES: [&str; 21] = [
    "head_of_state",
    "head_of_government",
    "foreign_minister",
    "defence_minister",
    "vice_president",
    "crown_prince",
    "supreme_leader",
    "secretary_general",
    "deputy_secretary_general",
    "envoy",
    "director_general",
    "president",
    "high_representative",
    "prosecutor",
    "chair",
    "spokesperson",
    "leader",
    "commander",
    "speaker",
    "minister",
    "official",
];

#[derive(Debug, Clone)]
pub struct Country {
    pub code: String,
    pub name: String,
    /// First English adjective ("Russian"), for names of bodies: "Russian Foreign Ministry".
    pub adjective: String,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub gender: Gender,
    pub country: String,
    pub offices: Vec<Office>,
}

#[derive(Debug, Clone)]
pub struct Office {
    pub role: u16,
    pub of: String,
    pub for_: Option<String>,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Office {
    pub fn holds_on(&self, d: NaiveDate) -> bool {
        self.from <= d && self.until.is_none_or(|u| d <= u)
    }
}

#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub country: Option<String>,
    pub parent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RoleDef {
    pub role: u16,
    pub title: String,
    pub of: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BodyDef {
    pub id: String,
    pub title: String,
    pub of: Option<String>,
}

/// How a country is named in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryForm {
    Name,
    Adjective,
    Capital,
    Government,
}

/// What a gazetteer phrase refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Country(u16, CountryForm),
    Person(u32),
    Org(u32),
    Role(u16),
    Body(u16),
}

/// Everything the extractor needs, built once at start-up and shared read-only.
#[derive(Debug, Default)]
pub struct Resources {
    pub cues: PhraseMatcher<u32>,
    pub cue_defs: Vec<Cue>,
    pub kind_refines: Vec<KindRefine>,
    pub refine_from: Vec<Vec<&'static str>>,
    pub words: WordSets,
    pub dates: DateSets,
    pub entities: PhraseMatcher<Hit>,
    pub countries: Vec<Country>,
    pub persons: Vec<Person>,
    pub orgs: Vec<Org>,
    pub roles: Vec<RoleDef>,
    pub bodies: Vec<BodyDef>,
    pub country_index: HashMap<String, u16>,
    pub org_index: HashMap<String, u32>,
    /// Office holders by (role, of).
    pub holders: HashMap<(u16, String), Vec<(u32, usize)>>,
    /// A digest of the data files' texts: the data are part of the
    /// extractor, so events and replay checkpoints name them.
    pub fingerprint: String,
}

/// A data file handed to [`Resources::build`]: its name (for errors) and text.
pub struct DataFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// The files of a configuration directory, sorted by what they hold.
#[derive(Default)]
pub struct DataFiles<'a> {
    pub lexicons: Vec<DataFile<'a>>,
    pub gazetteers: Vec<DataFile<'a>>,
    pub roles: Vec<DataFile<'a>>,
}

fn invalid(file: &str, what: impl Into<String>) -> ResourceError {
    ResourceError::Invalid { file: file.to_string(), what: what.into() }
}

fn kind_static(file: &str, k: &str) -> Result<&'static str, ResourceError> {
    CLAIM_KINDS
        .iter()
        .copied()
        .find(|x| *x == k)
        .ok_or_else(|| invalid(file, format!("unknown claim kind {k:?} (known: {})", CLAIM_KINDS.join(", "))))
}

fn role_index(file: &str, r: &str) -> Result<u16, ResourceError> {
    ROLES.iter().position(|x| *x == r).map(|p| p as u16).ok_or_else(|| invalid(file, format!("unknown role {r:?}")))
}

fn parse_date(file: &str, who: &str, s: &str) -> Result<NaiveDate, ResourceError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| invalid(file, format!("{who}: bad date {s:?} (want YYYY-MM-DD)")))
}

impl Resources {
    pub fn build(files: &DataFiles) -> Result<Resources, ResourceError> {
        let mut r = Resources { cues: PhraseMatcher::for_verbs(), ..Default::default() };
        r.words.complementizer = PhraseMatcher::for_verbs();
        r.words.pluperfect = PhraseMatcher::for_verbs();
        for f in &files.lexicons {
            r.add_lexicon(f)?;
        }
        for f in &files.gazetteers {
            r.add_gazetteer(f)?;
        }
        for f in &files.roles {
            r.add_roles(f)?;
        }
        r.check_references(files)?;
        r.fingerprint = fingerprint(files);
        Ok(r)
    }

    fn add_lexicon(&mut self, f: &DataFile) -> Result<(), ResourceError> {
        let lx: CueFile = toml::from_str(f.text).map_err(|e| ResourceError::Toml { file: f.name.into(), source: e })?;
        let lang = match lx.language.as_str() {
            "ar" => Lang::Ar,
            "en" => Lang::En,
            other => return Err(invalid(f.name, format!("unsupported language {other:?}"))),
        };
        for c in &lx.cue {
            let kind = kind_static(f.name, &c.kind)?;
            let id = self.cue_defs.len() as u32;
            self.cue_defs.push(Cue {
                lemma: c.lemma.clone(),
                kind,
                frame: c.frame,
                participle: c.participle,
                weak: c.weak,
                lang,
            });
            if c.forms.is_empty() {
                return Err(invalid(f.name, format!("cue {:?} has no forms", c.lemma)));
            }
            for form in &c.forms {
                self.cues.insert(form, id);
            }
        }
        for k in &lx.claim_kind {
            let kind = kind_static(f.name, &k.kind)?;
            let from = k.from.iter().map(|x| kind_static(f.name, x)).collect::<Result<Vec<_>, _>>()?;
            let id = self.kind_refines.len() as u32;
            self.kind_refines.push(KindRefine { kind, from: self.refine_from.len() as u32 });
            self.refine_from.push(from);
            for w in &k.words {
                self.words.claim_kind.insert(w, id);
            }
        }
        let w = &lx.words;
        let ws = &mut self.words;
        let lists: [(&Vec<String>, &mut PhraseMatcher<()>); 12] = [
            (&w.directed, &mut ws.directed),
            (&w.complementizers, &mut ws.complementizer),
            (&w.carry, &mut ws.carry),
            (&w.pluperfect, &mut ws.pluperfect),
            (&w.skippable, &mut ws.skippable),
            (&w.np_stop, &mut ws.np_stop),
            (&w.anonymous, &mut ws.anonymous),
            (&w.boilerplate, &mut ws.boilerplate),
            (&w.cue_blockers, &mut ws.cue_blocker),
            (&w.place_preps, &mut ws.place_prep),
            (&w.regime, &mut ws.regime),
            (&w.side, &mut ws.side),
        ];
        for (list, m) in lists {
            for p in list {
                m.insert(p, ());
            }
        }
        for p in &w.pronouns_m {
            ws.pronoun.insert(p, Gender::Male);
        }
        for p in &w.pronouns_f {
            ws.pronoun.insert(p, Gender::Female);
        }
        for p in &w.pronouns_plural {
            ws.pronoun.insert(p, Gender::Plural);
        }
        let d = &lx.dates;
        if !d.months.is_empty() && d.months.len() != 12 {
            return Err(invalid(f.name, "dates.months must list 12 months"));
        }
        if !d.weekdays.is_empty() && d.weekdays.len() != 7 {
            return Err(invalid(f.name, "dates.weekdays must list 7 days, Monday first"));
        }
        for (i, names) in d.months.iter().enumerate() {
            for n in names {
                self.dates.month.insert(n, i as u32 + 1);
                self.dates.any.insert(n, ());
            }
        }
        for (i, names) in d.weekdays.iter().enumerate() {
            for n in names {
                self.dates.weekday.insert(n, i as u32);
                self.dates.any.insert(n, ());
            }
        }
        for (list, back) in [(&d.today, 0), (&d.yesterday, 1), (&d.day_before_yesterday, 2), (&d.tomorrow, -1)] {
            for n in list {
                self.dates.relative.insert(n, back);
                self.dates.any.insert(n, ());
            }
        }
        for n in &d.last {
            self.dates.last.insert(n, ());
        }
        for n in &d.day_markers {
            self.dates.day_marker.insert(n, ());
        }
        Ok(())
    }

    fn add_gazetteer(&mut self, f: &DataFile) -> Result<(), ResourceError> {
        let gz: GazetteerFile =
            toml::from_str(f.text).map_err(|e| ResourceError::Toml { file: f.name.into(), source: e })?;
        for c in gz.country {
            if c.code.len() != 3 || !c.code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(invalid(f.name, format!("country code {:?} is not ISO 3166-1 alpha-3", c.code)));
            }
            if self.country_index.contains_key(&c.code) {
                return Err(invalid(f.name, format!("country {} listed twice", c.code)));
            }
            let idx = self.countries.len() as u16;
            self.country_index.insert(c.code.clone(), idx);
            let adjective = c.en_adj.first().cloned().unwrap_or_else(|| c.name.clone());
            self.countries.push(Country { code: c.code.clone(), name: c.name.clone(), adjective });
            for (list, form) in [
                (&c.en, CountryForm::Name),
                (&c.ar, CountryForm::Name),
                (&c.en_adj, CountryForm::Adjective),
                (&c.ar_adj, CountryForm::Adjective),
                (&c.capital_en, CountryForm::Capital),
                (&c.capital_ar, CountryForm::Capital),
                (&c.government_en, CountryForm::Government),
                (&c.government_ar, CountryForm::Government),
            ] {
                for n in list {
                    self.entities.insert(n, Hit::Country(idx, form));
                }
            }
        }
        for o in gz.org {
            let kind = match o.kind.as_str() {
                "organization" => "organization",
                "government" => "government",
                "group" => "group",
                "media" => "media",
                other => return Err(invalid(f.name, format!("org {}: unknown kind {other:?}", o.id))),
            };
            if self.org_index.contains_key(&o.id) {
                return Err(invalid(f.name, format!("org id {} listed twice", o.id)));
            }
            let idx = self.orgs.len() as u32;
            self.org_index.insert(o.id.clone(), idx);
            self.orgs.push(Org {
                id: o.id.clone(),
                name: o.name.clone(),
                kind,
                country: o.country.clone(),
                parent: o.parent.clone(),
            });
            for n in o.en.iter().chain(o.ar.iter()) {
                self.entities.insert(n, Hit::Org(idx));
            }
        }
        for p in gz.person {
            let gender = match p.gender.as_str() {
                "m" => Gender::Male,
                "f" => Gender::Female,
                other => return Err(invalid(f.name, format!("person {}: gender {other:?} (m or f)", p.id))),
            };
            let mut offices = Vec::new();
            for o in &p.offices {
                let from = parse_date(f.name, &p.id, &o.from)?;
                let until = o.until.as_deref().map(|u| parse_date(f.name, &p.id, u)).transpose()?;
                if until.is_some_and(|u| u < from) {
                    return Err(invalid(f.name, format!("person {}: office ends before it starts", p.id)));
                }
                offices.push(Office {
                    role: role_index(f.name, &o.role)?,
                    of: o.of.clone(),
                    for_: o.for_.clone(),
                    from,
                    until,
                });
            }
            if self.persons.iter().any(|q| q.id == p.id) || self.org_index.contains_key(&p.id) {
                return Err(invalid(f.name, format!("id {} is listed twice", p.id)));
            }
            let idx = self.persons.len() as u32;
            for (k, o) in offices.iter().enumerate() {
                self.holders.entry((o.role, o.of.clone())).or_default().push((idx, k));
            }
            self.persons.push(Person {
                id: p.id.clone(),
                name: p.name.clone(),
                gender,
                country: p.country.clone(),
                offices,
            });
            for n in p.en.iter().chain(p.ar.iter()) {
                self.entities.insert(n, Hit::Person(idx));
            }
        }
        Ok(())
    }

    fn add_roles(&mut self, f: &DataFile) -> Result<(), ResourceError> {
        let rf: RolesFile =
            toml::from_str(f.text).map_err(|e| ResourceError::Toml { file: f.name.into(), source: e })?;
        for r in rf.role {
            let idx = self.roles.len() as u16;
            self.roles.push(RoleDef { role: role_index(f.name, &r.role)?, title: r.title.clone(), of: r.of.clone() });
            for n in r.en.iter().chain(r.ar.iter()) {
                self.entities.insert(n, Hit::Role(idx));
            }
        }
        for b in rf.body {
            let idx = self.bodies.len() as u16;
            self.bodies.push(BodyDef { id: b.id.clone(), title: b.title.clone(), of: b.of.clone() });
            for n in b.en.iter().chain(b.ar.iter()) {
                self.entities.insert(n, Hit::Body(idx));
            }
        }
        Ok(())
    }

    /// Every `of`, `country` and `parent` must name a known country or org.
    fn check_references(&self, files: &DataFiles) -> Result<(), ResourceError> {
        let where_ = files.gazetteers.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
        let known = |s: &str| s == "UN" || self.country_index.contains_key(s) || self.org_index.contains_key(s);
        if self.countries.is_empty() {
            return Ok(());
        }
        for p in &self.persons {
            for o in &p.offices {
                if !known(&o.of) {
                    return Err(invalid(&where_, format!("person {}: office of unknown {:?}", p.id, o.of)));
                }
            }
        }
        for o in &self.orgs {
            if let Some(parent) = &o.parent {
                if !self.org_index.contains_key(parent) {
                    return Err(invalid(&where_, format!("org {}: unknown parent {parent:?}", o.id)));
                }
            }
        }
        Ok(())
    }

    /// The person holding `role` of `of` on `date`, if the gazetteer knows one.
    /// When several overlap (acting holders), the one who took office last wins.
    pub fn holder(&self, role: u16, of: &str, date: NaiveDate, for_: Option<&str>) -> Option<u32> {
        let list = self.holders.get(&(role, of.to_string()))?;
        list.iter()
            .filter(|(p, k)| {
                let o = &self.persons[*p as usize].offices[*k];
                o.holds_on(date) && (for_.is_none() || o.for_.is_none() || o.for_.as_deref() == for_)
            })
            .max_by_key(|(p, k)| self.persons[*p as usize].offices[*k].from)
            .map(|(p, _)| *p)
    }

    pub fn country(&self, code: &str) -> Option<&Country> {
        self.country_index.get(code).map(|&i| &self.countries[i as usize])
    }
}

/// FNV-1a (64 bits) over the texts of the data files, by kind and in the
/// order given (sorted by path by the loader), as 12 hex digits. Not
/// cryptographic: it tells data releases apart, it does not authenticate
/// them. Paths are left out, so the same data read from another directory
/// has the same fingerprint.
pub fn fingerprint(files: &DataFiles) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (kind, list) in [("lexicon", &files.lexicons), ("gazetteer", &files.gazetteers), ("roles", &files.roles)] {
        eat(kind.as_bytes());
        for f in list.iter() {
            eat(&[0x1f]);
            eat(f.text.as_bytes());
        }
        eat(&[0x1e]);
    }
    format!("{:012x}", h >> 16)
}

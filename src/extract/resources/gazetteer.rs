//! Gazetteer and roles files: countries (names, adjectives, capitals, seats
//! of government), people with their dated offices, organisations, and the
//! role titles and government bodies that resolve to them.
//!
//! Every phrase of these files goes into one entity matcher, whose values
//! ([`Hit`]) index the tables built here. Dangling references across files
//! are checked once everything is loaded ([`Resources::build`]).

use chrono::NaiveDate;
use serde::Deserialize;

use super::lexicon::Gender;
use super::{invalid, DataFile, ResourceError, Resources};
use crate::event::OrgKind;

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
    pub kind: OrgKind,
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

fn role_index(file: &str, r: &str) -> Result<u16, ResourceError> {
    ROLES.iter().position(|x| *x == r).map(|p| p as u16).ok_or_else(|| invalid(file, format!("unknown role {r:?}")))
}

fn parse_date(file: &str, who: &str, s: &str) -> Result<NaiveDate, ResourceError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| invalid(file, format!("{who}: bad date {s:?} (want YYYY-MM-DD)")))
}

impl Resources {
    pub(super) fn add_gazetteer(&mut self, f: &DataFile) -> Result<(), ResourceError> {
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
            let kind: OrgKind =
                o.kind.parse().map_err(|other| invalid(f.name, format!("org {}: unknown kind {other:?}", o.id)))?;
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
            if self.person_index.contains_key(&p.id) || self.org_index.contains_key(&p.id) {
                return Err(invalid(f.name, format!("id {} is listed twice", p.id)));
            }
            let idx = self.persons.len() as u32;
            self.person_index.insert(p.id.clone(), idx);
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

    pub(super) fn add_roles(&mut self, f: &DataFile) -> Result<(), ResourceError> {
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
}

//! Who a noun phrase names: a person, an organisation, a country or its
//! government, a ministry, an office («وزير الخارجية الروسي» → the Russian
//! foreign minister → the holder on the statement date), a pronoun, or a
//! name the gazetteer does not know (kept as written).

use chrono::NaiveDate;

use super::doc::Doc;
use super::resources::{CountryForm, Gender, Hit, Resources};
use super::text::Script;
use crate::event::{EntityKind, OrgKind};

/// What the head of a phrase refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    Person(u32),
    Org(u32),
    Country(u16, CountryForm),
    /// An office, with the country or organisation that qualifies it.
    Role {
        def: u16,
        country: Option<u16>,
        org: Option<u32>,
    },
    /// A ministry or similar body of a country: «الخارجية الروسية».
    Body {
        def: u16,
        country: Option<u16>,
    },
    /// "the regime", «النظام»: the government of the country in focus.
    Regime,
    Pronoun(Gender),
    /// No gazetteer entry: the name as written.
    Unknown,
}

/// The reading of one phrase.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub head: Head,
    /// The tokens that name the head (the mention).
    pub span: (usize, usize),
    /// A title found beside a name ("Russian Foreign Minister Sergei Lavrov"): its role definition.
    pub role: Option<u16>,
}

/// A resolved entity, ready for the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub id: Option<String>,
    pub name: String,
    pub kind: EntityKind,
    pub country: Option<String>,
    pub role: Option<String>,
    pub gender: Option<Gender>,
    /// Role definitions this identity answers to, for "the minister said" later.
    pub roles: Vec<u16>,
}

/// The name of the anonymous speaker: not a word any text can hold.
const ANONYMOUS: &str = "\u{0}anonymous";

impl Identity {
    /// An anonymous source as a speaker of the discourse. It is collective
    /// («مصادر» agrees with «وأضافت» and «وأضافوا»), so that any carried
    /// verb after it continues it, and it is never emitted.
    pub fn anonymous() -> Identity {
        Identity {
            id: None,
            name: ANONYMOUS.to_string(),
            kind: EntityKind::Group,
            country: None,
            role: None,
            gender: None,
            roles: vec![],
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.id.is_none() && self.name == ANONYMOUS
    }
}

impl Doc<'_> {
    /// Reads the head of the phrase `[a, b)`.
    pub fn read_phrase(&self, a: usize, b: usize) -> Reading {
        let mut person = None;
        let mut org = None;
        let mut country: Option<(u16, CountryForm, usize, usize)> = None;
        let mut role = None;
        let mut body = None;
        let mut i = a;
        while i < b {
            if let Some(m) = self.ent(i).filter(|m| m.start == i) {
                match m.value {
                    Hit::Person(p) => person = Some((p, m.start, m.end.min(b))),
                    Hit::Org(o) => {
                        if org.is_none() || self.res.orgs[o as usize].kind != OrgKind::Media {
                            org = Some((o, m.start, m.end.min(b)))
                        }
                    }
                    Hit::Country(c, f) => {
                        if country.is_none() {
                            country = Some((c, f, m.start, m.end.min(b)))
                        }
                    }
                    Hit::Role(r) => {
                        if role.is_none() {
                            role = Some((r, m.start, m.end.min(b)))
                        }
                    }
                    Hit::Body(d) => body = Some((d, m.start, m.end.min(b))),
                }
                i = m.end.max(i + 1);
                continue;
            }
            i += 1;
        }
        let role_def = role.map(|r| r.0);
        if let Some((p, s, e)) = person {
            return Reading { head: Head::Person(p), span: (s, e), role: role_def };
        }
        if let Some((d, s, e)) = body {
            let c = country.map(|c| c.0).or_else(|| {
                self.res.bodies[d as usize].of.as_deref().and_then(|code| self.res.country_index.get(code).copied())
            });
            let (s, e) = match country {
                Some((_, _, cs, ce)) => (s.min(cs), e.max(ce)),
                None => (s, e),
            };
            return Reading { head: Head::Body { def: d, country: c }, span: (s, e), role: None };
        }
        if let Some((r, s, e)) = role {
            // A name beside the title that the gazetteer does not know: «رئيس الوفد، أسعد الزعبي».
            if let Some(name) = self.unknown_name(a, b) {
                return Reading { head: Head::Unknown, span: name, role: Some(r) };
            }
            let c = country.map(|c| c.0);
            let o = org.map(|o| o.0);
            let (s, e) = [country.map(|c| (c.2, c.3)), org.map(|o| (o.1, o.2))]
                .into_iter()
                .flatten()
                .fold((s, e), |(x, y), (p, q)| (x.min(p), y.max(q)));
            return Reading { head: Head::Role { def: r, country: c, org: o }, span: (s, e), role: Some(r) };
        }
        // "U.S. Ambassador to the United Nations Nikki Haley": a name the gazetteer
        // does not know, closing the phrase after the organisation, is the speaker.
        if let Some((ns, ne)) =
            self.unknown_name(a, b).filter(|&(ns, ne)| ne == b && ns > a && self.t.toks[ns].script == Script::Latin)
        {
            if ne - ns >= 2 && (a..ns).any(|i| self.ent(i).is_some()) {
                return Reading { head: Head::Unknown, span: (ns, ne), role: role_def };
            }
        }
        if let Some((o, s, e)) = org {
            return Reading { head: Head::Org(o), span: (s, e), role: None };
        }
        if let Some(e) = self.phrase_end(&self.res.words.regime, a) {
            return Reading { head: Head::Regime, span: (a, e.min(b)), role: None };
        }
        if let Some((c, f, s, e)) = country {
            return Reading { head: Head::Country(c, f), span: (s, e), role: None };
        }
        if let Some(m) = self.phrase(&self.res.words.pronoun, a) {
            if m.end >= b {
                return Reading { head: Head::Pronoun(m.value), span: (a, b), role: None };
            }
        }
        let span = self.unknown_name(a, b).unwrap_or((a, b));
        Reading { head: Head::Unknown, span, role: None }
    }

    /// "The", "In", "A" open sentences with a capital but name nobody.
    fn function_word(&self, i: usize) -> bool {
        matches!(
            self.norm(i),
            "the" | "a" | "an" | "this" | "that" | "these" | "those" | "his" | "her" | "its" | "their"
        ) || self.phrase_end(&self.res.words.np_stop, i).is_some()
    }

    /// The words of a phrase that look like a personal or organisational name
    /// unknown to the gazetteer: a capitalised run in English, the tokens
    /// outside any gazetteer phrase in Arabic (after a title).
    fn unknown_name(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        // English: the last run of capitalised words not covered by a gazetteer phrase.
        let mut best = None;
        let mut i = a;
        while i < b {
            let latin_cap = self.t.toks[i].capitalised && self.ent(i).is_none() && !self.function_word(i);
            if latin_cap {
                let s = i;
                while i < b
                    && (self.t.toks[i].capitalised || self.is_punct(i, "-."))
                    && self.ent(i).is_none()
                    && !self.function_word(i)
                {
                    i += 1;
                }
                best = Some((s, i));
                continue;
            }
            i += 1;
        }
        if best.is_some() {
            return best;
        }
        // Arabic: a comma-separated segment with no gazetteer phrase: the appositive name.
        let mut seg_start = a;
        for j in a..=b {
            if j == b || self.is_punct(j, ",،") {
                if j > seg_start && (seg_start..j).all(|x| self.ent(x).is_none()) && seg_start > a && j - seg_start <= 4
                {
                    return Some((seg_start, j));
                }
                seg_start = j + 1;
            }
        }
        // Arabic: the words after the last gazetteer phrase, when a title precedes them:
        // «نائب وزير الخارجية الروسي ميخائيل بوغدانوف».
        let last_ent_end = (a..b).filter_map(|i| self.ent(i).map(|m| m.end)).max()?;
        if last_ent_end < b && b - last_ent_end <= 3 {
            let tail = (last_ent_end, b);
            if (tail.0..tail.1).all(|i| self.t.toks[i].script == Script::Arabic && self.ent(i).is_none()) {
                return Some(tail);
            }
        }
        None
    }
}

impl Resources {
    /// Resolves a reading to an identity as of `date`. `focus` is the country the
    /// article is mostly about (for «النظام»), `mentioned` the countries it names
    /// (to choose among envoys).
    pub fn identify(
        &self,
        reading: &Reading,
        mention: &str,
        date: Option<NaiveDate>,
        focus: Option<u16>,
        mentioned: &[u16],
    ) -> Option<Identity> {
        let title = |r: u16| self.roles[r as usize].title.clone();
        Some(match reading.head {
            Head::Person(p) => self.person_identity(p, date, reading.role.map(title)),
            Head::Org(o) => {
                let org = &self.orgs[o as usize];
                Identity {
                    id: Some(org.id.clone()),
                    name: org.name.clone(),
                    kind: org.kind.entity_kind(),
                    country: org.country.clone(),
                    role: None,
                    gender: Some(Gender::Plural),
                    roles: vec![],
                }
            }
            Head::Country(c, form) => {
                let k = &self.countries[c as usize];
                Identity {
                    id: Some(k.code.clone()),
                    name: k.name.clone(),
                    kind: if form == CountryForm::Name || form == CountryForm::Adjective {
                        EntityKind::Country
                    } else {
                        EntityKind::Government
                    },
                    country: Some(k.code.clone()),
                    role: None,
                    gender: Some(Gender::Plural),
                    roles: vec![],
                }
            }
            Head::Body { def, country } => {
                let b = &self.bodies[def as usize];
                let k = country.map(|c| &self.countries[c as usize]);
                Identity {
                    id: k.map(|k| format!("{}-{}", k.code.to_ascii_lowercase(), b.id)),
                    name: match k {
                        Some(k) => format!("{} {}", k.adjective, b.title),
                        None => b.title.clone(),
                    },
                    kind: EntityKind::Government,
                    country: k.map(|k| k.code.clone()),
                    role: None,
                    gender: Some(Gender::Plural),
                    roles: vec![],
                }
            }
            Head::Regime => {
                let k = &self.countries[focus? as usize];
                Identity {
                    id: Some(k.code.clone()),
                    name: format!("{} government", k.adjective),
                    kind: EntityKind::Government,
                    country: Some(k.code.clone()),
                    role: None,
                    gender: Some(Gender::Plural),
                    roles: vec![],
                }
            }
            Head::Role { def, country, org } => {
                let rd = &self.roles[def as usize];
                let of: Option<String> = rd
                    .of
                    .clone()
                    .or_else(|| country.map(|c| self.countries[c as usize].code.clone()))
                    .or_else(|| org.map(|o| self.orgs[o as usize].id.clone()));
                if let (Some(of), Some(d)) = (&of, date) {
                    let holder = self.holder(rd.role, of, d, None).and_then(|p| {
                        // Several envoys at once: prefer the one for a country the article names.
                        let candidates: Vec<u32> = self
                            .holders
                            .get(&(rd.role, of.clone()))
                            .into_iter()
                            .flatten()
                            .filter(|(q, k)| self.persons[*q as usize].offices[*k].holds_on(d))
                            .map(|(q, _)| *q)
                            .collect();
                        if candidates.len() <= 1 {
                            return Some(p);
                        }
                        candidates.into_iter().find(|q| {
                            self.persons[*q as usize].offices.iter().any(|o| {
                                o.for_
                                    .as_deref()
                                    .is_some_and(|f| mentioned.iter().any(|m| self.countries[*m as usize].code == f))
                            })
                        })
                    });
                    if let Some(p) = holder {
                        return Some(self.person_identity(p, date, Some(rd.title.clone())));
                    }
                }
                let qual = country
                    .map(|c| self.countries[c as usize].adjective.clone())
                    .or_else(|| org.map(|o| self.orgs[o as usize].name.clone()));
                Identity {
                    id: None,
                    name: match qual {
                        Some(q) => format!("{q} {}", rd.title),
                        None => mention.to_string(),
                    },
                    kind: EntityKind::Person,
                    country: country.map(|c| self.countries[c as usize].code.clone()),
                    role: Some(rd.title.clone()),
                    gender: None,
                    roles: vec![def],
                }
            }
            Head::Pronoun(_) => return None,
            Head::Unknown => Identity {
                id: None,
                name: mention.to_string(),
                kind: if reading.role.is_some() { EntityKind::Person } else { EntityKind::Unknown },
                country: None,
                role: reading.role.map(title),
                gender: None,
                roles: reading.role.into_iter().collect(),
            },
        })
    }

    fn person_identity(&self, p: u32, date: Option<NaiveDate>, role_text: Option<String>) -> Identity {
        let person = &self.persons[p as usize];
        let current = date.and_then(|d| person.offices.iter().find(|o| o.holds_on(d)));
        let roles = self
            .roles
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                person.offices.iter().any(|o| {
                    o.role == r.role && r.of.as_ref().is_none_or(|of| *of == o.of) && date.is_none_or(|d| o.holds_on(d))
                })
            })
            .map(|(i, _)| i as u16)
            .collect();
        Identity {
            id: Some(person.id.clone()),
            name: person.name.clone(),
            kind: EntityKind::Person,
            country: person.country.clone(),
            role: current.map(|o| super::resources::ROLES[o.role as usize].replace('_', " ")).or(role_text),
            gender: person.gender,
            roles,
        }
    }
}

//! The data the extractor runs on: cue lexicons, word lists, date words,
//! the gazetteer of countries, people, organisations and groups, and the
//! role titles that resolve to office holders.
//!
//! Built from TOML text (the caller reads the files), so that this module and
//! the whole extraction core stay free of I/O. Every file is checked while it
//! is built: an unknown key, an unknown role, a bad date or a dangling id is an
//! error naming the file and the entry.
//!
//! The file kinds each have a module: [`lexicon`] (cues, claim kinds, word
//! lists, date words) and [`gazetteer`] (countries, people, organisations,
//! roles and bodies). This module holds the built [`Resources`] that the
//! extractor reads, the order files are loaded in, and the checks across files.

mod codes;
mod gazetteer;
mod lexicon;

use std::collections::HashMap;

use chrono::NaiveDate;

use super::matcher::PhraseMatcher;
use crate::event::ClaimKind;
pub use codes::{CodePhrase, CodeTables, CLAIM_TOKENS};
pub use gazetteer::{BodyDef, Country, CountryForm, Hit, Org, Person, RoleDef, ROLES};
pub use lexicon::{Cue, DateSets, Frame, Gender, KindRefine, PrefixRefine, WordSets};

/// A problem in one of the data files.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("{file}: {source}")]
    Toml { file: String, source: toml::de::Error },
    #[error("{file}: {what}")]
    Invalid { file: String, what: String },
    #[error("{file}: {entry}: {code:?} is not {want}")]
    BadCode { file: String, entry: String, code: String, want: &'static str },
    #[error("{file}: {entry}: CAMEO code {code:?} has no row in {plover}")]
    NoPlover { file: String, entry: String, code: String, plover: String },
}

/// Everything the extractor needs, built once at start-up and shared read-only.
#[derive(Debug, Default)]
pub struct Resources {
    pub cues: PhraseMatcher<u32>,
    pub cue_defs: Vec<Cue>,
    pub kind_refines: Vec<KindRefine>,
    pub refine_from: Vec<Vec<ClaimKind>>,
    pub prefix_refines: Vec<PrefixRefine>,
    /// The largest `within` of any claim-kind refinement: how far into a claim to look.
    pub kind_reach: usize,
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
    /// Person ids, so that a repeated id is found without scanning (imported dictionaries hold tens of thousands).
    pub person_index: HashMap<String, u32>,
    /// CAMEO and PLOVER coding of events and actors (data/codes/).
    pub codes: CodeTables,
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
    /// codes/cameo.toml, codes/plover.toml and codes/actors.toml: none or one each.
    pub cameo: Vec<DataFile<'a>>,
    pub plover: Vec<DataFile<'a>>,
    pub actors: Vec<DataFile<'a>>,
}

fn invalid(file: &str, what: impl Into<String>) -> ResourceError {
    ResourceError::Invalid { file: file.to_string(), what: what.into() }
}

impl Resources {
    pub fn build(files: &DataFiles) -> Result<Resources, ResourceError> {
        let mut r = Resources { cues: PhraseMatcher::for_verbs(), ..Default::default() };
        r.words.complementizer = PhraseMatcher::for_verbs();
        r.words.pluperfect = PhraseMatcher::for_verbs();
        // Claim-kind words are matched with و / ف only: with ك stripped, «كاملة» would read «أمله» (his hope).
        r.words.claim_kind = PhraseMatcher::for_verbs();
        for f in &files.lexicons {
            r.add_lexicon(f)?;
        }
        for f in &files.gazetteers {
            r.add_gazetteer(f)?;
        }
        for f in &files.roles {
            r.add_roles(f)?;
        }
        r.add_codes(files.cameo.first(), files.plover.first(), files.actors.first())?;
        r.check_references(files)?;
        r.fingerprint = fingerprint(files);
        Ok(r)
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
    for (kind, list) in [
        ("lexicon", &files.lexicons),
        ("gazetteer", &files.gazetteers),
        ("roles", &files.roles),
        ("cameo", &files.cameo),
        ("plover", &files.plover),
        ("actors", &files.actors),
    ] {
        eat(kind.as_bytes());
        for f in list.iter() {
            eat(&[0x1f]);
            eat(f.text.as_bytes());
        }
        eat(&[0x1e]);
    }
    format!("{:012x}", h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_err(lexicon: &str, gazetteer: &str) -> String {
        let files = DataFiles {
            lexicons: vec![DataFile { name: "lexicon/en.toml", text: lexicon }],
            gazetteers: vec![DataFile { name: "gazetteer/orgs.toml", text: gazetteer }],
            ..Default::default()
        };
        Resources::build(&files).unwrap_err().to_string()
    }

    #[test]
    fn unknown_kinds_are_errors_naming_the_file() {
        let lexicon = "language = \"en\"\n[[cue]]\nlemma = \"shout\"\nkind = \"shout\"\nforms = [\"shouted\"]\n";
        let e = build_err(lexicon, "");
        assert!(e.starts_with("lexicon/en.toml: unknown claim kind \"shout\" (known: say,"), "{e}");
        let gazetteer = "[[org]]\nid = \"x\"\nname = \"X\"\nkind = \"club\"\n";
        let e = build_err("language = \"en\"\n", gazetteer);
        assert_eq!(e, "gazetteer/orgs.toml: org x: unknown kind \"club\"");
    }
}

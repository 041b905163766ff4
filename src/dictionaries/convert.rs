//! PETRARCH actors → gazetteer entries, written as TOML.
//!
//! An actor becomes an `[[org]]` or a `[[person]]`:
//! - every code a bare country (`[AFG]`, `[ARM >911221]`): an org of kind
//!   `government` of that country (country names, their cities and
//!   demonyms: PETRARCH codes them as the country);
//! - any dated code otherwise: a person (office holders, in PETRARCH's
//!   model), without gender (the dictionaries do not say) and without
//!   `offices`: a CAMEO sector is no demarche role, and a made-up "official"
//!   office would answer for "a US official" in every article;
//! - otherwise an org, its kind from the first code's sector (REB, INS,
//!   OPP, PTY, IMG… `group`; GOV, MIL, COP, JUD, LEG, SPY `government`;
//!   MED `media`; the rest `organization`).
//!
//! Every code is kept in `cameo`, with its dates as `from` / `until`. The
//! country of an entry is the first code's leading three letters when they
//! are a country of the target gazetteer (IGO, NGO, MNC… are not).

use std::collections::HashMap;

use super::petrarch::{self, Actor, Code};
use super::{LineError, Refusal};

/// What one file gave.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub file: String,
    /// Actors that became a new entry.
    pub kept: usize,
    /// Actors folded into an earlier entry of the same name (or named by its synonym).
    pub merged: usize,
    /// Synonyms added as names of their entry.
    pub synonyms: usize,
    pub refused: Vec<Refusal>,
}

impl FileReport {
    /// Refusals counted by reason, most frequent first.
    pub fn refused_by_reason(&self) -> Vec<(&'static str, usize)> {
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        for r in &self.refused {
            match counts.iter_mut().find(|(k, _)| *k == r.error.reason()) {
                Some((_, n)) => *n += 1,
                None => counts.push((r.error.reason(), 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        counts
    }
}

#[derive(Debug, Clone)]
struct Entry {
    /// Names as written (spaces for underscores), the first is the entry's.
    names: Vec<String>,
    codes: Vec<Code>,
    /// Where the entry was first met: file index and line.
    origin: (usize, usize),
}

/// Reads dictionaries one after the other, folding their actors together.
#[derive(Debug, Default)]
pub struct Importer {
    entries: Vec<Entry>,
    /// Upper-cased name → entry.
    by_name: HashMap<String, usize>,
    pub files: Vec<FileReport>,
}

impl Importer {
    pub fn new() -> Importer {
        Importer::default()
    }

    /// Adds a PETRARCH actor dictionary, `name` for the report and the output's comments.
    pub fn add_petrarch(&mut self, name: &str, bytes: &[u8]) -> &FileReport {
        let parsed = petrarch::parse(bytes);
        let file = self.files.len();
        let mut report = FileReport { file: name.to_string(), refused: parsed.refused, ..Default::default() };
        for actor in parsed.actors {
            self.add(file, actor, &mut report);
        }
        report.refused.sort_by_key(|r| r.line);
        self.files.push(report);
        &self.files[file]
    }

    fn add(&mut self, file: usize, actor: Actor, report: &mut FileReport) {
        let key = actor.name.to_uppercase();
        let idx = match self.by_name.get(&key) {
            Some(&i) => {
                report.merged += 1;
                for c in actor.codes {
                    if !self.entries[i].codes.contains(&c) {
                        self.entries[i].codes.push(c);
                    }
                }
                i
            }
            None => {
                let i = self.entries.len();
                self.by_name.insert(key, i);
                self.entries.push(Entry { names: vec![actor.name], codes: actor.codes, origin: (file, actor.line) });
                report.kept += 1;
                i
            }
        };
        for (line, s) in actor.synonyms {
            match self.by_name.get(&s.to_uppercase()) {
                Some(&j) if j == idx => {}
                Some(&j) => {
                    let error = LineError::NameTaken(self.entries[j].names[0].clone());
                    report.refused.push(Refusal { line, error });
                }
                None => {
                    self.by_name.insert(s.to_uppercase(), idx);
                    self.entries[idx].names.push(s);
                    report.synonyms += 1;
                }
            }
        }
    }

    /// The gazetteer text. `is_country` says which three-letter codes are
    /// countries of the gazetteer the file will be loaded with.
    pub fn output(&self, is_country: &dyn Fn(&str) -> bool) -> Output {
        let mut out = Output::default();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut text = String::new();
        for e in &self.entries {
            let display = display_name(&e.names[0]);
            let mut id = format!("petrarch-{}", slug(&display));
            let n = ids.entry(id.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                id = format!("{id}-{n}");
            }
            let shape = shape(e, is_country);
            text.push_str(&format!("\n# {}:{}\n", self.files[e.origin.0].file, e.origin.1));
            match shape {
                Shape::Person { .. } => {
                    out.persons += 1;
                    text.push_str("[[person]]\n");
                }
                Shape::Org { .. } => {
                    out.orgs += 1;
                    text.push_str("[[org]]\n");
                }
            }
            push_kv(&mut text, "id", &id);
            push_kv(&mut text, "name", &display);
            if let Shape::Org { kind, .. } = shape {
                push_kv(&mut text, "kind", kind);
            }
            let (Shape::Person { country } | Shape::Org { country, .. }) = shape;
            if let Some(c) = country {
                push_kv(&mut text, "country", c);
            }
            let (ar, en): (Vec<&String>, Vec<&String>) = e.names.iter().partition(|n| is_arabic(n));
            let en: Vec<String> = en.iter().map(|n| display_name(n)).collect();
            push_list(&mut text, "en", en.iter());
            push_list(&mut text, "ar", ar.into_iter());
            text.push_str("cameo = [\n");
            for c in &e.codes {
                text.push_str(&format!("  {{ code = {}", quoted(&c.code)));
                for (k, d) in [("from", c.from), ("until", c.until)] {
                    if let Some(d) = d {
                        text.push_str(&format!(", {k} = \"{}\"", d.format("%Y-%m-%d")));
                    }
                }
                text.push_str(" },\n");
            }
            text.push_str("]\n");
        }
        out.toml = format!("{}{text}", self.header(&out));
        out
    }

    fn header(&self, out: &Output) -> String {
        let mut h = String::from(
            "# Gazetteer imported from TABARI/PETRARCH actor dictionaries by\n\
             # `demarche dictionaries import --format petrarch`. Keep the licence of the source\n\
             # dictionaries with this file (the Phoenix dictionaries are MIT-licensed).\n\
             # Each entry names the file and line it comes from; `cameo` keeps every code with its dates\n\
             # (six-digit years: 00-30 are 20YY, 31-99 are 19YY).\n#\n# Sources:\n",
        );
        for f in &self.files {
            h.push_str(&format!("#   {}\n", f.file));
        }
        h.push_str(&format!("# {} people, {} organisations.\n", out.persons, out.orgs));
        h
    }
}

/// The TOML text and what is in it.
#[derive(Debug, Default, Clone)]
pub struct Output {
    pub toml: String,
    pub persons: usize,
    pub orgs: usize,
}

enum Shape<'a> {
    Person { country: Option<&'a str> },
    Org { kind: &'static str, country: Option<&'a str> },
}

fn shape<'a>(e: &'a Entry, is_country: &dyn Fn(&str) -> bool) -> Shape<'a> {
    let first = &e.codes[0].code;
    let lead = &first[..3];
    let country = e.codes.iter().map(|c| &c.code[..3]).find(|c| is_country(c));
    if e.codes.iter().all(|c| c.code.len() == 3 && is_country(&c.code)) {
        return Shape::Org { kind: "government", country: Some(lead) };
    }
    if e.codes.iter().any(|c| c.from.is_some() || c.until.is_some()) {
        return Shape::Person { country };
    }
    let sector = if is_country(lead) { first.get(3..6).unwrap_or("GOV") } else { lead };
    let kind = match sector {
        "REB" | "INS" | "SEP" | "RAD" | "IMG" | "UAF" | "OPP" | "PTY" => "group",
        "GOV" | "MIL" | "COP" | "JUD" | "LEG" | "SPY" => "government",
        "MED" => "media",
        _ => "organization",
    };
    Shape::Org { kind, country }
}

fn is_arabic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c))
}

/// Words kept in lower case inside a name.
const PARTICLES: [&str; 20] = [
    "of", "the", "and", "for", "in", "on", "at", "to", "de", "del", "la", "le", "du", "des", "da", "von", "van", "al",
    "bin", "ibn",
];

/// A name written in capitals, as most are in these dictionaries, in the
/// case a reader expects: "NUR MOHAMMAD TARAKI" → "Nur Mohammad Taraki".
/// Words with dots (U.N.), in parentheses (AAIA), of two letters (UN, EU)
/// or without a vowel (ANC) stay in capitals; names already in mixed case
/// and other scripts are left as they are.
pub fn display_name(name: &str) -> String {
    if name.chars().any(|c| c.is_lowercase()) || is_arabic(name) {
        return name.to_string();
    }
    let words: Vec<String> = name
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if i > 0 && PARTICLES.contains(&lower.as_str()) {
                return lower;
            }
            let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
            let vowel = letters.iter().any(|c| "AEIOUY".contains(*c));
            if w.contains('.') || w.starts_with('(') || letters.len() <= 2 || !vowel {
                return w.to_string();
            }
            w.split('-').map(capitalised).collect::<Vec<_>>().join("-")
        })
        .collect();
    words.join(" ")
}

fn capitalised(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut first = true;
    for c in w.chars() {
        if c.is_alphabetic() {
            if first {
                out.push(c);
            } else {
                out.extend(c.to_lowercase());
            }
            first = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Letters and digits of any script, lower case, dashes between.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "actor".to_string()
    } else {
        out
    }
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn push_kv(text: &mut String, key: &str, value: &str) {
    text.push_str(&format!("{key} = {}\n", quoted(value)));
}

fn push_list<'a>(text: &mut String, key: &str, values: impl Iterator<Item = &'a String>) {
    let items: Vec<String> = values.map(|v| quoted(v)).collect();
    if !items.is_empty() {
        text.push_str(&format!("{key} = [{}]\n", items.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn countries(c: &str) -> bool {
        ["RUB", "XYZ"].contains(&c)
    }

    #[test]
    fn names_read_as_names() {
        assert_eq!(display_name("NUR MOHAMMAD TARAKI"), "Nur Mohammad Taraki");
        assert_eq!(display_name("SECRETARY-GENERAL BAN KI-MOON"), "Secretary-General Ban Ki-Moon");
        assert_eq!(display_name("U.N. SECRETARY GENERAL"), "U.N. Secretary General");
        assert_eq!(display_name("ISLAMIC ARMY OF ADEN (IAA)"), "Islamic Army of Aden (IAA)");
        assert_eq!(display_name("UN"), "UN");
        assert_eq!(display_name("Mixed Case Kept"), "Mixed Case Kept");
        assert_eq!(display_name("حركة حماس"), "حركة حماس");
        assert_eq!(slug("Ban Ki-Moon (UN)"), "ban-ki-moon-un");
        assert_eq!(slug("حركة حماس"), "حركة-حماس");
    }

    #[test]
    fn duplicates_and_synonyms_fold_into_one_entry() {
        let mut imp = Importer::new();
        imp.add_petrarch("a.txt", b"RUBOVIA_ [RUB]\n+RUBOVIAN_\n");
        let r = imp.add_petrarch("b.txt", b"RUBOVIAN_ [RUB]\n+RUBOVIAN_CAPITAL_\nOTHER_ [XYZGOV]\n+RUBOVIA_\n");
        assert_eq!((r.kept, r.merged, r.synonyms), (1, 1, 1));
        assert_eq!(r.refused.len(), 1);
        assert_eq!(r.refused[0].line, 4);
        assert_eq!(r.refused[0].error.to_string(), "synonym already names another actor (RUBOVIA), kept there");
        let out = imp.output(&countries);
        assert_eq!((out.persons, out.orgs), (0, 2));
        assert!(out.toml.contains("en = [\"Rubovia\", \"Rubovian\", \"Rubovian Capital\"]"), "{}", out.toml);
    }

    #[test]
    fn kinds_people_and_countries_from_the_codes() {
        let mut imp = Importer::new();
        imp.add_petrarch(
            "x.txt",
            "JANE_ROE_\n\t[XYZGOV 090120-170120]\nTHE_FRONT_ [XYZREB]\nWORLD_BODY_ [IGOUNO]\nحركة_ما_ [XYZPTY]\n"
                .as_bytes(),
        );
        let out = imp.output(&countries);
        let t = &out.toml;
        assert_eq!((out.persons, out.orgs), (1, 3));
        assert!(t.contains("[[person]]\nid = \"petrarch-jane-roe\"\nname = \"Jane Roe\"\ncountry = \"XYZ\"\n"), "{t}");
        assert!(t.contains("{ code = \"XYZGOV\", from = \"2009-01-20\", until = \"2017-01-20\" }"), "{t}");
        assert!(t.contains("name = \"The Front\"\nkind = \"group\"\ncountry = \"XYZ\"\n"), "{t}");
        assert!(t.contains("name = \"World Body\"\nkind = \"organization\"\nen ="), "{t}");
        assert!(t.contains("kind = \"group\"\ncountry = \"XYZ\"\nar = [\"حركة ما\"]"), "{t}");
        assert!(t.contains("# x.txt:3\n"), "{t}");
    }
}

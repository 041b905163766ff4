//! Lexicon files: one per language, its cues (with their claim kind and
//! frame), the claim-kind refinements, closed-class word lists and date words.
//!
//! The TOML shapes here are what a linguist edits; [`Resources::add_lexicon`]
//! turns them into phrase matchers. Claim kinds are written as the contract's
//! words and parsed into [`ClaimKind`] here, so a typo is an error naming the
//! file rather than a kind nobody can filter on.

use serde::Deserialize;

use super::{invalid, ResourceError, Resources};
use super::{DataFile, PhraseMatcher};
use crate::article::Lang;
use crate::event::ClaimKind;
use crate::extract::text::normalise;

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
    /// Words that turn a cue after a comma into a parenthetical whose claim is
    /// the clause before it: "…, as Lavrov said." / «…، كما ذكر دبلوماسي».
    #[serde(default)]
    pub as_reported: Vec<String>,
    /// Words that never open or close an actor phrase: particles, adverbs,
    /// prepositions with a pronoun («خلاله»), verbal nouns that head a cue's
    /// complement («ضرورة»), an indefinite article ("a phone").
    #[serde(default)]
    pub not_actor: Vec<String>,
    /// Word beginnings that make a preposition phrase, not a name («بالقول», «للصحفيين»).
    #[serde(default)]
    pub not_actor_prefixes: Vec<String>,
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
    /// Phrases of the claim's main clause that signal `kind`.
    #[serde(default)]
    words: Vec<String>,
    /// A word starting with one of these (after the conjunction و/ف) signals `kind`: a verb
    /// form marked by a prefix, such as the Arabic future «سـ» on an imperfect verb.
    #[serde(default)]
    prefixes: Vec<String>,
    /// Words with one of `prefixes` that are not that form («سياسة» is not «سـ» + verb).
    #[serde(default)]
    not_prefixes: Vec<String>,
    /// How far into the claim (in words) the signal may start: the main clause, not a clause
    /// embedded later. Defaults to [`DEFAULT_WITHIN`].
    within: Option<usize>,
    /// A weak signal (a future tense, an opinion verb): used only when no other entry matches.
    #[serde(default)]
    fallback: bool,
}

/// Words from the claim's start within which a claim-kind signal counts by default.
pub const DEFAULT_WITHIN: usize = 20;

/// One cue of the lexicon.
#[derive(Debug, Clone)]
pub struct Cue {
    pub lemma: String,
    pub kind: ClaimKind,
    pub frame: Frame,
    pub participle: bool,
    pub weak: bool,
    pub lang: Lang,
}

/// A claim-kind refinement: a claim with one of these words is of another kind.
#[derive(Debug, Clone, Copy)]
pub struct KindRefine {
    pub kind: ClaimKind,
    /// Index into `Resources::refine_from`: the cue kinds it refines.
    pub from: u32,
    /// Words from the claim's start within which the signal counts.
    pub within: u16,
    pub fallback: bool,
}

/// A claim-kind refinement signalled by a word's prefix rather than a whole word.
#[derive(Debug, Clone)]
pub struct PrefixRefine {
    /// Index into `Resources::kind_refines`.
    pub refine: u32,
    pub prefixes: Vec<String>,
    pub not_prefixes: Vec<String>,
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
    pub as_reported: PhraseMatcher<()>,
    pub not_actor: PhraseMatcher<()>,
    pub not_actor_prefixes: Vec<String>,
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

/// A claim kind named in a lexicon file; the error names the file and lists the known kinds.
pub(super) fn claim_kind(file: &str, k: &str) -> Result<ClaimKind, ResourceError> {
    k.parse().map_err(|e: crate::event::UnknownClaimKind| invalid(file, e.to_string()))
}

impl Resources {
    pub(super) fn add_lexicon(&mut self, f: &DataFile) -> Result<(), ResourceError> {
        let lx: CueFile = toml::from_str(f.text).map_err(|e| ResourceError::Toml { file: f.name.into(), source: e })?;
        let lang = match lx.language.as_str() {
            "ar" => Lang::Ar,
            "en" => Lang::En,
            other => return Err(invalid(f.name, format!("unsupported language {other:?}"))),
        };
        for c in &lx.cue {
            let kind = claim_kind(f.name, &c.kind)?;
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
            let kind = claim_kind(f.name, &k.kind)?;
            let from = k.from.iter().map(|x| claim_kind(f.name, x)).collect::<Result<Vec<_>, _>>()?;
            if from.is_empty() {
                return Err(invalid(f.name, format!("claim_kind {:?} refines no kind (`from` is empty)", k.kind)));
            }
            if k.words.is_empty() && k.prefixes.is_empty() {
                return Err(invalid(f.name, format!("claim_kind {:?} has neither words nor prefixes", k.kind)));
            }
            let within = k.within.unwrap_or(DEFAULT_WITHIN);
            if within == 0 || within > 200 {
                return Err(invalid(f.name, format!("claim_kind {:?}: within must be 1 to 200 words", k.kind)));
            }
            self.kind_reach = self.kind_reach.max(within);
            let id = self.kind_refines.len() as u32;
            self.kind_refines.push(KindRefine {
                kind,
                from: self.refine_from.len() as u32,
                within: within as u16,
                fallback: k.fallback,
            });
            self.refine_from.push(from);
            for w in &k.words {
                self.words.claim_kind.insert(w, id);
            }
            if !k.prefixes.is_empty() {
                let norm = |v: &Vec<String>| v.iter().map(|p| normalise(p.trim())).filter(|p| !p.is_empty()).collect();
                self.prefix_refines.push(PrefixRefine {
                    refine: id,
                    prefixes: norm(&k.prefixes),
                    not_prefixes: norm(&k.not_prefixes),
                });
            }
        }
        let w = &lx.words;
        let ws = &mut self.words;
        for p in &w.not_actor_prefixes {
            let p = normalise(p.trim());
            if !p.is_empty() {
                ws.not_actor_prefixes.push(p);
            }
        }
        let lists: [(&Vec<String>, &mut PhraseMatcher<()>); 14] = [
            (&w.as_reported, &mut ws.as_reported),
            (&w.not_actor, &mut ws.not_actor),
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
}

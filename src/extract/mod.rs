//! The extraction core: article in, statement events out.
//!
//! Pure and synchronous: no I/O, no async, no global state. The consumer
//! service, the replay and the `extract` command all call
//! [`Extractor::extract`], so the three can never disagree.
//!
//! The steps, per field (title, then body):
//! 1. [`text`]: tokens with their original offsets and normalised forms;
//! 2. [`segment`]: paragraphs, quotations, sentences; [`boilerplate`] marks what is not the story;
//! 3. [`doc`]: cue, gazetteer and date matches, indexed by token;
//! 4. [`attribution`]: for each cue, where the actor phrase, claim and object are;
//! 5. [`identity`] and the discourse state here: who the actor is (named, by role, carried, pronoun);
//! 6. targets and dates, then the event.

pub mod attribution;
pub mod boilerplate;
pub mod dates;
pub mod doc;
pub mod identity;
pub mod matcher;
pub mod resources;
pub mod segment;
pub mod text;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::article::Article;
use crate::event::{
    self, ArticleRef, Claim, DateBasis, EntityKind, EventDate, Field, Precision, Resolution, SentenceRef,
    StatementEvent, Target,
};
use attribution::{ActorSlot, Candidate};
use doc::Doc;
use identity::{Head, Identity, Reading};
use resources::{CountryForm, Frame, Gender, Hit, Resources};
use text::CharIndex;

/// How many recent speakers the discourse remembers.
const MAX_SPEAKERS: usize = 48;

/// The languages demarche reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ar,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// From a BCP 47 tag: `ar`, `ar-SY`, `en-GB`... None for other languages.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The majority script of the first few thousand characters.
    pub fn detect(title: &str, body: &str) -> Lang {
        let mut ar = 0usize;
        let mut latin = 0usize;
        for c in title.chars().chain(body.chars()).take(4000) {
            if ('\u{0600}'..='\u{06FF}').contains(&c) {
                ar += 1;
            } else if c.is_ascii_alphabetic() {
                latin += 1;
            }
        }
        if ar > latin {
            Lang::Ar
        } else {
            Lang::En
        }
    }
}

/// Extracts statement events with a fixed set of resources.
pub struct Extractor {
    res: Resources,
    version: String,
}

/// What the discourse remembers of a speaker.
#[derive(Debug, Clone)]
struct Speaker {
    identity: Identity,
    /// Normalised words of the names it was mentioned by (for a later surname alone).
    words: Vec<String>,
    date: Option<(NaiveDate, Precision)>,
}

/// An actor as decided for one candidate.
struct ResolvedActor {
    identity: Identity,
    mention: Option<(usize, usize)>,
    resolution: Resolution,
}

impl Extractor {
    pub fn new(res: Resources) -> Self {
        let version = format!("{}+data.{}", event::extractor_version(), res.fingerprint);
        Extractor { res, version }
    }

    /// What events name as their `extractor`: `demarche/<crate version>+data.<fingerprint>`.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn resources(&self) -> &Resources {
        &self.res
    }

    /// All statement events of an article, title first, in text order.
    pub fn extract(&self, article: &Article) -> Vec<StatementEvent> {
        let mut out = Vec::new();
        let body_doc = Doc::new(&self.res, &article.body, article.published_day);
        let (focus, mentioned) = self.focus_country(&body_doc);
        if let Some(title) = article.title.as_deref().filter(|t| !t.trim().is_empty()) {
            let tdoc = Doc::new(&self.res, title, article.published_day);
            let mut speakers = Vec::new();
            self.extract_field(article, &tdoc, Field::Title, focus, &mentioned, &mut speakers, &mut out);
        }
        let mut speakers = Vec::new();
        self.extract_field(article, &body_doc, Field::Body, focus, &mentioned, &mut speakers, &mut out);
        out
    }

    /// The country where the story happens (for «النظام», "the regime") and
    /// all countries named. Where things happen shows in place phrases
    /// («في سوريا», "in Syria", «حلب السورية»); a country that only speaks
    /// (Russia, the United States) is named but rarely placed.
    fn focus_country(&self, d: &Doc) -> (Option<u16>, Vec<u16>) {
        let mut named: HashMap<u16, usize> = HashMap::new();
        let mut placed: HashMap<u16, usize> = HashMap::new();
        // Named by its capital or seat of government: «دمشق», "Damascus", "the Kremlin".
        let mut seats: HashMap<u16, usize> = HashMap::new();
        for m in &d.ents {
            if let Hit::Country(c, form) = m.value {
                *named.entry(c).or_default() += 1;
                if matches!(form, CountryForm::Capital | CountryForm::Government) {
                    *seats.entry(c).or_default() += 1;
                }
                let after_place = m.start > 0
                    && d.phrase_ending(&self.res.words.place_prep, m.start, m.start.saturating_sub(3)).is_some();
                let place_clitic = m.clitic && d.norm(m.start).starts_with('ب');
                let adjective_of_place = form == CountryForm::Adjective
                    && m.start > 0
                    && d.ent(m.start - 1).is_none()
                    && d.t.toks[m.start - 1].script == text::Script::Arabic;
                if after_place || place_clitic || adjective_of_place {
                    *placed.entry(c).or_default() += 1;
                }
            }
        }
        let rank = |h: HashMap<u16, usize>| {
            let mut v: Vec<(u16, usize)> = h.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        let named = rank(named);
        let placed = rank(placed);
        let seats = rank(seats);
        let focus = placed.first().or(seats.first()).or(named.first()).map(|x| x.0);
        (focus, named.iter().map(|x| x.0).collect())
    }

    #[allow(clippy::too_many_arguments)]
    fn extract_field(
        &self,
        article: &Article,
        d: &Doc,
        field: Field,
        focus: Option<u16>,
        mentioned: &[u16],
        speakers: &mut Vec<Speaker>,
        out: &mut Vec<StatementEvent>,
    ) {
        let mut cands: Vec<Candidate> = Vec::new();
        let mut next_cue = 0;
        for (si, s) in d.layout.sentences.iter().enumerate() {
            let first = cands.len();
            while next_cue < d.cues.len() && d.cues[next_cue].start < s.start {
                next_cue += 1;
            }
            let mut k = next_cue;
            let mut widest: Option<(usize, usize)> = None;
            while k < d.cues.len() && d.cues[k].start < s.end {
                let prev = cands.len() > first;
                // Two lexicon entries on the same words ("demands" as verb and noun): the first that reads wins.
                if cands[first..].last().is_some_and(|c: &Candidate| c.cue.0 == d.cues[k].start) {
                    k += 1;
                    continue;
                }
                if let Some(c) = d.analyse(si, s, k, prev) {
                    // A cue inside the claim of an earlier statement is nested: optional, not emitted.
                    // The widest claim so far stands for all of them: checking it alone keeps this linear.
                    let nested = widest.is_some_and(|(a, b)| a <= c.cue.0 && c.cue.1 <= b);
                    if !nested {
                        if widest.is_none_or(|(_, b)| c.claim.1 > b) {
                            widest = Some(c.claim);
                        }
                        cands.push(c);
                    }
                }
                k += 1;
            }
            if cands.len() == first {
                if let Some(c) = self.headline_colon(d, si, s, field) {
                    cands.push(c);
                }
            }
            if let Some(c) = self.quote_dash(d, si, s) {
                if !cands[first..].iter().any(|p| p.claim.0 <= c.claim.0 && c.claim.1 <= p.claim.1) {
                    cands.push(c);
                }
            }
        }
        if cands.is_empty() {
            return;
        }
        let ci = CharIndex::new(d.text);
        let mut sentence_actor: Option<(usize, Identity, Resolution)> = None;
        let mut sentence_dates: HashMap<usize, (NaiveDate, Precision, String)> = HashMap::new();
        for c in &cands {
            let date_hint = article.published_day;
            // A carried Arabic speaker with no complement of its own is more often an
            // idiom («ولفت نظر الحكومة») than a statement.
            if c.weak_claim && matches!(c.actor, ActorSlot::Carried) && d.t.toks[c.cue.0].script == text::Script::Arabic
            {
                continue;
            }
            // Every path must leave a claim: an empty quotation («» before a cue) is none.
            if c.claim.1 <= c.claim.0 {
                continue;
            }
            // English names its subject; a cue with none that continues nothing ("reports of
            // an attack") is a noun, not a statement.
            if matches!(c.actor, ActorSlot::Carried) && d.t.toks[c.cue.0].script == text::Script::Latin {
                continue;
            }
            let Some(actor) = self.resolve_actor(d, c, speakers, &sentence_actor, date_hint, focus, mentioned) else {
                continue;
            };
            sentence_actor = Some((c.sentence, actor.identity.clone(), actor.resolution));
            let cue_def = &self.res.cue_defs[c.cue_id as usize];
            let kind = self.refine_kind(d, c, cue_def.kind);
            let date = self.statement_date(d, c, &actor.identity, speakers, &mut sentence_dates, article, field);
            let targets = self.targets(d, c, &actor.identity, kind, article.published_day, focus, mentioned);
            self.remember(d, &actor, speakers, &date);

            let span = |a: usize, b: usize| -> [usize; 2] {
                let (x, y) = d.bytes(a, b);
                [ci.at(x), ci.at(y)]
            };
            let cue_span = span(c.cue.0, c.cue.1);
            let actor_key = actor.identity.id.clone().unwrap_or_else(|| actor.identity.name.clone());
            let s = &d.layout.sentences[c.sentence];
            let mention = actor.mention.map(|(a, b)| (d.slice(a, b).to_string(), span(a, b)));
            let confidence = self.confidence(c, &actor);
            out.push(StatementEvent {
                schema_version: event::SCHEMA_VERSION,
                event_id: event::event_id(&article.id, field, cue_span, &actor_key),
                article: ArticleRef {
                    id: article.id.clone(),
                    source: article.source.clone(),
                    url: article.url.clone(),
                    lang: article.lang.as_str().to_string(),
                    published_at: article.published_at.clone(),
                },
                field,
                headline: field == Field::Title,
                sentence: SentenceRef { span: span(s.start, s.end) },
                actor: event::Actor {
                    id: actor.identity.id.clone(),
                    name: actor.identity.name.clone(),
                    mention: mention.as_ref().map(|m| m.0.clone()),
                    span: mention.as_ref().map(|m| m.1),
                    kind: actor.identity.kind,
                    role: actor.identity.role.clone(),
                    country: actor.identity.country.clone(),
                    resolution: actor.resolution,
                },
                cue: event::Cue {
                    text: d.slice(c.cue.0, c.cue.1).to_string(),
                    span: cue_span,
                    lemma: cue_def.lemma.clone(),
                },
                claim: Claim {
                    text: d.slice(c.claim.0, c.claim.1).to_string(),
                    span: span(c.claim.0, c.claim.1),
                    kind: kind.to_string(),
                    quote: c.quote,
                },
                targets: targets
                    .into_iter()
                    .map(|(id, (a, b))| Target {
                        id: id.id,
                        name: id.name,
                        mention: d.slice(a, b).to_string(),
                        span: span(a, b),
                        kind: id.kind,
                        country: id.country,
                    })
                    .collect(),
                date,
                codes: serde_json::Map::new(),
                confidence,
                extractor: self.version.clone(),
            });
        }
    }

    /// "Lavrov: a deal is near" — a speaker before a colon, in a headline or
    /// opening a paragraph of the body.
    fn headline_colon(&self, d: &Doc, si: usize, s: &segment::Sentence, field: Field) -> Option<Candidate> {
        let colon = (s.start..s.end).find(|&i| d.is_punct(i, ":"))?;
        if colon == s.start || colon - s.start > 5 || d.layout.in_quote(colon) || d.negative[colon] {
            return None;
        }
        let known = (s.start..colon).any(|i| {
            d.ent(i).is_some_and(|m| {
                !matches!(m.value, Hit::Country(_, CountryForm::Adjective) | Hit::Role(_) | Hit::Body(_))
            })
        });
        let has_actor = match field {
            Field::Title => known || (s.start..colon).all(|i| d.t.toks[i].script == text::Script::Arabic),
            // In the body only a known name, or a capitalised name, at the head of a paragraph.
            Field::Body => {
                let para_start = d.layout.paragraphs[s.paragraph].0 == s.start;
                para_start && (known || (s.start..colon).all(|i| d.t.toks[i].capitalised)) && s.end - colon > 4
            }
        };
        if !has_actor {
            return None;
        }
        let mut end = s.end;
        // A site name after " - " or " | " is not part of the claim.
        if let Some(sep) =
            (colon + 1..s.end).find(|&i| d.is_punct(i, "-|–—") && d.t.toks[i - 1].end < d.t.toks[i].start)
        {
            end = sep;
        }
        let start = colon + 1;
        let end = {
            let mut e = end;
            while e > start && d.t.toks[e - 1].kind == text::TokenKind::Punct {
                e -= 1;
            }
            e
        };
        if end <= start {
            return None;
        }
        let say = self.res.cue_defs.iter().position(|c| c.lemma == "say")? as u32;
        Some(Candidate {
            sentence: si,
            cue: (colon, colon + 1),
            cue_id: say,
            actor: ActorSlot::Phrase { start: s.start, end: colon },
            claim: (start, end),
            quote: false,
            object: None,
            pluperfect: false,
            present: true,
            weak_claim: false,
        })
    }

    /// `“...” ― Name`: a quotation signed after a dash, as in collected reactions.
    fn quote_dash(&self, d: &Doc, si: usize, s: &segment::Sentence) -> Option<Candidate> {
        let q = (s.start..s.end).find_map(|i| d.layout.opened_at(i).filter(|q| q.closed && q.close + 2 < s.end))?;
        let dash = q.close + 1;
        if !d.is_punct(dash, "―—–") {
            return None;
        }
        let name_start = dash + 1;
        let mut name_end = name_start;
        while name_end < s.end && name_end - name_start < 4 && d.t.toks[name_end].capitalised {
            name_end += 1;
        }
        if name_end == name_start || q.close <= q.open + 3 {
            return None;
        }
        let say = self.res.cue_defs.iter().position(|c| c.lemma == "say")? as u32;
        Some(Candidate {
            sentence: si,
            cue: (dash, dash + 1),
            cue_id: say,
            actor: ActorSlot::Phrase { start: name_start, end: name_end },
            claim: (q.open + 1, q.close),
            quote: true,
            object: None,
            pluperfect: false,
            present: false,
            weak_claim: false,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn resolve_actor(
        &self,
        d: &Doc,
        c: &Candidate,
        speakers: &[Speaker],
        sentence_actor: &Option<(usize, Identity, Resolution)>,
        date: Option<NaiveDate>,
        focus: Option<u16>,
        mentioned: &[u16],
    ) -> Option<ResolvedActor> {
        // A carried Arabic speaker agrees with its verb: «وأضافت» is a woman, a
        // ministry or a country; «وأضاف» a man; «وأضافوا» several.
        let agreement = arabic_agreement(d, c);
        let last = || {
            speakers.iter().rev().find(|s| agreement.is_none_or(|g| agrees(g, &s.identity))).map(|s| s.identity.clone())
        };
        match c.actor {
            ActorSlot::SameAsPrevious => {
                if let Some((si, id, _)) = sentence_actor.as_ref().filter(|(si, _, _)| *si == c.sentence) {
                    let _ = si;
                    return Some(ResolvedActor {
                        identity: id.clone(),
                        mention: None,
                        resolution: Resolution::Carried,
                    });
                }
                last().map(|identity| ResolvedActor { identity, mention: None, resolution: Resolution::Carried })
            }
            ActorSlot::Carried => {
                last().map(|identity| ResolvedActor { identity, mention: None, resolution: Resolution::Carried })
            }
            ActorSlot::Phrase { start, end } => {
                let reading: Reading = d.read_phrase(start, end);
                match reading.head {
                    Head::Pronoun(g) => {
                        let compatible = |s: &Speaker| match (g, s.identity.gender) {
                            (Gender::Plural, Some(Gender::Plural)) => true,
                            (Gender::Plural, _) => false,
                            (g, Some(h)) => g == h,
                            (_, None) => {
                                s.identity.kind == EntityKind::Person || s.identity.kind == EntityKind::Unknown
                            }
                        };
                        if let Some(found) = speakers.iter().rev().find(|s| compatible(s)) {
                            return Some(ResolvedActor {
                                identity: found.identity.clone(),
                                mention: Some((start, end)),
                                resolution: Resolution::Pronoun,
                            });
                        }
                        // Nobody has spoken yet: the last person named before the pronoun.
                        let named = d.ents.iter().rev().filter(|m| m.end <= start).find_map(|m| match m.value {
                            Hit::Person(p) if g != Gender::Plural && self.res.persons[p as usize].gender == g => {
                                Some(p)
                            }
                            _ => None,
                        });
                        let identity = match named {
                            Some(p) => self.res.identify(
                                &Reading { head: Head::Person(p), span: (start, end), role: None },
                                "",
                                date,
                                focus,
                                mentioned,
                            )?,
                            // Unresolved: kept, named as written, so the statement is not lost.
                            None => Identity {
                                id: None,
                                name: d.slice(start, end).to_string(),
                                kind: EntityKind::Unknown,
                                country: None,
                                role: None,
                                gender: Some(g),
                                roles: vec![],
                            },
                        };
                        Some(ResolvedActor { identity, mention: Some((start, end)), resolution: Resolution::Pronoun })
                    }
                    Head::Role { def, country: None, .. } => {
                        // "the minister added", «وتابع المبعوث الدولي»: the last speaker holding
                        // the office, before any office holder the gazetteer would name.
                        let rd = &self.res.roles[def as usize];
                        if let Some(s) = speakers.iter().rev().find(|s| {
                            s.identity.roles.iter().any(|r| {
                                let r = &self.res.roles[*r as usize];
                                r.role == rd.role && (rd.of.is_none() || r.of == rd.of)
                            })
                        }) {
                            return Some(ResolvedActor {
                                identity: s.identity.clone(),
                                mention: Some(reading.span),
                                resolution: Resolution::Role,
                            });
                        }
                        let mention = d.slice(reading.span.0, reading.span.1);
                        let identity = self.res.identify(&reading, mention, date, focus, mentioned)?;
                        Some(ResolvedActor { identity, mention: Some(reading.span), resolution: Resolution::Role })
                    }
                    Head::Unknown => {
                        let mention = d.slice(reading.span.0, reading.span.1);
                        // A surname alone after the full name: «الزعبي» after «أسعد الزعبي».
                        let words: Vec<String> = (reading.span.0..reading.span.1)
                            .filter(|&i| d.is_word(i))
                            .map(|i| d.norm(i).to_string())
                            .collect();
                        if reading.role.is_none() && !words.is_empty() && words.len() <= 2 {
                            if let Some(s) = speakers.iter().rev().find(|s| words.iter().all(|w| s.words.contains(w))) {
                                return Some(ResolvedActor {
                                    identity: s.identity.clone(),
                                    mention: Some(reading.span),
                                    resolution: Resolution::Named,
                                });
                            }
                        }
                        // English common nouns ("officials", "the report") are weak actors; keep them named as written.
                        let identity = self.res.identify(&reading, mention, date, focus, mentioned)?;
                        Some(ResolvedActor { identity, mention: Some(reading.span), resolution: Resolution::Named })
                    }
                    _ => {
                        let mention = d.slice(reading.span.0, reading.span.1);
                        let identity = self.res.identify(&reading, mention, date, focus, mentioned)?;
                        let resolution = if matches!(reading.head, Head::Role { .. }) {
                            Resolution::Role
                        } else {
                            Resolution::Named
                        };
                        Some(ResolvedActor { identity, mention: Some(reading.span), resolution })
                    }
                }
            }
        }
    }

    fn remember(&self, d: &Doc, actor: &ResolvedActor, speakers: &mut Vec<Speaker>, date: &EventDate) {
        let key = actor.identity.id.clone().unwrap_or_else(|| actor.identity.name.clone());
        let mut words: Vec<String> = Vec::new();
        if let Some((a, b)) = actor.mention {
            words.extend((a..b).filter(|&i| d.is_word(i)).map(|i| d.norm(i).to_string()));
        }
        let own_date = date
            .value
            .as_deref()
            .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
            .filter(|_| date.basis != DateBasis::Published)
            .map(|v| (v, date.precision));
        if let Some(pos) =
            speakers.iter().position(|s| s.identity.id.clone().unwrap_or_else(|| s.identity.name.clone()) == key)
        {
            let mut s = speakers.remove(pos);
            s.words.extend(words);
            if own_date.is_some() {
                s.date = own_date;
            }
            // A role mention adds the role to what the speaker answers to.
            for r in &actor.identity.roles {
                if !s.identity.roles.contains(r) {
                    s.identity.roles.push(*r);
                }
            }
            speakers.push(s);
        } else {
            speakers.push(Speaker { identity: actor.identity.clone(), words, date: own_date });
            // Discourse memory is short: «وأضاف» never reaches back past dozens of speakers.
            if speakers.len() > MAX_SPEAKERS {
                speakers.remove(0);
            }
        }
    }

    /// A claim with one of the refining words ("accused", «انتهاك») is of a stronger kind.
    fn refine_kind(&self, d: &Doc, c: &Candidate, kind: &'static str) -> &'static str {
        let end = c.claim.1.min(c.claim.0 + 60);
        let mut buf = Vec::new();
        for i in c.claim.0..end {
            buf.clear();
            self.res.words.claim_kind.matches_at(d.text, &d.t, i, &mut buf);
            for m in &buf {
                let r = self.res.kind_refines[m.value as usize];
                if self.res.refine_from[r.from as usize].contains(&kind) {
                    return r.kind;
                }
            }
        }
        kind
    }

    #[allow(clippy::too_many_arguments)]
    fn statement_date(
        &self,
        d: &Doc,
        c: &Candidate,
        actor: &Identity,
        speakers: &[Speaker],
        sentence_dates: &mut HashMap<usize, (NaiveDate, Precision, String)>,
        article: &Article,
        field: Field,
    ) -> EventDate {
        let none = EventDate { value: None, precision: Precision::None, basis: DateBasis::None, text: None };
        if c.pluperfect {
            return none;
        }
        if field == Field::Title {
            return match article.published_day {
                Some(p) => EventDate {
                    value: Some(p.to_string()),
                    precision: Precision::Day,
                    basis: DateBasis::Published,
                    text: None,
                },
                None => none,
            };
        }
        let s = &d.layout.sentences[c.sentence];
        // A date of the sentence outside the claim (and outside any quotation), nearest the cue.
        // Dates far from the cue are not its date; the window keeps long sentences linear.
        let own = d
            .dates_in(s.start.max(c.cue.0.saturating_sub(40)), s.end.min(c.cue.1 + 40))
            .iter()
            .filter(|x| x.end <= s.end && x.value.is_some())
            .filter(|x| {
                let in_claim = x.start >= c.claim.0 && x.end <= c.claim.1;
                !(in_claim || d.layout.in_quote(x.start) || d.negative[x.start])
            })
            .min_by_key(|x| (x.start as isize - c.cue.0 as isize).abs());
        if let Some(x) = own {
            let v = x.value.unwrap();
            let text = d.slice(x.start, x.end).to_string();
            sentence_dates.insert(c.sentence, (v, x.precision, text.clone()));
            return EventDate { value: Some(v.to_string()), precision: x.precision, basis: x.basis, text: Some(text) };
        }
        if let Some((v, p, _)) = sentence_dates.get(&c.sentence) {
            return EventDate { value: Some(v.to_string()), precision: *p, basis: DateBasis::Carried, text: None };
        }
        let key = actor.id.clone().unwrap_or_else(|| actor.name.clone());
        if let Some((v, p)) = speakers
            .iter()
            .rev()
            .find(|s| s.identity.id.clone().unwrap_or_else(|| s.identity.name.clone()) == key)
            .and_then(|s| s.date)
        {
            return EventDate { value: Some(v.to_string()), precision: p, basis: DateBasis::Carried, text: None };
        }
        // The time of the narrative: a statement one or two sentences back was dated
        // ("officials said on Sunday ... Haley said ..."; «أعلنت أمس ... وقالت»).
        if let Some((v, p)) = self.narrative_date(d, c.sentence) {
            return EventDate { value: Some(v.to_string()), precision: p, basis: DateBasis::Carried, text: None };
        }
        if c.present {
            if let Some(p) = article.published_day {
                return EventDate {
                    value: Some(p.to_string()),
                    precision: Precision::Day,
                    basis: DateBasis::Published,
                    text: None,
                };
            }
        }
        none
    }

    /// The date of a statement in one of the two sentences before `si` in the
    /// same or the previous paragraph: a date next to a cue ("said on Sunday",
    /// «أعلنت أمس»), outside quotations.
    fn narrative_date(&self, d: &Doc, si: usize) -> Option<(NaiveDate, Precision)> {
        let here = d.layout.sentences[si].paragraph;
        for back in 1..=2 {
            let sj = si.checked_sub(back)?;
            let s = &d.layout.sentences[sj];
            if s.paragraph + 1 < here {
                return None;
            }
            let cue_positions: Vec<usize> = d
                .cues_in(s.start, s.end)
                .iter()
                .filter(|m| !d.layout.in_quote(m.start) && !d.negative[m.start])
                .map(|m| m.start)
                .collect();
            let found = d
                .dates_in(s.start, s.end)
                .iter()
                .filter(|x| x.end <= s.end && x.value.is_some() && !d.layout.in_quote(x.start))
                .find(|x| cue_positions.iter().any(|&c| x.start + 12 >= c && x.start <= c + 4));
            if let Some(x) = found {
                return Some((x.value?, x.precision));
            }
        }
        None
    }

    /// Addressees and objects of the statement.
    #[allow(clippy::too_many_arguments)]
    fn targets(
        &self,
        d: &Doc,
        c: &Candidate,
        actor: &Identity,
        kind: &str,
        date: Option<NaiveDate>,
        focus: Option<u16>,
        mentioned: &[u16],
    ) -> Vec<(Identity, (usize, usize))> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        if let Some(o) = c.object {
            spans.extend(self.entity_spans(d, o.0, o.1));
        }
        // Objects of appeal, demand and accusation verbs inside the claim: «ندعو روسيا», "urged Iran to".
        let mut i = c.claim.0;
        while i < c.claim.1 {
            if let Some(m) = d.cue_at(i) {
                let def = &self.res.cue_defs[m.value as usize];
                if def.frame == Frame::Object {
                    let mut k = m.end;
                    while k < c.claim.1 && d.is_punct(k, ",،") {
                        k += 1;
                    }
                    if let Some(e) = d.ent(k).filter(|e| e.start == k) {
                        spans.push((e.start, e.end));
                    } else if let Some(e) = d.phrase_end(&self.res.words.regime, k) {
                        spans.push((k, e));
                    }
                }
                i = m.end;
                continue;
            }
            i += 1;
        }
        // Hostile and binding kinds point at the parties named in the claim.
        if matches!(
            kind,
            "accuse" | "disapprove" | "warn" | "threaten" | "demand" | "appeal" | "reject" | "agree" | "praise"
        ) {
            spans.extend(self.entity_spans(d, c.claim.0, c.claim.1));
        } else {
            // Other kinds: parties the claim is directed at ("a response to Tehran",
            // "hold Iran accountable", «ضد إيران»), not those it merely mentions.
            for (a, b) in self.entity_spans(d, c.claim.0, c.claim.1) {
                let directed = a > c.claim.0 && d.phrase_ending(&self.res.words.directed, a, c.claim.0).is_some();
                if directed {
                    spans.push((a, b));
                }
            }
        }
        let mut out: Vec<(Identity, (usize, usize))> = Vec::new();
        for (a, b) in spans {
            if a > 0 && d.phrase_ending(&self.res.words.place_prep, a, a.saturating_sub(3)).is_some() {
                continue;
            }
            let reading = d.read_phrase(a, b);
            if matches!(reading.head, Head::Pronoun(_) | Head::Unknown) {
                continue;
            }
            if let Head::Org(o) = reading.head {
                if self.res.orgs[o as usize].kind == "media" {
                    continue;
                }
            }
            // "the ministry", «الخارجية» without a country: nobody in particular.
            if matches!(reading.head, Head::Body { country: None, .. } | Head::Role { country: None, org: None, .. }) {
                continue;
            }
            let Some(id) = self.res.identify(&reading, d.slice(a, b), date, focus, mentioned) else {
                continue;
            };
            let same_as_actor = id.id.is_some() && id.id == actor.id || id.name == actor.name;
            let own_country = id.kind == EntityKind::Country
                && id.country.is_some()
                && id.country == actor.country
                && actor.kind != EntityKind::Person;
            if same_as_actor || own_country {
                continue;
            }
            if out.iter().any(|(o, _)| o.id.is_some() && o.id == id.id || o.name == id.name) {
                continue;
            }
            out.push((id, reading.span));
        }
        out
    }

    /// Spans of entities (and «النظام»-style words) starting inside `[a, b)`.
    fn entity_spans(&self, d: &Doc, a: usize, b: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = a;
        while i < b {
            if let Some(m) = d.ent(i).filter(|m| m.start == i) {
                // A demonym inside a title or ministry phrase is not a party by itself.
                let part_of_title = matches!(m.value, Hit::Country(_, CountryForm::Adjective))
                    && (i > 0 && d.ent(i - 1).is_some_and(|p| matches!(p.value, Hit::Role(_) | Hit::Body(_)))
                        || d.ent(m.end)
                            .is_some_and(|n| matches!(n.value, Hit::Role(_) | Hit::Body(_) | Hit::Person(_))));
                if !part_of_title && !matches!(m.value, Hit::Role(_)) {
                    out.push((m.start, m.end.min(b)));
                }
                i = m.end.max(i + 1);
                continue;
            }
            if let Some(e) = d.phrase_end(&self.res.words.regime, i) {
                out.push((i, e.min(b)));
                i = e;
                continue;
            }
            if let Some(e) = d.phrase_end(&self.res.words.side, i) {
                // «الجانب الروسي», "the Russian side": the country of the demonym.
                if let Some(m) =
                    d.ent(e).filter(|m| m.start == e && matches!(m.value, Hit::Country(_, CountryForm::Adjective)))
                {
                    out.push((m.start, m.end.min(b)));
                    i = m.end;
                    continue;
                }
            }
            i += 1;
        }
        out
    }

    fn confidence(&self, c: &Candidate, a: &ResolvedActor) -> f32 {
        let mut x: f32 = match a.resolution {
            Resolution::Named => 0.9,
            Resolution::Role => 0.8,
            Resolution::Carried => 0.7,
            Resolution::Pronoun => 0.7,
        };
        if a.identity.id.is_none() {
            x -= 0.15;
        }
        if c.weak_claim {
            x -= 0.1;
        }
        if c.quote {
            x += 0.05;
        }
        x.clamp(0.05, 0.99)
    }
}

/// The person and number an Arabic past-tense cue marks on its subject.
fn arabic_agreement(d: &Doc, c: &Candidate) -> Option<Gender> {
    let i = c.cue.0;
    if d.t.toks[i].script != text::Script::Arabic || c.cue.1 != i + 1 {
        return None;
    }
    let w = d.norm(i);
    if w.ends_with("وا") {
        Some(Gender::Plural)
    } else if w.ends_with('ت') {
        Some(Gender::Female)
    } else if w.ends_with(|ch: char| "اهينو".contains(ch)) {
        // Participles, duals and present forms: no safe reading.
        None
    } else {
        Some(Gender::Male)
    }
}

fn agrees(verb: Gender, id: &Identity) -> bool {
    let collective =
        matches!(id.kind, EntityKind::Country | EntityKind::Government | EntityKind::Organization | EntityKind::Group);
    match verb {
        Gender::Plural => collective || id.gender == Some(Gender::Plural),
        Gender::Female => id.gender == Some(Gender::Female) || collective,
        Gender::Male => {
            id.gender == Some(Gender::Male)
                || matches!(id.kind, EntityKind::Organization | EntityKind::Group)
                || (id.gender.is_none() && matches!(id.kind, EntityKind::Person | EntityKind::Unknown))
        }
    }
}

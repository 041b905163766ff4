//! The extraction core: article in, statement events out.
//!
//! Pure and synchronous: no I/O, no async, no global state. The consumer
//! service, the replay and the `extract` command all call
//! [`Extractor::extract`], so the three can never disagree.
//!
//! The steps, per field (title, then body):
//! 1. `text`: tokens with their original offsets and normalised forms;
//! 2. `segment`: paragraphs, quotations, sentences; `boilerplate` marks what is not the story;
//! 3. `doc`: cue, gazetteer and date matches, indexed by token;
//! 4. `attribution`: for each cue, where the actor phrase, claim and object are; `patterns` adds
//!    the two statements without a cue word (a headline colon, a quotation signed after a dash);
//! 5. `identity` and `discourse`: who the actor is (named, by role, carried, pronoun), with the
//!    memory of who spoke before in the field;
//! 6. `kinds`: what act the claim is (the cue's kind, refined by the claim's main clause);
//! 7. `targets` and `dating`: whom the statement is about and when it was made;
//! 8. `coding`: the statement in CAMEO and PLOVER, its actor and targets in CAMEO
//!    (from the final claim kind, the cue lemma and the claim); then the event.
//!
//! This module is the driver: for each field it collects the candidates
//! sentence by sentence, then decides each one in text order, since the
//! discourse memory a candidate reads is what the earlier ones left. The
//! steps see the field through a `Scope` and the memory through a
//! `discourse::Discourse`, both owned here.
//!
//! Only [`Extractor`], [`Resources`] and what builds them are used outside the
//! crate; the step modules are crate-private.

pub(crate) mod attribution;
pub(crate) mod boilerplate;
pub(crate) mod coding;
pub(crate) mod dates;
pub(crate) mod dating;
pub(crate) mod discourse;
pub(crate) mod doc;
pub(crate) mod identity;
pub(crate) mod kinds;
pub(crate) mod matcher;
pub(crate) mod mentions;
pub(crate) mod patterns;
pub(crate) mod resources;
pub(crate) mod segment;
pub(crate) mod targets;
pub(crate) mod text;

use std::collections::HashMap;

use crate::article::Article;
use crate::event::{self, ArticleRef, Claim, Field, Resolution, SentenceRef, StatementEvent, Target};
use attribution::{ActorSlot, Candidate};
use discourse::{Discourse, ResolvedActor};
use doc::Doc;
use resources::{CountryForm, Hit};
use text::CharIndex;

pub use resources::{fingerprint, DataFile, DataFiles, ResourceError, Resources};

/// One field of one article as the per-candidate steps see it.
struct Scope<'a> {
    /// The article: its id, source and publication day (the anchor of relative dates).
    article: &'a Article,
    /// The analysed text of the field.
    d: &'a Doc<'a>,
    field: Field,
    /// The country the body's story happens in, for «النظام», "the regime".
    focus: Option<u16>,
    /// Every country the body names: a hint when a title could mean several offices.
    mentioned: &'a [u16],
}

/// Extracts statement events with a fixed set of resources.
pub struct Extractor {
    res: Resources,
    version: String,
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
        // Each field has its own discourse: the headline's speaker is not the body's «وأضاف».
        if let Some(title) = article.title.as_deref().filter(|t| !t.trim().is_empty()) {
            let tdoc = Doc::new(&self.res, title, article.published_day);
            let scope = Scope { article, d: &tdoc, field: Field::Title, focus, mentioned: &mentioned };
            self.extract_field(&scope, &mut out);
        }
        let scope = Scope { article, d: &body_doc, field: Field::Body, focus, mentioned: &mentioned };
        self.extract_field(&scope, &mut out);
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

    /// The events of one field, in text order.
    fn extract_field(&self, scope: &Scope, out: &mut Vec<StatementEvent>) {
        let cands = self.candidates(scope.d, scope.field);
        if cands.is_empty() {
            return;
        }
        let Scope { article, d, field, .. } = *scope;
        let ci = CharIndex::new(d.text);
        let mut discourse = Discourse::default();
        let mut spoken: std::collections::HashSet<((usize, usize), String)> = Default::default();
        for c in &cands {
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
            let Some(actor) = self.resolve_actor(scope, c, &discourse) else {
                continue;
            };
            // An anonymous source (named so, or carried from one) gives no event, but
            // «وأضاف» and ", adding" after it are still its words, not those of the
            // speaker before it.
            if actor.identity.is_anonymous() {
                discourse.remember_anonymous(c.sentence);
                continue;
            }
            // A news outlet carrying a speaker's words is the channel, not a second actor:
            // "Lavrov said the talks were useful, TASS reported" is Lavrov's statement only.
            // An outlet's own account ("the ceasefire is holding, the Post reports") stays.
            let is_outlet = actor.identity.kind == event::EntityKind::Organization
                && actor
                    .identity
                    .id
                    .as_ref()
                    .and_then(|id| self.res.org_index.get(id))
                    .is_some_and(|&o| self.res.orgs[o as usize].kind == event::OrgKind::Media);
            // Only an outlet's claim is scanned for a speaker: this runs for every candidate.
            if is_outlet
                && (!d.cues_in(c.claim.0, c.claim.1).is_empty()
                    || (c.claim.0..c.claim.1).any(|i| matches!(d.ent(i).map(|m| m.value), Some(Hit::Person(_)))))
            {
                continue;
            }
            // Two listed speakers resolving to one actor ("Hamas and its leader" with the
            // leader unknown) are one statement: a cue has one event per actor.
            let actor_key = actor.identity.id.clone().unwrap_or_else(|| actor.identity.name.clone());
            if !spoken.insert((c.cue, actor_key.clone())) {
                continue;
            }
            discourse.sentence_actor = Some((c.sentence, actor.identity.clone(), actor.resolution));
            let cue_def = &self.res.cue_defs[c.cue_id as usize];
            let kind = kinds::claim_kind(&self.res, d, c.cue, c.claim, cue_def.kind);
            let date = self.statement_date(scope, c, &actor.identity, &mut discourse);
            let targets = self.targets(scope, c, &actor.identity, kind);
            discourse.remember(d, &actor, &date);
            let codes = self.res.code_event(d.text, &d.t, c.claim, &cue_def.lemma, kind);
            // Offices are those held on the day of the statement, else of publication.
            let day = match date.precision {
                event::Precision::Day => date.value.as_deref().and_then(|v| v.parse().ok()),
                _ => None,
            }
            .or(article.published_day);

            let span = |a: usize, b: usize| -> [usize; 2] {
                let (x, y) = d.bytes(a, b);
                [ci.at(x), ci.at(y)]
            };
            let cue_span = span(c.cue.0, c.cue.1);
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
                    cameo: self.res.code_actor(&actor.identity, day),
                },
                cue: event::Cue {
                    text: d.slice(c.cue.0, c.cue.1).to_string(),
                    span: cue_span,
                    lemma: cue_def.lemma.clone(),
                },
                claim: Claim {
                    text: d.slice(c.claim.0, c.claim.1).to_string(),
                    span: span(c.claim.0, c.claim.1),
                    kind,
                    quote: c.quote,
                },
                targets: targets
                    .into_iter()
                    .map(|(id, (a, b))| Target {
                        cameo: self.res.code_actor(&id, day),
                        id: id.id,
                        name: id.name,
                        mention: d.slice(a, b).to_string(),
                        span: span(a, b),
                        kind: id.kind,
                        country: id.country,
                    })
                    .collect(),
                date,
                codes,
                confidence,
                extractor: self.version.clone(),
            });
        }
    }

    /// Every candidate statement of the field, sentence by sentence: the cues that
    /// read as statements, else a headline colon, and a signed quotation.
    fn candidates(&self, d: &Doc, field: Field) -> Vec<Candidate> {
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
                        // A named statement inside an anonymous source's claim is the
                        // event ("sources said Lavrov told Kerry…"): that claim nests nothing.
                        if c.actor != ActorSlot::Anonymous && widest.is_none_or(|(_, b)| c.claim.1 > b) {
                            widest = Some(c.claim);
                        }
                        // Speakers listed one by one are one statement each.
                        match c.actor {
                            ActorSlot::Phrase { start, end } => {
                                for (a, b) in d.listed_speakers(start, end) {
                                    cands
                                        .push(Candidate { actor: ActorSlot::Phrase { start: a, end: b }, ..c.clone() });
                                }
                            }
                            _ => cands.push(c),
                        }
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
        cands
    }

    /// How sure the extractor is: by how the actor was resolved, lowered for an
    /// actor outside the gazetteer and a weak claim, raised for direct speech.
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

//! Discourse memory: who has spoken in the field so far, and how a statement
//! without a name of its own finds its speaker.
//!
//! Arabic carries the speaker from sentence to sentence («وأضاف», «وتابع
//! المبعوث الدولي», «من جانبه»), English by pronoun ("he added") or by office
//! ("the minister said"). A [`Discourse`] lives for one field: the candidates
//! are decided in text order and each [`Discourse::remember`]s its actor, so a
//! later carried, pronoun, office or surname-only subject resolves to the most
//! recent compatible speaker. Arabic verb agreement («وأضافت» is a woman, a
//! ministry or a country) narrows who a carried subject can be.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::attribution::{ActorSlot, Candidate};
use super::doc::Doc;
use super::identity::{Head, Identity, Reading};
use super::mentions::{self, Mention};
use super::resources::{Gender, Hit};
use super::text;
use super::{Extractor, Scope};
use crate::event::{DateBasis, EntityKind, EventDate, Precision, Resolution};

/// How many recent speakers the discourse remembers.
const MAX_SPEAKERS: usize = 48;

/// What the discourse remembers of a speaker.
#[derive(Debug, Clone)]
pub(super) struct Speaker {
    pub(super) identity: Identity,
    /// Normalised words of the names it was mentioned by (for a later surname alone).
    pub(super) words: Vec<String>,
    /// The date of its last dated statement, for its next undated one.
    pub(super) date: Option<(NaiveDate, Precision)>,
}

/// An actor as decided for one candidate.
pub(super) struct ResolvedActor {
    pub(super) identity: Identity,
    /// Where the actor is named in this statement; none when carried.
    pub(super) mention: Option<(usize, usize)>,
    pub(super) resolution: Resolution,
}

/// The memory of one field, filled in text order.
#[derive(Default)]
pub(super) struct Discourse {
    /// Recent speakers, the most recent last.
    pub(super) speakers: Vec<Speaker>,
    /// The last actor decided and its sentence: a second cue of the same sentence speaks with its voice.
    pub(super) sentence_actor: Option<(usize, Identity, Resolution)>,
    /// The date found for each sentence so far (value, precision, words), for its other statements.
    pub(super) sentence_dates: HashMap<usize, (NaiveDate, Precision, String)>,
}

impl Discourse {
    /// Records that an anonymous source spoke in sentence `si`: the speaker a
    /// carried cue after it continues, and that gives no event.
    pub(super) fn remember_anonymous(&mut self, si: usize) {
        let identity = Identity::anonymous();
        self.sentence_actor = Some((si, identity.clone(), Resolution::Carried));
        self.speakers.retain(|s| !s.identity.is_anonymous());
        self.speakers.push(Speaker { identity, words: vec![], date: None });
    }

    /// Records that `actor` spoke (with the words it was named by and the date of
    /// the statement): it becomes the most recent speaker.
    pub(super) fn remember(&mut self, d: &Doc, actor: &ResolvedActor, date: &EventDate) {
        let speakers = &mut self.speakers;
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
}

impl Extractor {
    /// Who speaks in `c`: the actor phrase read and identified, or the speaker
    /// the discourse carries («وأضاف», "he added", "the minister said").
    pub(super) fn resolve_actor(&self, scope: &Scope, c: &Candidate, discourse: &Discourse) -> Option<ResolvedActor> {
        let Scope { d, focus, mentioned, .. } = *scope;
        let date = scope.article.published_day;
        let speakers = &discourse.speakers[..];
        let sentence_actor = &discourse.sentence_actor;
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
            ActorSlot::Anonymous => {
                Some(ResolvedActor { identity: Identity::anonymous(), mention: None, resolution: Resolution::Carried })
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
                            Hit::Person(p) if g != Gender::Plural && self.res.persons[p as usize].gender == Some(g) => {
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
                        let reading = match mentions::check(d, reading.span.0, reading.span.1) {
                            Mention::Entity(a, b) => Reading { span: (a, b), ..reading },
                            // "at the time he said": the pronoun is the subject.
                            Mention::Pronoun(i, _) => {
                                let c = Candidate { actor: ActorSlot::Phrase { start: i, end: i + 1 }, ..c.clone() };
                                return self.resolve_actor(scope, &c, discourse);
                            }
                            // «فقد قال», «وقال خلاله»: Arabic drops a known subject, so the speaker
                            // is carried; English names its subject, so this is no statement.
                            Mention::NotAnActor if d.t.toks[c.cue.0].script == text::Script::Arabic => {
                                return last().map(|identity| ResolvedActor {
                                    identity,
                                    mention: None,
                                    resolution: Resolution::Carried,
                                });
                            }
                            Mention::NotAnActor => return None,
                        };
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

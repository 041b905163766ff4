//! Targets: the parties a statement is addressed to or about.
//!
//! The object of a cue ("urged Iran", «ندعو روسيا») is always a target; so is
//! every party named in the claim of a hostile or binding kind (accuse, warn,
//! demand, agree...), while for the other kinds only a party the claim is
//! directed at ("a response to Tehran", «ضد إيران»). Places ("in Syria"),
//! media, bodies of no country, the actor itself and its own country are left
//! out; each target appears once.

use super::attribution::Candidate;
use super::doc::Doc;
use super::identity::{Head, Identity};
use super::resources::{CountryForm, Frame, Hit};
use super::{Extractor, Scope};
use crate::event::{ClaimKind, EntityKind, OrgKind};

impl Extractor {
    /// Addressees and objects of the statement, each with the span it is named by.
    pub(super) fn targets(
        &self,
        scope: &Scope,
        c: &Candidate,
        actor: &Identity,
        kind: ClaimKind,
    ) -> Vec<(Identity, (usize, usize))> {
        let Scope { d, focus, mentioned, .. } = *scope;
        let date = scope.article.published_day;
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
            ClaimKind::Accuse
                | ClaimKind::Disapprove
                | ClaimKind::Warn
                | ClaimKind::Threaten
                | ClaimKind::Demand
                | ClaimKind::Appeal
                | ClaimKind::Reject
                | ClaimKind::Agree
                | ClaimKind::Praise
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
                if self.res.orgs[o as usize].kind == OrgKind::Media {
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
}

//! The two statements without a cue word.
//!
//! A speaker before a colon ("Lavrov: a deal is near"), in a headline or at
//! the head of a body paragraph, and a quotation signed after a dash
//! (`“...” ― Name`), as in collected reactions. Both read as the lemma `say`
//! and go through the same actor, date and target steps as cue statements.

use super::attribution::{ActorSlot, Candidate};
use super::doc::Doc;
use super::resources::{CountryForm, Hit};
use super::segment::Sentence;
use super::text;
use super::Extractor;
use crate::event::Field;

impl Extractor {
    /// "Lavrov: a deal is near" — a speaker before a colon, in a headline or
    /// opening a paragraph of the body.
    pub(super) fn headline_colon(&self, d: &Doc, si: usize, s: &Sentence, field: Field) -> Option<Candidate> {
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
    pub(super) fn quote_dash(&self, d: &Doc, si: usize, s: &Sentence) -> Option<Candidate> {
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
}

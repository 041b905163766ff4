//! Statement dating: the day a statement was made, as opposed to the dates it
//! talks about.
//!
//! A date counts for a statement only outside its claim and outside
//! quotations, near the cue ("said on Sunday", «أعلنت أمس»). An undated
//! statement takes, in order, the date of its sentence, its speaker's last
//! dated statement, a dated statement one or two sentences back (the time of
//! the narrative), and for the present tense the publication day. Headlines
//! are dated by publication. What is left takes the publication day as the
//! latest day it can have been made (basis `reported`), and a pluperfect
//! report ("had said") as the day before which it was made (basis `earlier`):
//! a timeline can place every statement of a dated article, and knows which
//! places are bounds.
//! The expressions themselves are found and resolved by [`super::dates`].

use chrono::NaiveDate;

use super::attribution::Candidate;
use super::discourse::Discourse;
use super::doc::Doc;
use super::identity::Identity;
use super::{Extractor, Scope};
use crate::event::{DateBasis, EventDate, Field, Precision};

impl Extractor {
    /// When the statement in `c` was made, and on what basis: a date beside the
    /// cue, then one carried from the sentence, the speaker or the narrative,
    /// then the publication day for the present tense and headlines.
    pub(super) fn statement_date(
        &self,
        scope: &Scope,
        c: &Candidate,
        actor: &Identity,
        discourse: &mut Discourse,
    ) -> EventDate {
        let Scope { d, article, field, .. } = *scope;
        let speakers = &discourse.speakers;
        let sentence_dates = &mut discourse.sentence_dates;
        let none = EventDate { value: None, precision: Precision::None, basis: DateBasis::None, text: None };
        // The publication day standing in for a date the text does not give, on a basis that says so.
        let published = |basis| match article.published_day {
            Some(p) => EventDate { value: Some(p.to_string()), precision: Precision::Day, basis, text: None },
            None => none.clone(),
        };
        if c.pluperfect {
            return published(DateBasis::Earlier);
        }
        if field == Field::Title {
            return published(DateBasis::Published);
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
            return published(DateBasis::Published);
        }
        published(DateBasis::Reported)
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
}

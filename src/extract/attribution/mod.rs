//! From a cue to its actor phrase, claim and addressee, inside one sentence.
//!
//! Works on token ranges and the matches prepared in [`Doc`]; it decides
//! *where* the actor, claim and object are, not *who* the actor is (that is
//! [`super::identity`] and [`super::discourse`]). Both word orders are
//! handled by one procedure: the actor phrase is looked for after the cue
//! (Arabic verb-first «قال لافروف إن», English inverted `"...," said Lavrov`)
//! and before it (English `Lavrov said`, Arabic «أما الجبير، قال»); the claim
//! is the quotation, the that-clause, the text after a colon, the text before
//! the cue when the cue closes the sentence, or the rest of the clause.
//!
//! This module holds the procedure ([`Doc::analyse`]) and the candidate it
//! returns; [`phrases`] finds noun phrases, subjects and objects around a cue,
//! [`clauses`] the clause boundaries and the claim's extent. All three are
//! methods on [`Doc`], over token indices of one sentence.

mod clauses;
mod phrases;

use super::doc::Doc;
use super::resources::{Frame, Hit};
use super::segment::Sentence;
use super::text::Script;
use crate::event::OrgKind;

/// Noun phrases longer than this are not subjects.
const MAX_NP: usize = 10;
/// The longest claim, in tokens.
const MAX_CLAIM: usize = 400;
/// How far after the cue the complement (quote, that-clause, colon) may start.
const MAX_COMPLEMENT_GAP: usize = 28;

/// Where the actor of a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorSlot {
    /// A phrase in the text, with an optional appositive (name or role) beside it.
    Phrase { start: usize, end: usize },
    /// No actor phrase: the speaker is carried from the discourse («وأضاف», "adding").
    Carried,
    /// A participle or gerund: the actor of the previous statement in the sentence.
    SameAsPrevious,
    /// An anonymous source ("sources said", «وقال أحد المصادر»): no event, but
    /// the speaker that «وأضاف» or ", adding" after it continues.
    Anonymous,
}

/// One statement found in a sentence, before identities are resolved.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub sentence: usize,
    pub cue: (usize, usize),
    pub cue_id: u32,
    pub actor: ActorSlot,
    /// Token range of the claim (without outer quotation marks).
    pub claim: (usize, usize),
    pub quote: bool,
    /// The addressee or object of an object cue ("called on Russia to").
    pub object: Option<(usize, usize)>,
    /// "had said", «وكان أعلن»: the statement has no date of its own.
    pub pluperfect: bool,
    /// A present-tense cue ("says"): the statement stands as of publication.
    pub present: bool,
    /// Claim found only as the rest of the clause (no quote, that or colon).
    pub weak_claim: bool,
}

impl Doc<'_> {
    /// Analyses one cue. Returns None when the cue is not a statement here.
    pub fn analyse(&self, si: usize, s: &Sentence, cue_idx: usize, previous_in_sentence: bool) -> Option<Candidate> {
        let m = self.cues[cue_idx];
        let cue = &self.res.cue_defs[m.value as usize];
        let (cs, ce) = (m.start, m.end);
        if self.layout.in_quote(cs) || self.negative[cs] {
            return None;
        }
        // Inside a name ("United States"): not a cue.
        if self.ent(cs).is_some_and(|e| e.start < cs || e.end > ce) {
            return None;
        }
        // "so-called", "long said": a blocker right before the cue.
        if cs > s.start && self.phrase_ending(&self.res.words.cue_blocker, cs, s.start).is_some() {
            return None;
        }
        if cs > s.start + 1
            && self.norm(cs - 1) == "-"
            && self.phrase_ending(&self.res.words.cue_blocker, cs - 1, s.start).is_some()
        {
            return None;
        }
        let arabic = self.t.toks[cs].script == Script::Arabic;
        // "as saying" belongs to "X quoted Y as saying", read with "quoted".
        if !arabic && cs > s.start && self.norm(cs - 1) == "as" && self.norm(cs).starts_with("saying") {
            return None;
        }
        // An English gerund after a comma continues the previous statement: "..., saying".
        let participle =
            cue.participle || (!arabic && self.norm(cs).ends_with("ing") && cs > s.start && self.joins_clauses(cs - 1));
        let pluperfect = self.is_pluperfect(cs, s.start);
        let present =
            !arabic && (self.norm(cs).ends_with('s') && !self.norm(cs).ends_with("ss")) && cue.lemma != "according to";
        let clause_end = self.clause_end(ce, s.end);

        let mut cand = Candidate {
            sentence: si,
            cue: (cs, ce),
            cue_id: m.value,
            actor: ActorSlot::Carried,
            claim: (ce, ce),
            quote: false,
            object: None,
            pluperfect,
            present,
            weak_claim: false,
        };

        if cue.frame == Frame::Source {
            return self.analyse_source(cand, s, clause_end);
        }
        // "TASS quoted Lavrov as saying…", «ونقل التلفزيون عن المعلم قوله إن…»: the
        // channel names the speaker; the speaker is the actor.
        if let Some(c) = self.quoted_speaker(&mut cand, s, clause_end, arabic) {
            return Some(c);
        }
        // Bare «نقل» is a cue only as «نقل X عن Y» (it is also "moved": «نقل الجثث»).
        if arabic && cue.lemma == "quote" {
            return None;
        }

        // --- the actor phrase after the cue (verb-first Arabic, inverted English) ---
        // English puts the subject first; only a cue without one may be inverted
        // ("“...,” said Lavrov"). Arabic puts the verb first.
        let english_subject = if !arabic && !participle {
            self.subject_before(cs, s)
                .map(|(a, b)| self.listed_back(a, b, s.start))
                .or_else(|| self.coordinated_subject(cs, s))
        } else {
            None
        };
        let mut after = ce;
        let mut right_np = None;
        let mut anonymous = false;
        let inverted_ok = arabic || (english_subject.is_none() && self.claim_before_cue(cs, s).is_some());
        if !participle && inverted_ok {
            if let Some((a, b)) = self.np_forward(ce, clause_end) {
                let mut b = b;
                // A title followed by the name: «وزير الخارجية الأمريكي، جون كيري».
                if !self.has_person(a, b) {
                    if let Some((a2, b2)) = self.appositive_forward(b, clause_end) {
                        if self.has_person(a2, b2) || !self.has_entity(a2, b2) {
                            b = b2;
                        }
                    }
                }
                anonymous |= self.phrase_end(&self.res.words.anonymous, a).is_some();
                right_np = Some((a, b));
                after = b;
            }
        }

        // --- the actor phrase before the cue ---
        let left_np = if right_np.is_some() || participle {
            None
        } else if arabic {
            self.subject_before(cs, s)
        } else {
            english_subject
        };
        if let Some((a, _)) = left_np {
            anonymous |= self.phrase_end(&self.res.words.anonymous, a).is_some();
        }

        cand.actor = match (right_np, left_np) {
            _ if anonymous => ActorSlot::Anonymous,
            (Some((a, b)), _) | (None, Some((a, b))) => ActorSlot::Phrase { start: a, end: b },
            (None, None) if participle || (previous_in_sentence && self.joined_to_previous(cs, s)) => {
                ActorSlot::SameAsPrevious
            }
            (None, None) => ActorSlot::Carried,
        };

        // --- the object of an object cue: "called on Russia to", «دعا روسيا إلى» ---
        let mut k = self.skip_adverbials(after, clause_end);
        if cue.frame == Frame::Object || cue.frame == Frame::Noun {
            if let Some((a, b)) = self.object_at(k, clause_end) {
                cand.object = Some((a, b));
                if cue.frame == Frame::Object && !arabic {
                    // The claim keeps its object: "Russia of trying to deflect blame".
                    let claim_end = self.trim_end(a, clause_end);
                    if claim_end > a {
                        cand.claim = (a, claim_end);
                        return Some(cand);
                    }
                }
                k = self.skip_adverbials(b, clause_end);
            } else if cue.frame == Frame::Object && !arabic && self.is_complementizer(k).is_none() {
                // "called on both countries to avoid ...": the object is not a name, the claim still starts there.
                let claim_end = self.trim_end(k, clause_end);
                if claim_end > k + 1 {
                    cand.claim = (k, claim_end);
                    cand.weak_claim = true;
                    return Some(cand);
                }
            }
        }

        // "…, as Lavrov said." / «…، كما ذكر دبلوماسي»: a parenthetical after the
        // claim, which is the clause before the comma.
        if let Some(c) = self.as_reported_claim(cs, s, left_np, right_np, arabic) {
            // Only when the cue closes its clause ("as police have said."): after
            // "as I believed the progress…" a claim follows and "as" is "because".
            if self.complement(k, s, clause_end).is_none() && !self.starts_clause(k) && clause_end <= k + 8 {
                cand.claim = c;
                return Some(cand);
            }
        }

        // A quotation before the cue is the claim when what follows the cue is only
        // context: '"We are close," Lavrov told reporters after talks with the envoy'.
        let quote_before = self.claim_before_cue(cs, s).filter(|c| c.2 && (right_np.is_some() || left_np.is_some()));
        if let Some((a, b, q)) = quote_before
            .filter(|_| self.complement(k, s, clause_end).is_none_or(|c| !c.2 && c.0 > k + 3) && !self.starts_clause(k))
        {
            cand.claim = (a, b);
            cand.quote = q;
            return Some(cand);
        }

        // --- the claim ---
        if let Some(c) = self.complement(k, s, clause_end) {
            cand.claim = (c.0, c.1);
            cand.quote = c.2;
        } else if let Some((a, b, q)) = self
            .claim_before_cue(cs, s)
            .filter(|_| (right_np.is_some() || left_np.is_some()) && self.trim_end(k, clause_end) <= k)
        {
            cand.claim = (a, b);
            cand.quote = q;
        } else if cue.frame == Frame::Noun {
            // «وتستمر مطالبات الولايات المتحدة لروسيا بوقف...»: the clause is the claim,
            // but only when the noun has both its author and its addressee.
            if cand.object.is_none() || matches!(cand.actor, ActorSlot::Carried | ActorSlot::SameAsPrevious) {
                return None;
            }
            let start = self.clause_start(cs, s.start);
            let mut end = ce;
            while end < clause_end && !self.is_punct(end, ",،;؛") {
                end += 1;
            }
            cand.claim = (start, self.trim_end(start, end));
        } else {
            // A weak cue ("believes", "wants") needs a clause with its own subject: "believes the deal is bad".
            // An Arabic weak cue (بيّن, also بين "between") counts only with أن / إن, which `complement` took.
            if cue.weak && (arabic || !self.starts_clause(k)) {
                return None;
            }
            let start = k;
            let end = self.trim_end(start, clause_end);
            if end <= start || end - start < 2 {
                return None;
            }
            cand.claim = (start, end);
            cand.weak_claim = true;
        }
        if cand.claim.1 <= cand.claim.0 {
            return None;
        }
        Some(cand)
    }

    /// The claim of a parenthetical "as X said": the clause from the sentence start
    /// to the comma before the `as_reported` word (before the cue in Arabic, before
    /// the subject in English).
    fn as_reported_claim(
        &self,
        cs: usize,
        s: &Sentence,
        left_np: Option<(usize, usize)>,
        right_np: Option<(usize, usize)>,
        arabic: bool,
    ) -> Option<(usize, usize)> {
        let lead = match (arabic, left_np, right_np) {
            (true, None, Some(_)) => cs,
            (false, Some((a, _)), None) => a,
            _ => return None,
        };
        let start = self.phrase_ending(&self.res.words.as_reported, lead, s.start)?;
        if start < s.start + 3 || !self.is_punct(start - 1, ",،") {
            return None;
        }
        let end = self.trim_end(s.start, start - 1);
        (end > s.start + 1).then_some((s.start, end))
    }

    /// A channel quoting a named speaker: "X quoted Y as saying (that) …" and
    /// «نقل X عن Y (قوله) إن …». The actor is Y, the claim what follows.
    fn quoted_speaker(&self, cand: &mut Candidate, s: &Sentence, clause_end: usize, arabic: bool) -> Option<Candidate> {
        let (cs, ce) = cand.cue;
        let verb = self.norm(cs).trim_start_matches(['و', 'ف']);
        // The speaker's phrase and where its words start.
        let ((a, b), after) = if arabic {
            if !matches!(verb, "نقل" | "نقلت" | "ينقل" | "تنقل") {
                return None;
            }
            // The channel, then «عن», then the speaker.
            let (_, b) = self.np_forward(ce, clause_end)?;
            if b >= clause_end || self.norm(b) != "عن" {
                return None;
            }
            let (a, mut e) = self.np_forward(b + 1, clause_end)?;
            let after = e;
            // «عن المعلم قوله»: «قوله» introduces the words, it is not the speaker's name.
            while e > a + 1 && self.phrase(&self.res.words.skippable, e - 1).is_some_and(|m| m.end == e) {
                e -= 1;
            }
            ((a, e), after)
        } else {
            if !matches!(verb, "quoted" | "quotes" | "quoting" | "cited" | "cites" | "citing") {
                return None;
            }
            let speaker = self.np_forward(ce, clause_end)?;
            let b = speaker.1;
            if b + 1 >= clause_end
                || self.norm(b) != "as"
                || !matches!(self.norm(b + 1), "saying" | "telling" | "stating" | "writing")
            {
                return None;
            }
            (speaker, b + 2)
        };
        // English names have capitals; Arabic has none, so any phrase after «عن» stands.
        if !arabic && !self.has_entity(a, b) && !(a..b).any(|x| self.t.toks[x].capitalised) {
            return None;
        }
        // «قوله», "as saying": skipped before the complement.
        let k = self.skip_adverbials(after, clause_end);
        let (x, y, q) = self.complement(k, s, clause_end).or_else(|| {
            let end = self.trim_end(k, clause_end);
            (end > k + 1).then_some((k, end, false))
        })?;
        cand.actor = ActorSlot::Phrase { start: a, end: b };
        cand.claim = (x, y);
        cand.quote = q;
        Some(cand.clone())
    }

    /// "according to X, claim" / "claim, according to X" / «حسب X».
    fn analyse_source(&self, mut cand: Candidate, s: &Sentence, clause_end: usize) -> Option<Candidate> {
        let (cs, ce) = cand.cue;
        let (a, b) = self.np_forward(ce, s.end)?;
        // An agency carrying someone else's words is a channel, not a source.
        if let Some(Hit::Org(o)) = self.ent(a).map(|m| m.value) {
            if self.res.orgs[o as usize].kind == OrgKind::Media && cs > s.start + 2 {
                return None;
            }
        }
        cand.actor = ActorSlot::Phrase { start: a, end: b };
        let before_start = s.start;
        let before_end = self.trim_end(before_start, cs);
        if before_end > before_start + 2 {
            cand.claim = (before_start, before_end);
        } else {
            let mut k = b;
            while k < s.end && self.is_punct(k, ",،:") {
                k += 1;
            }
            let end = self.trim_end(k, clause_end.max(s.end));
            if end <= k {
                return None;
            }
            cand.claim = (k, end);
        }
        Some(cand)
    }

    fn is_pluperfect(&self, cs: usize, floor: usize) -> bool {
        // «وكان أعلن», "had said", "had earlier said".
        let lo = cs.saturating_sub(3).max(floor);
        (lo..cs).any(|i| self.phrase_end(&self.res.words.pluperfect, i).is_some())
    }
}

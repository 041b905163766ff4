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

use super::doc::Doc;
use super::resources::{CountryForm, Frame, Hit};
use super::segment::Sentence;
use super::text::{Script, TokenKind};

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
    fn stop_word(&self, i: usize) -> bool {
        self.phrase_end(&self.res.words.np_stop, i).is_some()
    }

    fn skippable(&self, i: usize) -> Option<usize> {
        self.phrase_end(&self.res.words.skippable, i).or_else(|| self.english_adverb(i).then_some(i + 1))
    }

    /// English adverbs in -ly ("extensively", "sharply") sit between a subject and its cue.
    fn english_adverb(&self, i: usize) -> bool {
        let tok = &self.t.toks[i];
        tok.script == Script::Latin
            && !tok.capitalised
            && self.norm(i).len() > 4
            && self.norm(i).ends_with("ly")
            && self.ent(i).is_none()
    }

    fn is_open_quote(&self, i: usize) -> bool {
        self.layout.quote_at(i + 1).is_some_and(|q| q.open == i)
    }

    /// Closing quotation mark of the quotation opened at `i`.
    fn quote_opened_at(&self, i: usize) -> Option<(usize, usize, bool)> {
        self.layout.opened_at(i).map(|q| (q.open, q.close, q.closed))
    }

    /// A token that may sit inside a noun phrase.
    fn np_token(&self, i: usize) -> bool {
        let tok = &self.t.toks[i];
        match tok.kind {
            TokenKind::Word | TokenKind::Number => {
                !self.stop_word(i)
                    && self.cue_at(i).is_none()
                    && self.date(i).is_none()
                    && self.is_complementizer(i).is_none()
            }
            TokenKind::Punct => matches!(self.norm(i), "-" | "'s" | "'" | "."),
        }
    }

    /// Walks left from `end` (exclusive) over a noun phrase; `floor` is the sentence start.
    fn np_back(&self, end: usize, floor: usize) -> Option<(usize, usize)> {
        let mut s = end;
        while s > floor && end - s < MAX_NP && self.np_token(s - 1) && !self.layout.in_quote(s - 1) {
            s -= 1;
            // An entity phrase is taken whole even when it holds a stop word ("Secretary of State").
            if let Some(m) = self.ent(s) {
                if m.start < s && m.start >= floor {
                    s = m.start;
                }
            }
        }
        // A phrase cannot begin with punctuation.
        while s < end && self.t.toks[s].kind == TokenKind::Punct {
            s += 1;
        }
        (s < end).then_some((s, end))
    }

    /// Walks right from `start` over a noun phrase.
    fn np_forward(&self, start: usize, limit: usize) -> Option<(usize, usize)> {
        let mut e = start;
        let mut complete = false;
        while e < limit && e - start < MAX_NP {
            if let Some(m) = self.ent(e) {
                if m.start == e && m.end <= limit {
                    // Verb-subject-object: once the subject has its head (a name, an
                    // organisation, a country), a new title or name is the object:
                    // «أبلغت دول الخليج وزير الخارجية الأمريكي جون كيري».
                    let head = matches!(m.value, Hit::Person(_) | Hit::Org(_) | Hit::Country(_, CountryForm::Name));
                    if complete && (head || matches!(m.value, Hit::Role(_))) {
                        break;
                    }
                    // A name with the preposition ل after a complete subject (مطالبات
                    // الولايات المتحدة لروسيا) is its object; after a bare title
                    // (الأمين العام لمجلس التعاون) it completes the title.
                    if m.clitic
                        && complete
                        && e > start
                        && matches!(m.value, Hit::Country(..) | Hit::Org(_))
                        && self.norm(e).starts_with('ل')
                    {
                        break;
                    }
                    complete |= head;
                    e = m.end;
                    continue;
                }
            }
            if !self.np_token(e) || self.is_open_quote(e) {
                break;
            }
            e += 1;
        }
        while e > start && self.t.toks[e - 1].kind == TokenKind::Punct {
            e -= 1;
        }
        (e > start).then_some((start, e))
    }

    fn has_person(&self, a: usize, b: usize) -> bool {
        (a..b).any(|i| matches!(self.ent(i).map(|m| m.value), Some(Hit::Person(_))))
    }

    fn has_entity(&self, a: usize, b: usize) -> bool {
        (a..b).any(|i| self.ent(i).is_some())
    }

    /// A short comma-delimited segment that can stand beside a noun phrase:
    /// a name after a title («وزير الخارجية، جون كيري») or a title after a name.
    fn appositive_forward(&self, comma: usize, limit: usize) -> Option<(usize, usize)> {
        if !self.is_punct(comma, ",،") {
            return None;
        }
        let (a, b) = self.np_forward(comma + 1, limit)?;
        (b - a <= 5 && self.date(a).is_none()).then_some((a, b))
    }

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

        // --- the actor phrase after the cue (verb-first Arabic, inverted English) ---
        // English puts the subject first; only a cue without one may be inverted
        // ("“...,” said Lavrov"). Arabic puts the verb first.
        let english_subject = if !arabic && !participle { self.subject_before(cs, s) } else { None };
        let mut after = ce;
        let mut right_np = None;
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
                if self.phrase_end(&self.res.words.anonymous, a).is_some() {
                    return None;
                }
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
            if self.phrase_end(&self.res.words.anonymous, a).is_some() {
                return None;
            }
        }

        cand.actor = match (right_np, left_np) {
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
            if cue.weak && !self.starts_clause(k) {
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

    /// "according to X, claim" / "claim, according to X" / «حسب X».
    fn analyse_source(&self, mut cand: Candidate, s: &Sentence, clause_end: usize) -> Option<Candidate> {
        let (cs, ce) = cand.cue;
        let (a, b) = self.np_forward(ce, s.end)?;
        // An agency carrying someone else's words is a channel, not a source.
        if let Some(Hit::Org(o)) = self.ent(a).map(|m| m.value) {
            if self.res.orgs[o as usize].kind == "media" && cs > s.start + 2 {
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

    /// The token where the clause of a cue ends: the sentence end, or the next
    /// statement joined by a comma or "and" («، مضيفاً», ", adding").
    fn clause_end(&self, from: usize, end: usize) -> usize {
        // A claim is at most MAX_CLAIM tokens: a longer "sentence" is not prose,
        // and the bound keeps every cue's work constant.
        let end = end.min(from + MAX_CLAIM);
        let mut i = from;
        while i < end {
            if !self.layout.in_quote(i) {
                if let Some(c) = self.cue_at(i) {
                    let joined = i > from && self.joins_clauses(i - 1);
                    // «وأضاف»: a conjunction stripped from the cue (not و of the root, as in «وافقت»).
                    let conj = c.clitic && self.t.toks[i].script == Script::Arabic;
                    // ", but she raised concerns": a new subject after a joiner starts a new statement.
                    if !conj && !joined && self.t.toks[i].script == Script::Latin {
                        if let Some((a, _)) = self.np_back(i, from) {
                            if a > from + 3 && self.joins_clauses(a - 1) {
                                return a - 1;
                            }
                        }
                    }
                    // Any cue joined by a comma or a conjunction starts a new clause
                    // (", adding", «، مضيفاً», ", according to", «وأضاف»).
                    if joined || conj {
                        return if joined { i - 1 } else { i };
                    }
                }
            }
            i += 1;
        }
        end
    }

    /// Whether a clause with a subject starts at `k`: a name, a pronoun, a determiner.
    fn starts_clause(&self, k: usize) -> bool {
        k < self.len()
            && (self.ent(k).is_some_and(|m| m.start == k)
                || self.phrase(&self.res.words.pronoun, k).is_some()
                || self.t.toks[k].capitalised
                || matches!(
                    self.norm(k),
                    "the"
                        | "a"
                        | "an"
                        | "there"
                        | "this"
                        | "it"
                        | "its"
                        | "his"
                        | "her"
                        | "their"
                        | "our"
                        | "we"
                        | "i"
                        | "you"
                ))
    }

    /// A comma, "and", "while", «فيما», «بينما»: what joins a second statement to the first.
    fn joins_clauses(&self, i: usize) -> bool {
        self.is_punct(i, ",،;؛")
            || matches!(
                self.norm(i),
                "and" | "while" | "whereas" | "but" | "فيما" | "بينما" | "كما" | "وفيما" | "وبينما" | "حين"
            )
    }

    /// Start of the clause holding token `i`: after the last comma or sentence start.
    fn clause_start(&self, i: usize, floor: usize) -> usize {
        let mut s = i;
        while s > floor && !self.is_punct(s - 1, ",،;؛:") {
            s -= 1;
        }
        s
    }

    /// Drops trailing punctuation and closing quotation marks from a claim.
    fn trim_end(&self, start: usize, mut end: usize) -> usize {
        while end > start && self.t.toks[end - 1].kind == TokenKind::Punct && !self.is_open_quote(end - 1) {
            // Keep a closing quote whose opening is inside the claim.
            if let Some(q) = self.layout.closed_at(end - 1) {
                if q.open >= start {
                    break;
                }
            }
            end -= 1;
        }
        end
    }

    /// Skips dates, adverbs and prepositional context between the actor and the claim.
    fn skip_adverbials(&self, mut k: usize, end: usize) -> usize {
        loop {
            if k >= end {
                return k;
            }
            if self.is_punct(k, ",،") {
                k += 1;
                continue;
            }
            if let Some(d) = self.date(k) {
                k = d.end.max(k + 1);
                continue;
            }
            if let Some(e) = self.skippable(k) {
                k = e;
                continue;
            }
            return k;
        }
    }

    /// A quotation, that-clause or colon starting the claim within reach of `k`.
    fn complement(&self, k: usize, s: &Sentence, clause_end: usize) -> Option<(usize, usize, bool)> {
        let limit = (k + MAX_COMPLEMENT_GAP).min(s.end);
        let mut i = k;
        let mut short_quote: Option<(usize, usize, bool)> = None;
        while i < limit {
            if i > k && self.cue_at(i).is_some() && !self.layout.in_quote(i) {
                break;
            }
            if self.is_open_quote(i) {
                if let Some((o, c, closed)) = self.quote_opened_at(i) {
                    let inner_len = c.saturating_sub(o + 1);
                    if inner_len <= 3 && closed {
                        // A name or title in quotation marks («قناة "الجزيرة"»), not the claim.
                        short_quote.get_or_insert((o + 1, c, true));
                        i = c + 1;
                        continue;
                    }
                    let end = if closed { c } else { self.trim_end(o + 1, c.min(s.end.max(c))) };
                    return Some((o + 1, end, true));
                }
            }
            if self.is_punct(i, ":") {
                let mut j = i + 1;
                if j < s.end && self.is_open_quote(j) {
                    if let Some((o, c, closed)) = self.quote_opened_at(j) {
                        let end = if closed { c } else { self.trim_end(o + 1, c) };
                        return Some((o + 1, end, true));
                    }
                }
                while j < s.end && self.t.toks[j].kind == TokenKind::Punct {
                    j += 1;
                }
                let end = self.trim_end(j, s.end);
                return (end > j).then_some((j, end, false));
            }
            if self.is_complementizer(i).is_some() {
                let end = self.trim_end(i, clause_end);
                return (end > i + 1).then_some((i, end, false));
            }
            i += 1;
        }
        let _ = short_quote;
        None
    }

    /// For a cue after its claim ("..., Lavrov said." / "\"...,\" he said"):
    /// the claim before the subject.
    fn claim_before_cue(&self, cs: usize, s: &Sentence) -> Option<(usize, usize, bool)> {
        // Find the comma or closing quote that ends the claim, at most a short phrase before the cue.
        let lo = cs.saturating_sub(MAX_NP + 2).max(s.start);
        let mut i = cs;
        while i > lo {
            i -= 1;
            let tok = &self.t.toks[i];
            if tok.kind == TokenKind::Punct {
                if let Some(q) = self.layout.closed_at(i) {
                    if q.open >= s.start || self.layout.quote_at(s.start).is_some() {
                        return Some((q.open + 1, self.trim_end(q.open + 1, q.close), true));
                    }
                }
                if self.is_punct(i, ",،") {
                    // "..., the minister said" / "“...,” said X"
                    if let Some(q) = (i > s.start).then(|| self.layout.closed_at(i - 1)).flatten() {
                        return Some((q.open + 1, q.close, true));
                    }
                    let end = self.trim_end(s.start, i);
                    return (end > s.start + 2).then_some((s.start, end, false));
                }
                if !matches!(self.norm(i), "-" | "'s" | "." | "'") {
                    return None;
                }
            } else if self.stop_word(i) && self.ent(i).is_none_or(|m| m.start >= i) {
                return None;
            }
        }
        None
    }

    /// The subject before a cue: skips auxiliaries and adverbs, handles an
    /// appositive between commas, and stops at clause boundaries.
    fn subject_before(&self, cs: usize, s: &Sentence) -> Option<(usize, usize)> {
        let mut end = cs;
        // Skip "has", "also", "reportedly", dates ("Lavrov on Monday said").
        loop {
            if end <= s.start {
                return None;
            }
            if let Some(d) = self.date(end - 1) {
                end = d.start.max(s.start);
                continue;
            }
            if let Some(st) = self.phrase_ending(&self.res.words.skippable, end, s.start) {
                end = st;
                continue;
            }
            if self.english_adverb(end - 1) {
                end -= 1;
                continue;
            }
            if let Some(st) = self.phrase_ending(&self.res.words.pluperfect, end, s.start) {
                end = st;
                continue;
            }
            break;
        }
        if end <= s.start {
            return None;
        }
        // «من جانبه، قال», "For his part, he said": the speaker is carried.
        let before_comma = if self.is_punct(end - 1, ",،") { end - 1 } else { end };
        if self.phrase_ending(&self.res.words.carry, before_comma, s.start).is_some() {
            return None;
        }
        if self.t.toks[cs].script == Script::Arabic {
            return self.arabic_subject_before(end, s);
        }
        // An appositive: "Abbas Kadhim, a senior fellow at SAIS, said" / «أما الوزير، عادل الجبير، قال».
        // A closing quotation mark after the comma: 'appearing on ABC's "This Week,"'.
        let comma_at = if self.is_punct(end - 1, ",،") {
            Some(end - 1)
        } else if end >= 2 && self.is_punct(end - 2, ",،") && self.layout.closed_at(end - 1).is_some() {
            Some(end - 2)
        } else {
            None
        };
        if let Some(comma2) = comma_at {
            let mut j = comma2;
            let lo = comma2.saturating_sub(16).max(s.start);
            while j > lo && (self.layout.in_quote(j - 1) || !self.is_punct(j - 1, ",،")) {
                j -= 1;
            }
            if j > s.start && self.is_punct(j - 1, ",،") && comma2 > j {
                let inner = (j, comma2);
                if let Some((a, b)) = self.np_back(j - 1, s.start) {
                    // The segment may describe the subject ("a senior fellow at SAIS",
                    // "interviewed on Fox News"), but holds no statement of its own.
                    let named = self.has_entity(a, b) || (a..b).any(|x| self.t.toks[x].capitalised);
                    let inner_ok = (inner.0..inner.1).all(|x| {
                        (named || !self.layout.in_quote(x))
                            && (self.layout.in_quote(x) || self.cue_at(x).is_none())
                            && self.is_complementizer(x).is_none()
                    });
                    if inner_ok && named {
                        return Some((self.after_topic_marker(a, j - 1), j - 1));
                    }
                }
            }
            return None;
        }
        let (a, b) = self.np_back(end, s.start)?;
        Some((self.after_topic_marker(a, b), b))
    }

    /// Arabic puts the subject first only at the head of a sentence, usually
    /// after a topic marker: «أما وزير الخارجية السعودي، عادل الجبير، قال».
    fn arabic_subject_before(&self, end: usize, s: &Sentence) -> Option<(usize, usize)> {
        let mut start = s.start;
        while start < end && self.t.toks[start].kind == TokenKind::Punct {
            start += 1;
        }
        if start >= end {
            return None;
        }
        let b = if self.is_punct(end - 1, ",،") { end - 1 } else { end };
        if b <= start || b - start > MAX_NP + 4 {
            return None;
        }
        let a = self.after_topic_marker(start, b);
        let ok = (a..b).all(|i| (self.np_token(i) || self.is_punct(i, ",،")) && !self.layout.in_quote(i));
        if ok && self.has_entity(a, b) {
            return Some((a, b));
        }
        // Mid-sentence, after «إلا أن», «لكن», «فيما»: «إلا أن وزارة الخارجية الأميركية أكدت».
        let (a, b) = self.np_back(end, s.start)?;
        let opened = a == s.start || self.stop_word(a - 1) || self.is_punct(a - 1, ",،");
        (opened && self.has_entity(a, b) && b == end).then_some((a, b))
    }

    /// «أما»-style topic markers are not part of the subject.
    fn after_topic_marker(&self, a: usize, b: usize) -> usize {
        if a + 1 < b && (self.norm(a) == "اما" || self.norm(a) == "as" && self.norm(a + 1) == "for") {
            return if self.norm(a) == "as" { a + 2 } else { a + 1 };
        }
        a
    }

    /// Whether a cue continues the previous statement of its sentence
    /// ("said ... and added", «قال ... وأضاف»).
    fn joined_to_previous(&self, cs: usize, s: &Sentence) -> bool {
        cs > s.start && (self.joins_clauses(cs - 1) || self.cue_at(cs).is_some_and(|c| c.clitic))
    }

    /// An object phrase at `k`: an entity (country, person, org, regime word) or a short noun phrase.
    fn object_at(&self, k: usize, end: usize) -> Option<(usize, usize)> {
        if k >= end {
            return None;
        }
        if let Some(m) = self.ent(k) {
            if m.start == k {
                let mut e = m.end;
                // A title with its qualifier and name: «وزير الخارجية الأمريكي جون كيري».
                if matches!(m.value, Hit::Role(_)) {
                    while let Some(n) = self.ent(e).filter(|n| n.start == e && n.end <= end) {
                        if !matches!(n.value, Hit::Country(_, CountryForm::Adjective) | Hit::Person(_) | Hit::Org(_)) {
                            break;
                        }
                        e = n.end;
                    }
                }
                // "Russia and Iran", «روسيا وإيران»
                while e < end {
                    if self.norm(e) == "and" {
                        if let Some(n) = self.ent(e + 1).filter(|n| n.start == e + 1) {
                            e = n.end;
                            continue;
                        }
                    }
                    if let Some(n) = self.ent(e).filter(|n| n.start == e && n.clitic && self.norm(e).starts_with('و'))
                    {
                        e = n.end;
                        continue;
                    }
                    break;
                }
                return Some((k, e));
            }
        }
        if let Some(e) = self.phrase_end(&self.res.words.regime, k) {
            return Some((k, e));
        }
        None
    }
}

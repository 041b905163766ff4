//! Clauses and claims: where a clause ends, what opens the next one, and the
//! extent of a claim (a quotation, a that-clause, the text after a colon, the
//! text before a sentence-final cue, or the rest of the clause).

use super::{MAX_CLAIM, MAX_COMPLEMENT_GAP, MAX_NP};
use crate::extract::doc::Doc;
use crate::extract::segment::Sentence;
use crate::extract::text::{Script, TokenKind};

impl Doc<'_> {
    pub(super) fn is_open_quote(&self, i: usize) -> bool {
        self.layout.quote_at(i + 1).is_some_and(|q| q.open == i)
    }

    /// Closing quotation mark of the quotation opened at `i`.
    pub(super) fn quote_opened_at(&self, i: usize) -> Option<(usize, usize, bool)> {
        self.layout.opened_at(i).map(|q| (q.open, q.close, q.closed))
    }

    /// The token where the clause of a cue ends: the sentence end, or the next
    /// statement joined by a comma or "and" («، مضيفاً», ", adding").
    pub(super) fn clause_end(&self, from: usize, end: usize) -> usize {
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
                                // "even though" joins as "though" does.
                                let even = self.norm(a - 2) == "even" && matches!(self.norm(a - 1), "though" | "if");
                                return if even { a - 2 } else { a - 1 };
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
    pub(super) fn starts_clause(&self, k: usize) -> bool {
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

    /// A comma, "and", "while", "though", «فيما», «بينما»: what joins a second statement to the first.
    pub(super) fn joins_clauses(&self, i: usize) -> bool {
        self.is_punct(i, ",،;؛")
            || matches!(
                self.norm(i),
                "and"
                    | "while"
                    | "whereas"
                    | "but"
                    | "though"
                    | "although"
                    | "فيما"
                    | "بينما"
                    | "كما"
                    | "وفيما"
                    | "وبينما"
                    | "حين"
            )
    }

    /// Start of the clause holding token `i`: after the last comma or sentence start.
    pub(super) fn clause_start(&self, i: usize, floor: usize) -> usize {
        let mut s = i;
        while s > floor && !self.is_punct(s - 1, ",،;؛:") {
            s -= 1;
        }
        s
    }

    /// Drops trailing punctuation and closing quotation marks from a claim.
    pub(super) fn trim_end(&self, start: usize, mut end: usize) -> usize {
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
    pub(super) fn skip_adverbials(&self, mut k: usize, end: usize) -> usize {
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
    pub(super) fn complement(&self, k: usize, s: &Sentence, clause_end: usize) -> Option<(usize, usize, bool)> {
        // "said he would not certify the deal, despite a finding that…": a clause
        // opened by a subject pronoun is the claim (an English complement without
        // "that"); a "that" further on belongs to a noun inside it.
        if self.t.toks.get(k).is_some_and(|t| t.script == Script::Latin)
            && matches!(self.norm(k), "he" | "she" | "they" | "we" | "i")
            && !self.layout.in_quote(k)
        {
            return None;
        }
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
    pub(super) fn claim_before_cue(&self, cs: usize, s: &Sentence) -> Option<(usize, usize, bool)> {
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
}

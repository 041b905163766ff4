//! Noun phrases around a cue: the subject before it (English `Lavrov said`,
//! Arabic topic «أما الجبير، قال»), the phrase after it (verb-first Arabic,
//! inverted English), appositives, and the object of an object cue.

use super::MAX_NP;
use crate::extract::doc::Doc;
use crate::extract::resources::{CountryForm, Hit};
use crate::extract::segment::Sentence;
use crate::extract::text::{Script, TokenKind};

impl Doc<'_> {
    pub(super) fn stop_word(&self, i: usize) -> bool {
        self.phrase_end(&self.res.words.np_stop, i).is_some()
    }

    pub(super) fn skippable(&self, i: usize) -> Option<usize> {
        self.phrase_end(&self.res.words.skippable, i).or_else(|| self.english_adverb(i).then_some(i + 1))
    }

    /// English adverbs in -ly ("extensively", "sharply") sit between a subject and its cue.
    pub(super) fn english_adverb(&self, i: usize) -> bool {
        let tok = &self.t.toks[i];
        tok.script == Script::Latin
            && !tok.capitalised
            && self.norm(i).len() > 4
            && self.norm(i).ends_with("ly")
            && self.ent(i).is_none()
    }

    /// A token that may sit inside a noun phrase.
    pub(super) fn np_token(&self, i: usize) -> bool {
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
    pub(super) fn np_back(&self, end: usize, floor: usize) -> Option<(usize, usize)> {
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
    pub(super) fn np_forward(&self, start: usize, limit: usize) -> Option<(usize, usize)> {
        let mut e = start;
        let mut complete = false;
        while e < limit && e - start < MAX_NP {
            if let Some(m) = self.ent(e) {
                if m.start == e && m.end <= limit {
                    // Verb-subject-object: once the subject has its head (a name, an
                    // organisation, a country), a new title or name is the object:
                    // «أبلغت دول الخليج وزير الخارجية الأمريكي جون كيري».
                    let head = matches!(
                        m.value,
                        Hit::Person(_)
                            | Hit::Org(_)
                            | Hit::Body(_)
                            | Hit::Country(_, CountryForm::Name | CountryForm::Capital | CountryForm::Government)
                    );
                    if complete && (head || matches!(m.value, Hit::Role(_))) {
                        // «وقال كيري ولافروف»: a second name joined by و is a listed subject.
                        if head && m.clitic && self.norm(e).starts_with('و') {
                            e = m.end;
                            continue;
                        }
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
            // «رفضت الحكومة السورية الاقتراح الفرنسي»: after a complete subject, a new
            // definite noun is not in construct with it (a construct's first noun has no
            // article): it opens the object, as a quantifier does («جميع الأطراف»).
            if complete
                && self.t.toks[e].script == Script::Arabic
                && (self.norm(e).starts_with("ال") || matches!(self.norm(e), "جميع" | "كل" | "كافة"))
            {
                break;
            }
            e += 1;
        }
        while e > start && self.t.toks[e - 1].kind == TokenKind::Punct {
            e -= 1;
        }
        (e > start).then_some((start, e))
    }

    pub(super) fn has_person(&self, a: usize, b: usize) -> bool {
        (a..b).any(|i| matches!(self.ent(i).map(|m| m.value), Some(Hit::Person(_))))
    }

    /// An English subject extended left over the speakers listed before it:
    /// "Kerry, Lavrov and Zarif said" finds "Zarif" first.
    pub(super) fn listed_back(&self, a: usize, b: usize, floor: usize) -> (usize, usize) {
        let mut a = a;
        while a > floor + 1 && (self.norm(a - 1) == "and" || self.is_punct(a - 1, ",")) {
            let Some((x, _)) = self.np_back(a - 1, floor) else { break };
            let named = (x..a - 1).any(|k| {
                self.ent(k).is_some_and(|m| {
                    matches!(m.value, Hit::Person(_) | Hit::Org(_) | Hit::Role(_) | Hit::Country(_, CountryForm::Name))
                })
            });
            if !named {
                break;
            }
            a = x;
        }
        (a, b)
    }

    /// Speakers listed one by one ("Kerry and Lavrov said", «وقال كيري ولافروف»):
    /// the parts of the actor phrase `a..b` split at "and" or a conjunction «و»
    /// on a name, when every part names someone on its own (a person, an
    /// organisation, a country by name, a title), two or three of them.
    /// Adjectives ("the Russian and Iranian ministers") and names that hold "and"
    /// ("Trinidad and Tobago") stay whole.
    pub fn listed_speakers(&self, a: usize, b: usize) -> Vec<(usize, usize)> {
        let mut parts = Vec::new();
        let mut start = a;
        let mut i = a;
        while i < b {
            if let Some(m) = self.ent(i).filter(|m| m.start == i) {
                // «ولافروف»: the conjunction is the name's clitic.
                if m.clitic && i > start && self.t.toks[i].script == Script::Arabic && self.norm(i).starts_with('و') {
                    parts.push((start, i));
                    start = i;
                }
                i = m.end.max(i + 1);
                continue;
            }
            if (self.norm(i) == "and" || self.norm(i) == "و") && i > start {
                parts.push((start, i));
                start = i + 1;
            } else if self.is_punct(i, ",،") && i > start && (i + 1..b).any(|j| self.norm(j) == "and") {
                // "Kerry, Lavrov and Zarif"
                parts.push((start, i));
                start = i + 1;
            }
            i += 1;
        }
        parts.push((start, b));
        let names_someone = |&(x, y): &(usize, usize)| {
            y > x
                && (x..y).any(|k| {
                    self.ent(k).is_some_and(|m| {
                        matches!(
                            m.value,
                            Hit::Person(_) | Hit::Org(_) | Hit::Role(_) | Hit::Country(_, CountryForm::Name)
                        )
                    })
                })
        };
        // More than three names is a coalition speaking together ("Britain, France, Germany,
        // Russia, China and the EU cited concerns"): one collective statement, not seven.
        if parts.len() < 2 || parts.len() > 3 || !parts.iter().all(names_someone) {
            return vec![(a, b)];
        }
        parts
    }

    pub(super) fn has_entity(&self, a: usize, b: usize) -> bool {
        (a..b).any(|i| self.ent(i).is_some())
    }

    /// A short comma-delimited segment that can stand beside a noun phrase:
    /// a name after a title («وزير الخارجية، جون كيري») or a title after a name.
    pub(super) fn appositive_forward(&self, comma: usize, limit: usize) -> Option<(usize, usize)> {
        if !self.is_punct(comma, ",،") {
            return None;
        }
        let (a, b) = self.np_forward(comma + 1, limit)?;
        (b - a <= 5 && self.date(a).is_none()).then_some((a, b))
    }

    /// The subject of a second coordinated verb: "McConnell was quick to embrace
    /// the mogul and said this week that…" — the cue follows "and" (adverbs and
    /// auxiliaries skipped) and the sentence opens with a named subject before
    /// its first verb. English only; Arabic carries the speaker instead.
    pub(super) fn coordinated_subject(&self, cs: usize, s: &Sentence) -> Option<(usize, usize)> {
        let mut end = cs;
        while end > s.start {
            if let Some(st) = self.phrase_ending(&self.res.words.skippable, end, s.start) {
                end = st;
            } else if self.english_adverb(end - 1) {
                end -= 1;
            } else {
                break;
            }
        }
        if end <= s.start + 2 || self.norm(end - 1) != "and" {
            return None;
        }
        // The subject opening the sentence: a pronoun, or a run of names and titles
        // ("Senate Majority Leader Mitch McConnell", "The Kremlin"), then a lowercase verb.
        let a = s.start;
        let b = if let Some(m) = self.phrase(&self.res.words.pronoun, a).filter(|m| m.end == a + 1) {
            m.end
        } else {
            let mut b = a;
            while b < end - 1 {
                if let Some(m) = self.ent(b).filter(|m| m.start == b && m.end < end) {
                    b = m.end;
                } else if self.t.toks[b].capitalised || (b == a && self.norm(b) == "the") {
                    b += 1;
                } else {
                    break;
                }
            }
            b
        };
        let named = b > a
            && (self.has_entity(a, b)
                || (a..b).any(|x| {
                    self.t.toks[x].capitalised
                        && (x > a
                            || !matches!(
                                self.norm(x),
                                "the"
                                    | "a"
                                    | "an"
                                    | "this"
                                    | "that"
                                    | "it"
                                    | "there"
                                    | "but"
                                    | "and"
                                    | "in"
                                    | "on"
                                    | "at"
                                    | "as"
                                    | "after"
                                    | "when"
                                    | "while"
                                    | "if"
                                    | "so"
                            ))
                })
                || self.phrase(&self.res.words.pronoun, a).is_some_and(|m| m.end == b));
        let verb_next =
            b < end - 1 && self.t.toks[b].script == Script::Latin && !self.t.toks[b].capitalised && self.is_word(b);
        let plain = (b..end - 1).all(|x| {
            !self.layout.in_quote(x)
                && !self.is_punct(x, ",;:\"“”")
                && self.is_complementizer(x).is_none()
                && self.cue_at(x).is_none()
        });
        (named && verb_next && plain && b + 1 < end - 1).then_some((a, b))
    }

    /// The subject before a cue: skips auxiliaries and adverbs, handles an
    /// appositive between commas, and stops at clause boundaries.
    pub(super) fn subject_before(&self, cs: usize, s: &Sentence) -> Option<(usize, usize)> {
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
                    // A relative clause ("Trump, who has vowed to…, said") describes the subject;
                    // a cue in it is a statement of its own, read by its own cue.
                    let relative = matches!(self.norm(inner.0), "who" | "whose" | "which");
                    let inner_ok = relative
                        || (inner.0..inner.1).all(|x| {
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
    pub(super) fn arabic_subject_before(&self, end: usize, s: &Sentence) -> Option<(usize, usize)> {
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
    pub(super) fn after_topic_marker(&self, a: usize, b: usize) -> usize {
        if a + 1 < b && (self.norm(a) == "اما" || self.norm(a) == "as" && self.norm(a + 1) == "for") {
            return if self.norm(a) == "as" { a + 2 } else { a + 1 };
        }
        a
    }

    /// Whether a cue continues the previous statement of its sentence
    /// ("said ... and added", «قال ... وأضاف»).
    pub(super) fn joined_to_previous(&self, cs: usize, s: &Sentence) -> bool {
        cs > s.start && (self.joins_clauses(cs - 1) || self.cue_at(cs).is_some_and(|c| c.clitic))
    }

    /// An object phrase at `k`: an entity (country, person, org, regime word) or a short noun phrase.
    pub(super) fn object_at(&self, k: usize, end: usize) -> Option<(usize, usize)> {
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

//! Multi-word phrase lookup over normalised tokens.
//!
//! Every lexicon and gazetteer entry becomes a token sequence keyed by its
//! first token, so scanning a field costs a few hash lookups per token
//! whatever the size of the dictionaries. Arabic proclitics (و ف ب ل ك and
//! their combinations with the article) are tried on the first token only:
//! «وبالولايات المتحدة» finds «الولايات المتحدة».

use rustc_hash::FxHashMap as HashMap;

use super::text::{tokenize, Script, TokenKind, Tokens};

#[derive(Debug, Clone)]
struct Entry<T> {
    rest: Box<[Box<str>]>,
    value: T,
    /// Written as an acronym in capitals (US, UN, EU): the text must be in capitals too,
    /// or "us" the pronoun would be the United States.
    acronym: bool,
    /// Written with a capital (a proper name): in Latin script the text must be capitalised.
    proper: bool,
}

/// A phrase found in a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<T> {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    pub value: T,
    /// The first token carried a proclitic that was stripped to match.
    pub clitic: bool,
}

#[derive(Debug, Clone)]
pub struct PhraseMatcher<T> {
    by_first: HashMap<Box<str>, Vec<Entry<T>>>,
    len: usize,
    /// Strip only the conjunctions و and ف: verbs take no prepositions, and
    /// «كيري» must not be read as ك + «يري» (sees).
    conjunctions_only: bool,
}

impl<T> Default for PhraseMatcher<T> {
    fn default() -> Self {
        PhraseMatcher { by_first: HashMap::default(), len: 0, conjunctions_only: false }
    }
}

impl<T> PhraseMatcher<T> {
    /// A matcher for verbs and particles: only و / ف are stripped.
    pub fn for_verbs() -> Self {
        PhraseMatcher { by_first: HashMap::default(), len: 0, conjunctions_only: true }
    }
}

impl<T: Copy> PhraseMatcher<T> {
    /// Adds a phrase as written in a data file. Empty phrases are ignored.
    pub fn insert(&mut self, phrase: &str, value: T) {
        // "The Times" is written "the Times" mid-sentence: the name without its article matches too.
        if let Some(rest) = phrase.strip_prefix("The ") {
            if rest.starts_with(char::is_uppercase) {
                self.insert_one(rest, value);
            }
        }
        self.insert_one(phrase, value);
    }

    fn insert_one(&mut self, phrase: &str, value: T) {
        let toks = tokenize(phrase);
        if toks.is_empty() {
            return;
        }
        let first: Box<str> = toks.norm(0).into();
        let rest: Box<[Box<str>]> = (1..toks.len()).map(|i| Box::from(toks.norm(i))).collect();
        let trimmed = phrase.trim();
        let letters: Vec<char> = trimmed.chars().filter(|c| c.is_alphabetic()).collect();
        let acronym = letters.len() >= 2
            && letters.len() <= 5
            && letters.iter().all(|c| c.is_ascii_uppercase())
            && !trimmed.contains(' ');
        let proper = trimmed.chars().next().is_some_and(|c| c.is_uppercase());
        let list = self.by_first.entry(first).or_default();
        // Several entries may share a phrase (a name used by two people): keep all.
        list.push(Entry { rest, value, acronym, proper });
        list.sort_by(|a, b| a.rest.cmp(&b.rest));
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All phrases starting at token `i`, appended to `out`.
    pub fn matches_at(&self, text: &str, t: &Tokens, i: usize, out: &mut Vec<Match<T>>) {
        self.each_at(text, t, i, &mut |m| out.push(m));
    }

    /// The longest phrase starting at token `i`, without allocating.
    pub fn longest_at(&self, text: &str, t: &Tokens, i: usize) -> Option<Match<T>> {
        let mut best: Option<Match<T>> = None;
        self.each_at(text, t, i, &mut |m| {
            if best.is_none_or(|b| m.end > b.end) {
                best = Some(m);
            }
        });
        best
    }

    /// Calls `f` for every phrase starting at token `i`.
    pub fn matches_at_each(&self, text: &str, t: &Tokens, i: usize, f: &mut impl FnMut(Match<T>)) {
        self.each_at(text, t, i, f)
    }

    fn each_at(&self, text: &str, t: &Tokens, i: usize, f: &mut impl FnMut(Match<T>)) {
        let tok = &t.toks[i];
        if tok.kind == TokenKind::Punct && t.norm(i).len() > 1 {
            return;
        }
        let word = t.norm(i);
        self.try_first(text, t, i, word, false, f);
        if tok.script == Script::Arabic && self.conjunctions_only {
            for p in ['و', 'ف'] {
                if let Some(stem) = word.strip_prefix(p).filter(|r| r.chars().nth(1).is_some()) {
                    self.try_first(text, t, i, stem, true, f);
                }
            }
        } else if tok.script == Script::Arabic {
            for stem in t.stems(i) {
                self.try_first(text, t, i, stem, true, f);
            }
            // لل = ل + ال with the alef written once: للأمم المتحدة.
            if let Some(rest) = word.strip_prefix("لل") {
                if rest.chars().nth(1).is_some() {
                    let mut s = String::with_capacity(rest.len() + 4);
                    s.push_str("ال");
                    s.push_str(rest);
                    self.try_first(text, t, i, &s, true, f);
                }
            }
        }
    }

    /// Entries are sorted by the words after the first, so only those whose
    /// second word is the next token are compared: a common first word
    /// ("the", «وزير») costs two binary searches, not a walk of its list.
    fn try_first(&self, text: &str, t: &Tokens, i: usize, first: &str, clitic: bool, f: &mut impl FnMut(Match<T>)) {
        let Some(list) = self.by_first.get(first) else {
            return;
        };
        let tok = &t.toks[i];
        let singles = list.partition_point(|e| e.rest.is_empty());
        let next = (i + 1 < t.len() && !t.toks[i + 1].newline_before).then(|| t.norm(i + 1));
        let multi = match next {
            Some(nx) => {
                let lo = list.partition_point(|e| e.rest.is_empty() || &*e.rest[0] < nx);
                let hi = list.partition_point(|e| e.rest.is_empty() || &*e.rest[0] <= nx);
                &list[lo..hi]
            }
            None => &list[..0],
        };
        for e in list[..singles].iter().chain(multi) {
            if e.acronym && !clitic && text[tok.start..tok.end].chars().any(|c| c.is_lowercase()) {
                continue;
            }
            if e.proper && tok.script == Script::Latin && !tok.capitalised {
                continue;
            }
            let n = e.rest.len();
            let ok = e.rest.iter().enumerate().skip(1).all(|(k, w)| {
                let j = i + 1 + k;
                j < t.len() && t.norm(j) == &**w && !t.toks[j].newline_before
            });
            if ok {
                f(Match { start: i, end: i + 1 + n, value: e.value, clitic });
            }
        }
    }

    /// Scans a whole token range and keeps, at each position, the longest
    /// matches; overlapping shorter matches inside a longer one are dropped.
    pub fn scan(&self, text: &str, t: &Tokens, from: usize, to: usize) -> Vec<Match<T>> {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        let mut covered_to = from;
        for i in from..to {
            buf.clear();
            self.matches_at(text, t, i, &mut buf);
            if buf.is_empty() {
                continue;
            }
            let best = buf.iter().map(|m| m.end).max().unwrap_or(i);
            if i < covered_to && best <= covered_to {
                continue;
            }
            for m in buf.iter().filter(|m| m.end == best && m.end <= to) {
                all.push(*m);
            }
            covered_to = covered_to.max(best);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_match_with_clitics_and_case_rules() {
        let mut m = PhraseMatcher::default();
        m.insert("الولايات المتحدة", 1);
        m.insert("US", 2);
        m.insert("Jordan", 3);
        m.insert("call on", 4);
        let text = "قال وبالولايات المتحدة. He told us the US would call on Jordan, not jordan.";
        let t = tokenize(text);
        let found: Vec<i32> = m.scan(text, &t, 0, t.len()).iter().map(|x| x.value).collect();
        assert_eq!(found, vec![1, 2, 4, 3]);
    }
}

//! One field prepared for attribution: tokens, layout, and every lexicon,
//! gazetteer and date match indexed by token, computed once.

use chrono::NaiveDate;

use super::boilerplate;
use super::dates::{self, DateExpr};
use super::matcher::{Match, PhraseMatcher};
use super::resources::{Hit, Resources};
use super::segment::{layout, Layout};
use super::text::{tokenize, TokenKind, Tokens};

pub struct Doc<'a> {
    pub text: &'a str,
    pub t: Tokens,
    pub layout: Layout,
    pub res: &'a Resources,
    pub ents: Vec<Match<Hit>>,
    /// Per token: 1 + index into `ents` of the match covering it, or 0.
    ent_cover: Vec<u32>,
    pub cues: Vec<Match<u32>>,
    /// Per token: 1 + index into `cues` of the cue starting there, or 0.
    cue_start: Vec<u32>,
    pub dates: Vec<DateExpr>,
    /// Per token: 1 + index into `dates` of the date covering it, or 0.
    date_cover: Vec<u32>,
    pub negative: Vec<bool>,
}

impl<'a> Doc<'a> {
    pub fn new(res: &'a Resources, text: &'a str, published: Option<NaiveDate>) -> Doc<'a> {
        let t = tokenize(text);
        let layout = layout(&t);
        let n = t.len();
        let ents = res.entities.scan(text, &t, 0, n);
        let mut ent_cover = vec![0u32; n];
        for (k, m) in ents.iter().enumerate() {
            for c in ent_cover.iter_mut().take(m.end).skip(m.start) {
                if *c == 0 {
                    *c = k as u32 + 1;
                }
            }
        }
        let cues = res.cues.scan(text, &t, 0, n);
        let mut cue_start = vec![0u32; n];
        for (k, m) in cues.iter().enumerate() {
            if cue_start[m.start] == 0 {
                cue_start[m.start] = k as u32 + 1;
            }
        }
        let dates = dates::find(res, text, &t, 0, n, published);
        let mut date_cover = vec![0u32; n];
        for (k, d) in dates.iter().enumerate() {
            for c in date_cover.iter_mut().take(d.end).skip(d.start) {
                *c = k as u32 + 1;
            }
        }
        let negative = boilerplate::mark(res, text, &t, &layout);
        Doc { text, t, layout, res, ents, ent_cover, cues, cue_start, dates, date_cover, negative }
    }

    /// The dates starting inside `[a, b)`, in order.
    pub fn dates_in(&self, a: usize, b: usize) -> &[DateExpr] {
        let lo = self.dates.partition_point(|x| x.start < a);
        let hi = self.dates.partition_point(|x| x.start < b);
        &self.dates[lo..hi]
    }

    /// The cues starting inside `[a, b)`, in order.
    pub fn cues_in(&self, a: usize, b: usize) -> &[Match<u32>] {
        let lo = self.cues.partition_point(|x| x.start < a);
        let hi = self.cues.partition_point(|x| x.start < b);
        &self.cues[lo..hi]
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn norm(&self, i: usize) -> &str {
        self.t.norm(i)
    }

    pub fn is_word(&self, i: usize) -> bool {
        i < self.len() && self.t.toks[i].kind != TokenKind::Punct
    }

    pub fn is_punct(&self, i: usize, chars: &str) -> bool {
        self.t.is_punct(i, chars)
    }

    /// The entity match covering token `i`.
    pub fn ent(&self, i: usize) -> Option<&Match<Hit>> {
        match self.ent_cover.get(i) {
            Some(&k) if k > 0 => Some(&self.ents[k as usize - 1]),
            _ => None,
        }
    }

    /// The cue match starting at token `i`.
    pub fn cue_at(&self, i: usize) -> Option<&Match<u32>> {
        match self.cue_start.get(i) {
            Some(&k) if k > 0 => Some(&self.cues[k as usize - 1]),
            _ => None,
        }
    }

    pub fn date(&self, i: usize) -> Option<&DateExpr> {
        match self.date_cover.get(i) {
            Some(&k) if k > 0 => Some(&self.dates[k as usize - 1]),
            _ => None,
        }
    }

    /// End of the longest phrase of `m` starting at token `i`.
    pub fn phrase_end<T: Copy>(&self, m: &PhraseMatcher<T>, i: usize) -> Option<usize> {
        if i >= self.len() {
            return None;
        }
        m.longest_at(self.text, &self.t, i).map(|x| x.end)
    }

    /// The phrase of `m` starting at `i`, with its value.
    pub fn phrase<T: Copy>(&self, m: &PhraseMatcher<T>, i: usize) -> Option<Match<T>> {
        if i >= self.len() {
            return None;
        }
        m.longest_at(self.text, &self.t, i)
    }

    /// A phrase of `m` ending exactly at `end` (exclusive), searching back a few tokens.
    pub fn phrase_ending<T: Copy>(&self, m: &PhraseMatcher<T>, end: usize, floor: usize) -> Option<usize> {
        let lo = end.saturating_sub(4).max(floor);
        (lo..end).rev().find(|&s| {
            let mut hit = false;
            m.matches_at_each(self.text, &self.t, s, &mut |x| hit |= x.end == end);
            hit
        })
    }

    pub fn is_complementizer(&self, i: usize) -> Option<usize> {
        if i >= self.len() {
            return None;
        }
        if let Some(e) = self.phrase_end(&self.res.words.complementizer, i) {
            return Some(e);
        }
        // Arabic أن / إن with a pronoun suffix or the preposition ب: أنه، إنها، بأن، بأنه.
        let w = self.norm(i);
        let w = w.strip_prefix('و').unwrap_or(w);
        let w = w.strip_prefix('ب').unwrap_or(w);
        if let Some(rest) = w.strip_prefix("ان") {
            if matches!(rest, "" | "ه" | "ها" | "هم" | "هما" | "نا" | "ني" | "هن" | "كم") {
                return Some(i + 1);
            }
        }
        None
    }

    /// Byte range of a token range.
    /// Byte range of the token range `[a, b)`; an empty range is empty at `a`.
    pub fn bytes(&self, a: usize, b: usize) -> (usize, usize) {
        if b <= a {
            let at = self.t.toks.get(a).map_or(self.text.len(), |t| t.start);
            return (at, at);
        }
        (self.t.toks[a].start, self.t.toks[b - 1].end)
    }

    pub fn slice(&self, a: usize, b: usize) -> &'a str {
        let (x, y) = self.bytes(a, b);
        &self.text[x..y]
    }
}

//! Paragraphs, quotations and sentences, over tokens.
//!
//! Quotations are found first, per paragraph, for every quotation-mark style
//! in use in Arabic and English news (" “ ” « » „ and the straight quote),
//! because a sentence never ends inside a quotation: a multi-sentence quote
//! is one claim.

use super::text::{TokenKind, Tokens};

/// A quotation: the tokens of its opening and closing marks (the closing one
/// may be absent when the paragraph ends first).
#[derive(Debug, Clone, Copy)]
pub struct Quote {
    pub open: usize,
    /// Index of the closing mark, or the first token after the paragraph when unclosed.
    pub close: usize,
    pub closed: bool,
}

/// A sentence as a half-open token range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
    /// Index of the paragraph (line block) the sentence sits in.
    pub paragraph: usize,
}

/// The layout of one field.
#[derive(Debug, Default)]
pub struct Layout {
    pub quotes: Vec<Quote>,
    /// For each token, the index into `quotes` of the innermost quotation containing it.
    pub quote_of: Vec<Option<u32>>,
    pub sentences: Vec<Sentence>,
    /// Token ranges of paragraphs.
    pub paragraphs: Vec<(usize, usize)>,
    /// Per token: 1 + index of the quotation it opens, or 0.
    opens: Vec<u32>,
    /// Per token: 1 + index of the quotation it closes, or 0.
    closes: Vec<u32>,
}

impl Layout {
    pub fn in_quote(&self, i: usize) -> bool {
        self.quote_of.get(i).is_some_and(|q| q.is_some())
    }
    pub fn quote_at(&self, i: usize) -> Option<&Quote> {
        self.quote_of.get(i).and_then(|q| q.map(|q| &self.quotes[q as usize]))
    }
    /// The quotation whose opening mark is token `i`.
    pub fn opened_at(&self, i: usize) -> Option<&Quote> {
        match self.opens.get(i) {
            Some(&k) if k > 0 => Some(&self.quotes[k as usize - 1]),
            _ => None,
        }
    }
    /// The closed quotation whose closing mark is token `i`.
    pub fn closed_at(&self, i: usize) -> Option<&Quote> {
        match self.closes.get(i) {
            Some(&k) if k > 0 => Some(&self.quotes[k as usize - 1]),
            _ => None,
        }
    }
}

fn is_open_mark(s: &str) -> bool {
    matches!(s, "“" | "«" | "„" | "‹")
}
fn is_close_mark(s: &str) -> bool {
    matches!(s, "”" | "»" | "›")
}

/// Quotations nested deeper than this are taken as text, not as quotations.
const MAX_QUOTE_DEPTH: usize = 3;

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: [&str; 34] = [
    "mr", "mrs", "ms", "dr", "gen", "sen", "rep", "gov", "lt", "col", "st", "jr", "sr", "no", "prof", "sept", "sep",
    "jan", "feb", "aug", "oct", "nov", "dec", "inc", "co", "corp", "vs", "maj", "capt", "adm", "sgt", "pres", "rev",
    "ft",
];

/// Splits a field into paragraphs, quotations and sentences.
pub fn layout(t: &Tokens) -> Layout {
    let n = t.len();
    let mut out = Layout { quote_of: vec![None; n], ..Default::default() };
    // Paragraphs: runs of tokens between line breaks.
    let mut p0 = 0;
    for i in 1..=n {
        if i == n || t.toks[i].newline_before {
            if p0 < i {
                out.paragraphs.push((p0, i));
            }
            p0 = i;
        }
    }
    for (pi, &(a, b)) in out.paragraphs.iter().enumerate() {
        find_quotes(t, a, b, &mut out.quotes, &mut out.quote_of);
        split_sentences(t, a, b, pi, &out.quote_of, &mut out.sentences);
    }
    out.opens = vec![0; n];
    out.closes = vec![0; n];
    for (k, q) in out.quotes.iter().enumerate() {
        out.opens[q.open] = k as u32 + 1;
        if q.closed {
            out.closes[q.close] = k as u32 + 1;
        }
    }
    out
}

fn find_quotes(t: &Tokens, a: usize, b: usize, quotes: &mut Vec<Quote>, quote_of: &mut [Option<u32>]) {
    // A stack of open quotations; the straight quote closes the innermost
    // straight quote if one is open, otherwise opens one.
    let mut stack: Vec<(usize, &str)> = Vec::new();
    let first = quotes.len();
    for i in a..b {
        if t.toks[i].kind != TokenKind::Punct {
            continue;
        }
        let s = t.norm(i);
        if s == "\"" {
            if let Some(pos) = stack.iter().rposition(|(_, m)| *m == "\"") {
                let (o, _) = stack[pos];
                stack.truncate(pos);
                quotes.push(Quote { open: o, close: i, closed: true });
            } else if stack.len() < MAX_QUOTE_DEPTH {
                stack.push((i, "\""));
            }
        } else if is_open_mark(s) && !(s == "“" && stack.last().is_some_and(|(_, m)| *m == "„")) {
            // Deeper nesting is not real quoting; ignoring it keeps the work linear.
            if stack.len() < MAX_QUOTE_DEPTH {
                stack.push((i, s));
            }
        } else if is_close_mark(s) || (s == "“" && stack.last().is_some_and(|(_, m)| *m == "„")) {
            if let Some((o, _)) = stack.pop() {
                quotes.push(Quote { open: o, close: i, closed: true });
            }
        }
    }
    // The outermost unclosed quotation runs to the end of the paragraph; the
    // marks opened inside it are taken as part of its text. A paragraph that
    // opens with an unclosed quotation is the convention for a quote continued
    // in the next paragraph; one opened after the paragraph's first words
    // (`قال كيري: «…`) is a stray mark, and its quotation ends with its first
    // sentence so that one stray mark does not swallow the narrative after it.
    if let Some(&(o, _)) = stack.first() {
        let close = if o > a { stray_quote_end(t, o, b, &quotes[first..]).unwrap_or(b) } else { b };
        quotes.push(Quote { open: o, close, closed: false });
    }
    // Outer quotations first so that inner ones overwrite them.
    quotes[first..].sort_by_key(|q| (q.open, std::cmp::Reverse(q.close)));
    for (qi, q) in quotes.iter().enumerate().skip(first) {
        for slot in quote_of.iter_mut().take(q.close.min(b)).skip(q.open + 1) {
            *slot = Some(qi as u32);
        }
    }
}

/// The first sentence end inside a stray quotation opened at `o` (outside the
/// closed quotations nested in it) that has words after it in the paragraph.
fn stray_quote_end(t: &Tokens, o: usize, b: usize, closed: &[Quote]) -> Option<usize> {
    let last_word = (o..b).rev().find(|&j| t.toks[j].kind == TokenKind::Word)?;
    (o + 2..last_word).find(|&i| {
        is_end_mark(t, i)
            && t.norm(i) != "…"
            && !is_abbreviation(t, i)
            && !closed.iter().any(|q| q.open < i && i < q.close)
    })
}

/// A sentence-final mark: . ! ? ؟ …
fn is_end_mark(t: &Tokens, i: usize) -> bool {
    t.toks[i].kind == TokenKind::Punct && matches!(t.norm(i), "." | "!" | "?" | "؟" | "…")
}

fn split_sentences(
    t: &Tokens,
    a: usize,
    b: usize,
    paragraph: usize,
    quote_of: &[Option<u32>],
    out: &mut Vec<Sentence>,
) {
    let mut s0 = a;
    let mut i = a;
    while i < b {
        let tok = &t.toks[i];
        if is_end_mark(t, i) && quote_of[i].is_none() && !is_abbreviation(t, i) {
            // Keep runs of end marks and closing quotes with the sentence.
            let mut j = i + 1;
            while j < b
                && t.toks[j].kind == TokenKind::Punct
                && (is_end_mark(t, j) || is_close_mark(t.norm(j)) || t.norm(j) == ")")
            {
                j += 1;
            }
            out.push(Sentence { start: s0, end: j, paragraph });
            s0 = j;
            i = j;
            continue;
        }
        // "…in the U.S. He says…": a dotted abbreviation keeps its period, so the sentence
        // ends there only when what follows opens a sentence (a pronoun, an article).
        if tok.kind == TokenKind::Word
            && t.norm(i).ends_with('.')
            && quote_of[i].is_none()
            && i + 1 < b
            && t.toks[i + 1].capitalised
            && SENTENCE_OPENERS.contains(&t.norm(i + 1))
        {
            out.push(Sentence { start: s0, end: i + 1, paragraph });
            s0 = i + 1;
        }
        i += 1;
    }
    if s0 < b {
        out.push(Sentence { start: s0, end: b, paragraph });
    }
}

/// Capitalised words that open a sentence and never continue a name ("U.S. He", not "U.S. President").
const SENTENCE_OPENERS: &[&str] = &[
    "he", "she", "they", "it", "we", "i", "the", "this", "that", "but", "his", "her", "their", "its", "there", "a",
    "an",
];

fn is_abbreviation(t: &Tokens, i: usize) -> bool {
    if t.norm(i) != "." || i == 0 {
        return false;
    }
    let prev = &t.toks[i - 1];
    if prev.end != t.toks[i].start || prev.kind != TokenKind::Word {
        return false;
    }
    let w = t.norm(i - 1);
    // An initial ("John F. Kennedy") or a title ("Mr. Putin").
    (prev.capitalised && w.chars().count() == 1 && w.is_ascii()) || ABBREVIATIONS.contains(&w)
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    fn sentences(text: &str) -> Vec<String> {
        let t = tokenize(text);
        let l = layout(&t);
        l.sentences.iter().map(|s| text[t.toks[s.start].start..t.toks[s.end - 1].end].to_string()).collect()
    }

    #[test]
    fn english_sentences_respect_abbreviations_and_quotes() {
        let s = sentences("Mr. Putin met the U.S. envoy. \"We agree. We hope,\" he said. Done!");
        assert_eq!(s, vec!["Mr. Putin met the U.S. envoy.", "\"We agree. We hope,\" he said.", "Done!"]);
        // A sentence ending on a dotted abbreviation ends there when a pronoun or article follows.
        let s = sentences("He blamed the U.S. He says more. Talks with the U.S. President went on.");
        assert_eq!(s, vec!["He blamed the U.S.", "He says more.", "Talks with the U.S. President went on."]);
    }

    #[test]
    fn arabic_sentences_and_guillemets() {
        let s = sentences("قال لافروف «نحن مستعدون. نعم». وأضاف أن الأمر جيد؟ نعم\nسطر جديد");
        assert_eq!(s, vec!["قال لافروف «نحن مستعدون. نعم».", "وأضاف أن الأمر جيد؟", "نعم", "سطر جديد"]);
    }

    #[test]
    fn unclosed_quote_ends_with_its_paragraph() {
        // A quotation opening its paragraph (a quote continued in the next one);
        // one opened mid-paragraph is a stray mark, tested below.
        let text = "\"this never closes. Really\nNext line.";
        let t = tokenize(text);
        let l = layout(&t);
        assert_eq!(l.quotes.len(), 1);
        assert!(!l.quotes[0].closed);
        assert_eq!(l.sentences.len(), 2);
    }

    #[test]
    fn stray_quote_mid_paragraph_ends_with_its_first_sentence() {
        // Opened after the paragraph's first words and never closed: the
        // narrative after the quoted sentence is not part of the quotation.
        let text = "قال كيري: «نعرف أن الأمر صعب. كما عقد الوزير اجتماعا.";
        let t = tokenize(text);
        let l = layout(&t);
        assert_eq!(l.quotes.len(), 1);
        let q = l.quotes[0];
        assert!(!q.closed);
        assert_eq!(&text[t.toks[q.close - 1].start..t.toks[q.close - 1].end], "صعب");
        assert_eq!(l.sentences.len(), 2);
        // A quotation opening its paragraph is continued quoting: it runs on.
        assert_eq!(sentences("\"We agree. We hope and we wait\nHe said.").len(), 2);
    }
}

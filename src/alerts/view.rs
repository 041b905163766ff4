//! The event as the matcher sees it: names, mentions and the claim in the
//! extractor's normal form ([`crate::extract::text::normalise`]), each made on
//! first use and shared by every criterion and rule that looks at it.

use std::cell::OnceCell;

use crate::event::StatementEvent;
use crate::extract::text::{is_word_char, normalise};

/// An event with the normalised forms of its text, each made on first use
/// and shared by every rule that looks at it.
pub(super) struct EventView<'e> {
    pub(super) event: &'e StatementEvent,
    /// Word forms of the actor's name and mention (empty when there is none).
    actor: OnceCell<(String, String)>,
    /// Word forms of each target's name and mention, in order.
    targets: OnceCell<Vec<(String, String)>>,
    /// Phrase form of the claim text.
    claim: OnceCell<String>,
}

impl<'e> EventView<'e> {
    pub(super) fn new(event: &'e StatementEvent) -> EventView<'e> {
        EventView { event, actor: OnceCell::new(), targets: OnceCell::new(), claim: OnceCell::new() }
    }

    pub(super) fn actor(&self) -> (&str, &str) {
        let (n, m) = self.actor.get_or_init(|| {
            let a = &self.event.actor;
            (word_form(&a.name), a.mention.as_deref().map(word_form).unwrap_or_default())
        });
        (n, m)
    }

    pub(super) fn targets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.targets
            .get_or_init(|| self.event.targets.iter().map(|t| (word_form(&t.name), word_form(&t.mention))).collect())
            .iter()
            .map(|(n, m)| (n.as_str(), m.as_str()))
    }

    pub(super) fn claim(&self) -> &str {
        self.claim.get_or_init(|| phrase_form(&self.event.claim.text))
    }
}

/// The normalised words of `s`, joined by single spaces: the form in which
/// names are compared, so punctuation and spacing never matter.
pub(super) fn word_form(s: &str) -> String {
    let n = normalise(s);
    let mut out = String::with_capacity(n.len());
    for w in n.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// `s` normalised with each run of white space made one space: the form in
/// which keywords are looked for, keeping punctuation ("cease-fire").
pub(super) fn phrase_form(s: &str) -> String {
    let n = normalise(s);
    let mut out = String::with_capacity(n.len());
    for w in n.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// True when the words of `needle` occur in `hay` as whole words (both in word form).
pub(super) fn contains_words(hay: &str, needle: &str) -> bool {
    let b = hay.as_bytes();
    hay.match_indices(needle).any(|(i, _)| {
        let j = i + needle.len();
        (i == 0 || b[i - 1] == b' ') && (j == b.len() || b[j] == b' ')
    })
}

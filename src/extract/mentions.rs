//! Whether an actor phrase the gazetteer does not know is an entity mention.
//!
//! An actor is a name, a role, an organisation, a country or a pronoun; the
//! phrase before or after a cue is sometimes none of these: a particle or an
//! adverb («فقد», «خلاله»), a preposition phrase («بالقول», «للصحفيين»), the
//! verbal noun of the cue's complement («وشدد على ضرورة…»), an indefinite
//! noun ("a phone interview"), or a clause fragment ending in the real
//! subject ("at the time he said"). The lexicons list the words
//! (`not_actor`, `not_actor_prefixes`); this reads a phrase against them.

use super::doc::Doc;
use super::resources::Gender;

/// What an unknown actor phrase turns out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mention {
    /// A mention, trimmed of function words at its end («هشام مروة لـ» → «هشام مروة»).
    Entity(usize, usize),
    /// A pronoun closing a fragment ("the time he"): the pronoun is the subject.
    Pronoun(usize, Gender),
    /// Not an entity at all.
    NotAnActor,
}

/// Reads the unknown actor phrase over tokens `a..b`.
pub(super) fn check(d: &Doc, a: usize, b: usize) -> Mention {
    let mut words: Vec<usize> = (a..b).filter(|&i| d.is_word(i)).collect();
    while words.last().is_some_and(|&i| is_function_word(d, i)) {
        words.pop();
    }
    let (Some(&first), Some(&last)) = (words.first(), words.last()) else {
        return Mention::NotAnActor;
    };
    if words.len() > 1 {
        if let Some(m) = d.phrase(&d.res.words.pronoun, last).filter(|m| m.end == last + 1) {
            return Mention::Pronoun(last, m.value);
        }
    }
    if is_function_word(d, first) {
        return Mention::NotAnActor;
    }
    Mention::Entity(a, last + 1)
}

/// A word that cannot begin or end a name: a listed function word or particle,
/// a phrase-ending word (prepositions, conjunctions), or a preposition prefix.
fn is_function_word(d: &Doc, i: usize) -> bool {
    let w = &d.res.words;
    d.phrase(&w.not_actor, i).is_some_and(|m| m.end == i + 1)
        || d.phrase(&w.np_stop, i).is_some_and(|m| m.end == i + 1)
        || w.not_actor_prefixes.iter().any(|p| d.norm(i).starts_with(p.as_str()) && d.norm(i).len() > p.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::resources::{DataFile, DataFiles, Resources};

    const LEXICONS: [(&str, &str); 2] = [
        (
            "ar.toml",
            r#"
language = "ar"
[words]
pronouns_m = ["هو", "معاليه"]
np_stop = ["في", "خلال"]
not_actor = ["فقد", "خلاله", "ضرورة", "لـ"]
not_actor_prefixes = ["بال", "لل"]
"#,
        ),
        (
            "en.toml",
            r#"
language = "en"
[words]
pronouns_m = ["he"]
np_stop = ["to", "at"]
not_actor = ["a", "an", "especially"]
"#,
        ),
    ];

    fn read(text: &str) -> (Mention, Vec<String>) {
        let files = DataFiles {
            lexicons: LEXICONS.iter().map(|(name, text)| DataFile { name, text }).collect(),
            ..Default::default()
        };
        let res = Resources::build(&files).expect("lexicons load");
        let d = Doc::new(&res, text, None);
        let words = (0..d.len()).map(|i| d.slice(i, i + 1).to_string()).collect();
        (check(&d, 0, d.len()), words)
    }

    #[test]
    fn names_stay_and_lose_a_dangling_preposition() {
        assert_eq!(read("هشام مروة").0, Mention::Entity(0, 2));
        assert_eq!(read("هشام مروة لـ").0, Mention::Entity(0, 2));
        assert_eq!(read("Isabelle Arthur").0, Mention::Entity(0, 2));
    }

    #[test]
    fn particles_preposition_phrases_and_verbal_nouns_are_not_actors() {
        for phrase in ["فقد", "خلاله", "بالقول", "للصحفيين", "ضرورة البحث", "a phone", "especially one"]
        {
            assert_eq!(read(phrase).0, Mention::NotAnActor, "{phrase}");
        }
        // A name that merely begins like a prefix is not one: the prefix must leave a word.
        assert_eq!(read("بال").0, Mention::Entity(0, 1));
    }

    #[test]
    fn a_fragment_ending_in_a_pronoun_is_that_pronoun() {
        let (m, words) = read("the time he");
        let Mention::Pronoun(i, g) = m else { panic!("{m:?}") };
        assert_eq!((words[i].as_str(), g), ("he", Gender::Male));
    }
}

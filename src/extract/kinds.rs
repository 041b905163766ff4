//! What kind of act a claim is.
//!
//! The cue gives a first answer ("warned" is a warning, «دعا» an appeal), but
//! the commonest cues ("said", «قال», «أكد», participles like «مضيفا») say
//! nothing about the act: the claim's main clause does. "…said Russia will not
//! allow…" is a rejection, «…قال إن بلاده ستعقد…» an announcement, «وأعرب عن
//! قلقه» disapproval. The signals are the lexicons' `[[claim_kind]]` entries:
//! phrases (or, for the Arabic future «سـ», a verb prefix) that count only near
//! the start of the claim, since a word deep in an embedded clause ("…after
//! the attack on the embassy") describes something else. A strong signal wins
//! at its first position; weak ones (`fallback`: a future tense, an opinion
//! verb) only when no strong signal is there.

use super::doc::Doc;
use super::resources::{PrefixRefine, Resources};
use crate::event::ClaimKind;

/// Tokens between a cue and its claim that are read with the claim: «جدد
/// الأسد اتهامه الغرب…», «أعرب الوزير عن قلقه…» name the act after the subject.
const BRIDGE: usize = 8;

/// The kind of the claim over tokens `claim` introduced by the cue over tokens
/// `cue`, of kind `cue_kind`.
pub(super) fn claim_kind(
    res: &Resources,
    d: &Doc,
    cue: (usize, usize),
    claim: (usize, usize),
    cue_kind: ClaimKind,
) -> ClaimKind {
    let mut weak: Option<ClaimKind> = None;
    let mut buf = Vec::new();
    if claim.0 >= cue.1 && claim.0 - cue.1 <= BRIDGE {
        for i in cue.1..claim.0 {
            if let Some(k) = signal(res, d, i, None, claim.0, cue_kind, &mut weak, &mut buf) {
                return k;
            }
        }
    }
    let mut words = 0usize;
    for i in claim.0..claim.1 {
        if words >= res.kind_reach {
            break;
        }
        if !d.is_word(i) {
            continue;
        }
        if let Some(k) = signal(res, d, i, Some(words), claim.1, cue_kind, &mut weak, &mut buf) {
            return k;
        }
        words += 1;
    }
    weak.unwrap_or(cue_kind)
}

/// A strong signal of a kind at token `i` (the `words`-th word of the claim, or
/// `None` between cue and claim; phrases ending by `end`), or none; a weak one
/// is kept in `weak` if it is the first.
#[allow(clippy::too_many_arguments)]
fn signal(
    res: &Resources,
    d: &Doc,
    i: usize,
    words: Option<usize>,
    end: usize,
    cue_kind: ClaimKind,
    weak: &mut Option<ClaimKind>,
    buf: &mut Vec<crate::extract::matcher::Match<u32>>,
) -> Option<ClaimKind> {
    if !d.is_word(i) {
        return None;
    }
    let applies = |r: &crate::extract::resources::KindRefine| {
        words.unwrap_or(0) < r.within as usize && res.refine_from[r.from as usize].contains(&cue_kind)
    };
    buf.clear();
    res.words.claim_kind.matches_at(d.text, &d.t, i, buf);
    // At one position the longest phrase speaks: "will not allow" over "will".
    buf.sort_by_key(|m| std::cmp::Reverse(m.end));
    for m in buf.iter().filter(|m| m.end <= end) {
        let r = res.kind_refines[m.value as usize];
        if applies(&r) {
            if !r.fallback {
                return Some(r.kind);
            }
            weak.get_or_insert(r.kind);
        }
    }
    // A prefix is read on words of the claim that name nobody: «ستيفان» is a name, not «ستـ» + verb,
    // and the words between cue and claim are mostly the speaker's name.
    if words.is_none() || d.ent(i).is_some() {
        return None;
    }
    for p in &res.prefix_refines {
        let r = res.kind_refines[p.refine as usize];
        if applies(&r) && has_prefix(d.norm(i), p) {
            if !r.fallback {
                return Some(r.kind);
            }
            weak.get_or_insert(r.kind);
        }
    }
    None
}

/// The word (without a leading conjunction و / ف) starts with one of the
/// rule's prefixes, not with one of its exceptions, and is long enough to be
/// a prefixed verb rather than a short word that happens to begin so.
fn has_prefix(word: &str, p: &PrefixRefine) -> bool {
    let bare = ['و', 'ف'].iter().find_map(|c| word.strip_prefix(*c).filter(|r| r.chars().count() >= 4)).unwrap_or(word);
    bare.chars().count() >= 4
        && p.prefixes.iter().any(|x| bare.starts_with(x.as_str()))
        && !p.not_prefixes.iter().any(|x| bare.starts_with(x.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::resources::{DataFile, DataFiles, Resources};

    const LEXICON: &str = r#"
language = "ar"

[[cue]]
lemma = "say"
kind = "say"
forms = ["قال"]

[[claim_kind]]
kind = "reject"
from = ["say"]
within = 4
words = ["لن تسمح"]

[[claim_kind]]
kind = "announce"
from = ["say"]
fallback = true
within = 4
prefixes = ["سي", "ست"]
not_prefixes = ["سياس"]

[[claim_kind]]
kind = "hope"
from = ["say"]
words = ["نأمل"]
"#;

    fn kind_of(claim: &str, cue_kind: ClaimKind) -> ClaimKind {
        let files = DataFiles { lexicons: vec![DataFile { name: "ar.toml", text: LEXICON }], ..Default::default() };
        let res = Resources::build(&files).expect("lexicon loads");
        let d = Doc::new(&res, claim, None);
        claim_kind(&res, &d, (0, 0), (0, d.len()), cue_kind)
    }

    #[test]
    fn a_signal_near_the_start_refines_a_plain_cue() {
        assert_eq!(kind_of("إن بلاده لن تسمح بذلك", ClaimKind::Say), ClaimKind::Reject);
        // Only for the kinds the entry refines: a warning stays a warning.
        assert_eq!(kind_of("إن بلاده لن تسمح بذلك", ClaimKind::Warn), ClaimKind::Warn);
    }

    #[test]
    fn a_signal_deep_in_the_claim_does_not_count() {
        assert_eq!(kind_of("إن الوفد الذي زار المدينة أمس قال إنها لن تسمح بذلك", ClaimKind::Say), ClaimKind::Say);
    }

    #[test]
    fn a_weak_signal_yields_to_a_strong_one_later_in_reach() {
        // The future prefix alone makes an announcement...
        assert_eq!(kind_of("إن الوزير سيعقد اجتماعا", ClaimKind::Say), ClaimKind::Announce);
        assert_eq!(kind_of("وستعقد الحكومة اجتماعا", ClaimKind::Say), ClaimKind::Announce);
        // ...but a strong signal within reach wins over it.
        assert_eq!(kind_of("إنها ستعقد اجتماعا نأمل", ClaimKind::Say), ClaimKind::Hope);
    }

    #[test]
    fn the_act_named_between_cue_and_claim_counts() {
        let files = DataFiles { lexicons: vec![DataFile { name: "ar.toml", text: LEXICON }], ..Default::default() };
        let res = Resources::build(&files).expect("lexicon loads");
        // «قال الوزير نأمل: …»: the cue is token 0, the claim starts after the colon.
        let d = Doc::new(&res, "قال الوزير نأمل : إن الحكومة ستعقد اجتماعا", None);
        let colon = (0..d.len()).find(|&i| d.is_punct(i, ":")).unwrap();
        assert_eq!(claim_kind(&res, &d, (0, 1), (colon + 1, d.len()), ClaimKind::Say), ClaimKind::Hope);
        // Far from the cue, the words between are another clause.
        let far = "قال الوزير في مؤتمر صحفي عقده في العاصمة بعد ظهر اليوم ونأمل : إن الحكومة ستعقد اجتماعا";
        let d = Doc::new(&res, far, None);
        let colon = (0..d.len()).find(|&i| d.is_punct(i, ":")).unwrap();
        assert_eq!(claim_kind(&res, &d, (0, 1), (colon + 1, d.len()), ClaimKind::Say), ClaimKind::Announce);
    }

    #[test]
    fn words_that_only_begin_like_the_prefix_are_not_it() {
        assert_eq!(kind_of("إن السياسة الخارجية ثابتة", ClaimKind::Say), ClaimKind::Say);
        assert_eq!(kind_of("إن ستة وفود وصلت", ClaimKind::Say), ClaimKind::Say);
    }
}

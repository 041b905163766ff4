//! Regions of a page that are not the story: related-article lists, "read
//! more" links, photo captions, bylines and datelines.
//!
//! Outlets paste these into the body; a headline in a related-links list
//! ("Analyst calls on the SDF to...") would otherwise become a statement of
//! this story. A paragraph is boilerplate when it opens with a boilerplate
//! phrase, or is a short line carrying one (a caption); a heading such as
//! «مقالات ذات صلة» also makes the short, unpunctuated lines after it
//! boilerplate, until a line that reads like prose.

use super::resources::Resources;
use super::segment::Layout;
use super::text::{TokenKind, Tokens};

/// Lines longer than this are prose, never a caption or a link.
const SHORT_LINE_TOKENS: usize = 40;

/// Marks every token of a boilerplate paragraph. Linear in the field.
pub fn mark(res: &Resources, text: &str, t: &Tokens, layout: &Layout) -> Vec<bool> {
    let mut neg = vec![false; t.len()];
    let mut in_list = false;
    let mut buf = Vec::new();
    for &(a, b) in &layout.paragraphs {
        let len = b - a;
        buf.clear();
        res.words.boilerplate.matches_at(text, t, a, &mut buf);
        let opens_with = !buf.is_empty();
        let short = len <= SHORT_LINE_TOKENS;
        let carries = short
            && !opens_with
            && (a..b).any(|i| {
                buf.clear();
                res.words.boilerplate.matches_at(text, t, i, &mut buf);
                !buf.is_empty()
            });
        // A list item: short and not ending like a sentence.
        let last = &t.toks[b - 1];
        let ends_like_prose =
            last.kind == TokenKind::Punct && matches!(t.norm(b - 1), "." | "!" | "؟" | "?" | "\"" | "”" | "»");
        if opens_with {
            // A heading alone on its line starts a list; a "Read more: ..." line is one item.
            in_list = short;
        } else if in_list && !(short && (!ends_like_prose || len <= 20)) {
            in_list = false;
        }
        if opens_with || carries || in_list {
            for n in neg.iter_mut().take(b).skip(a) {
                *n = true;
            }
        }
    }
    neg
}

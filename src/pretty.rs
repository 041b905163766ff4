//! One readable line per event for a terminal:
//! `date · actor (role, country) → targets · kind · claim`.
//!
//! Arabic text is printed as written: terminals that implement the Unicode
//! bidirectional algorithm show it right to left; the line never reorders
//! or reverses characters itself, so copying a line copies the real text.

use crate::event::StatementEvent;

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const YELLOW: &str = "\x1b[33m";

/// Shortens `s` to at most `max` characters, marking the cut with an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The line for one event; `color` adds ANSI styles (for a TTY).
pub fn line(e: &StatementEvent, claim_width: usize, color: bool) -> String {
    let (b, d, c, y, r) = if color { (BOLD, DIM, CYAN, YELLOW, RESET) } else { ("", "", "", "", "") };
    let date = e.date.value.as_deref().unwrap_or("----------");
    let mut who = e.actor.name.clone();
    let extra: Vec<&str> = [e.actor.role.as_deref(), e.actor.country.as_deref()].into_iter().flatten().collect();
    if !extra.is_empty() {
        who.push_str(&format!(" ({})", extra.join(", ")));
    }
    let targets = if e.targets.is_empty() {
        String::new()
    } else {
        format!(" → {}", e.targets.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", "))
    };
    // U+2068/U+2069 isolate the claim so right-to-left text does not reorder the rest of the line.
    format!(
        "{d}{date}{r} · {b}{who}{r}{c}{targets}{r} · {y}{}{r} · \u{2068}{}\u{2069}{}",
        e.claim.kind,
        shorten(&e.claim.text, claim_width),
        if e.headline { format!(" {d}[headline]{r}") } else { String::new() }
    )
}

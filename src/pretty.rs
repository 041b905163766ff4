//! One readable line per event for a terminal:
//! `date · actor (role, country) → targets · kind · codes · claim`, where
//! `codes` (the CAMEO event code and the PLOVER event type, `1123 ACCUSE`)
//! appears only when the event is coded.
//!
//! Arabic text is printed as written: terminals that implement the Unicode
//! bidirectional algorithm show it right to left; the line never reorders
//! or reverses characters itself, so copying a line copies the real text.
//!
//! Every field comes from article text, which anyone can write: each is
//! passed through [`sanitize`] so that no escape sequence (colours, OSC 8
//! links, a title change, cursor moves), backspace or bidi override in an
//! article reaches the terminal, and no line break splits an event in two.

use crate::event::StatementEvent;

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const YELLOW: &str = "\x1b[33m";

/// Where a line goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours and weights.
    pub color: bool,
    /// The line goes to a terminal: the claim is wrapped in bidi isolates
    /// (U+2068, U+2069) so right-to-left text does not reorder the rest of the
    /// line. Never into a pipe or a file, where they would be stray characters.
    pub terminal: bool,
}

use crate::control_chars::is_unsafe;

/// `s` fit for one line of a terminal: line breaks and tabs become spaces,
/// every other control character (see [`crate::control_chars::is_unsafe`]) is dropped. An escape
/// sequence loses its ESC, so what remains prints as plain text.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some(' '),
            c if is_unsafe(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Shortens `s` to at most `max` characters, marking the cut with an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The line for one event, every field [`sanitize`]d.
pub fn line(e: &StatementEvent, claim_width: usize, style: Style) -> String {
    let (b, d, c, y, r) = if style.color { (BOLD, DIM, CYAN, YELLOW, RESET) } else { ("", "", "", "", "") };
    let date = sanitize(e.date.value.as_deref().unwrap_or("----------"));
    let mut who = sanitize(&e.actor.name);
    let extra: Vec<String> =
        [e.actor.role.as_deref(), e.actor.country.as_deref()].into_iter().flatten().map(sanitize).collect();
    if !extra.is_empty() {
        who.push_str(&format!(" ({})", extra.join(", ")));
    }
    let targets = if e.targets.is_empty() {
        String::new()
    } else {
        format!(" → {}", e.targets.iter().map(|t| sanitize(&t.name)).collect::<Vec<_>>().join(", "))
    };
    let codes: Vec<String> =
        [e.codes.cameo.as_deref(), e.codes.plover.event.as_deref()].into_iter().flatten().map(sanitize).collect();
    let codes = if codes.is_empty() { String::new() } else { format!(" · {d}{}{r}", codes.join(" ")) };
    // Sanitized before shortening, so a dropped control character does not cost a visible one.
    let claim = shorten(&sanitize(&e.claim.text), claim_width);
    let (fsi, pdi) = if style.terminal { ("\u{2068}", "\u{2069}") } else { ("", "") };
    format!(
        "{d}{date}{r} · {b}{who}{r}{c}{targets}{r} · {y}{}{r}{codes} · {fsi}{claim}{pdi}{}",
        sanitize(e.claim.kind.as_str()),
        if e.headline { format!(" {d}[headline]{r}") } else { String::new() }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x07link\x1b]8;;\x07 b\x08c \u{202e}txet\u{202c} \u{9b}2J\x7f\u{2066}x\u{2069}\u{200f}\u{61c}\nnext\r\tend";

    fn event() -> StatementEvent {
        let line = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/articles.jsonl")).unwrap();
        let cfg = crate::config::Config::load_with_env(None, Vec::new()).unwrap();
        let p = crate::cmd::build_pipeline(&cfg).unwrap();
        p.process(line.lines().next().unwrap().as_bytes()).unwrap().events.remove(0)
    }

    fn no_controls(s: &str) {
        assert!(!s.chars().any(is_unsafe), "{s:?}");
    }

    #[test]
    fn sanitize_drops_escapes_backspaces_and_bidi_controls() {
        let clean = sanitize(HOSTILE);
        no_controls(&clean);
        assert_eq!(clean, "a[31mred[0m ]8;;http://evil.example/link]8;; bc txet 2Jx next  end");
        // Plain text, Arabic included, is untouched.
        assert_eq!(sanitize("قال الوزير «نعم» — ok"), "قال الوزير «نعم» — ok");
    }

    #[test]
    fn every_printed_field_is_sanitized() {
        let mut e = event();
        e.actor.name = format!("Evil{HOSTILE}");
        e.actor.role = Some(HOSTILE.into());
        e.actor.country = Some("\x1b[2J".into());
        e.claim.text = format!("{HOSTILE} and more");
        e.date.value = Some("\x1b]0;title\x07".into());
        e.codes.cameo = Some(format!("112{HOSTILE}"));
        e.codes.plover.event = Some(HOSTILE.into());
        if let Some(t) = e.targets.first_mut() {
            t.name = HOSTILE.into();
        }
        for style in [Style::default(), Style { color: false, terminal: true }] {
            let line = line(&e, 500, style);
            let body: String = line.chars().filter(|c| !matches!(c, '\u{2068}' | '\u{2069}')).collect();
            no_controls(&body);
            assert!(line.contains("Evila[31mred"), "{line}");
        }
    }

    #[test]
    fn codes_are_shown_when_the_event_is_coded() {
        let mut e = event();
        e.codes = Default::default();
        let uncoded = line(&e, 500, Style::default());
        let kind = e.claim.kind.as_str();
        assert!(uncoded.contains(&format!(" · {kind} · {}", e.claim.text)), "{uncoded}");
        e.codes.cameo = Some("1123".into());
        e.codes.plover.event = Some("ACCUSE".into());
        let coded = line(&e, 500, Style::default());
        assert_eq!(coded, uncoded.replacen(&format!(" · {kind} · "), &format!(" · {kind} · 1123 ACCUSE · "), 1));
        // Either code alone.
        e.codes.plover.event = None;
        assert!(line(&e, 500, Style::default()).contains(&format!(" · {kind} · 1123 · ")));
        e.codes.cameo = None;
        e.codes.plover.event = Some("ACCUSE".into());
        assert!(line(&e, 500, Style::default()).contains(&format!(" · {kind} · ACCUSE · ")));
        // Dimmed in colour.
        assert!(line(&e, 500, Style { color: true, terminal: false }).contains("\x1b[2mACCUSE\x1b[0m"));
    }

    #[test]
    fn the_claim_is_isolated_on_a_terminal_only() {
        let e = event();
        let piped = line(&e, 80, Style::default());
        assert!(!piped.contains(['\u{2068}', '\u{2069}']), "{piped:?}");
        let tty = line(&e, 80, Style { color: false, terminal: true });
        assert_eq!(tty.matches('\u{2068}').count(), 1, "{tty:?}");
        assert!(tty.contains(&format!("\u{2068}{}\u{2069}", shorten(&e.claim.text, 80))), "{tty:?}");
        // Colour is the only escape, and only when asked for.
        assert!(!piped.contains('\x1b'));
        assert!(line(&e, 80, Style { color: true, terminal: true }).contains("\x1b[1m"));
    }
}

//! The one definition of the characters demarche never lets article text
//! carry raw to a terminal, a log line, a Kafka key or header: the pretty
//! printer drops them, the record builder removes them, text logs escape them.

/// C0 and C1 controls and DEL (escape and OSC sequences, backspaces, line
/// breaks), and the bidi controls (Unicode `Bidi_Control`: embeddings,
/// overrides, isolates and marks), which make a line read differently from
/// its bytes.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_controls_are_unsafe_text_is_not() {
        for c in ['\u{0}', '\n', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', '\u{61c}', '\u{200f}', '\u{202e}', '\u{2069}']
        {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['a', ' ', 'ق', '«', '—', '\u{2028}', '\u{feff}'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }
}

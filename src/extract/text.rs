//! Text preparation that never loses the way back to the original.
//!
//! Matching happens on normalised tokens (lower case, Arabic diacritics and
//! tatweel removed, letter variants unified, common Latin accents folded),
//! but every token keeps the byte range it came from, so that every span the
//! extractor reports points into the text exactly as the outlet wrote it.

/// What a token is made of; the segmenter and the attribution rules look at
/// this rather than at characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters (any script) and digits, possibly with inner dots or apostrophes.
    Word,
    /// A run of digits (possibly with separators), kept apart from words for dates.
    Number,
    /// Any other single character that is not white space.
    Punct,
}

/// The writing system of a word, used for language-specific rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Arabic,
    Latin,
    Other,
}

/// One token of a field, with its original byte range and its normalised form.
#[derive(Debug, Clone)]
pub struct Token {
    /// Byte offset of the first byte in the field.
    pub start: usize,
    /// Byte offset one past the last byte in the field.
    pub end: usize,
    /// Range of the normalised form inside [`Tokens::norm`].
    norm: (u32, u32),
    pub kind: TokenKind,
    pub script: Script,
    /// First letter is an upper-case Latin letter (English proper-noun evidence).
    pub capitalised: bool,
    /// A line break lies between the previous token and this one.
    pub newline_before: bool,
    /// Where the stems of an Arabic word begin once its proclitics are
    /// stripped (byte offsets into the normalised form; 0 = none), found
    /// once here rather than by every lexicon that looks the word up.
    stems: [u8; 4],
}

/// The tokens of one field and the buffer holding their normalised forms.
#[derive(Debug, Default)]
pub struct Tokens {
    pub toks: Vec<Token>,
    norm: String,
}

impl Tokens {
    pub fn norm(&self, i: usize) -> &str {
        let (a, b) = self.toks[i].norm;
        &self.norm[a as usize..b as usize]
    }
    pub fn len(&self) -> usize {
        self.toks.len()
    }
    /// The proclitic-free stems of token `i`, longest first (Arabic words only).
    pub fn stems(&self, i: usize) -> impl Iterator<Item = &str> {
        let w = self.norm(i);
        self.toks[i].stems.into_iter().take_while(|&o| o > 0).map(move |o| &w[o as usize..])
    }
    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }
    /// True when token `i` exists and its normalised form is `s`.
    pub fn is(&self, i: usize, s: &str) -> bool {
        i < self.toks.len() && self.norm(i) == s
    }
    pub fn is_punct(&self, i: usize, chars: &str) -> bool {
        i < self.toks.len() && self.toks[i].kind == TokenKind::Punct && chars.contains(self.norm(i))
    }
}

/// True for Arabic combining marks and tatweel, which are dropped when matching.
fn is_arabic_mark(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}')
}

/// True for characters that belong to words (letters of any script, digits, Arabic marks).
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    // The Arabic block first: Unicode's general lookup is slow, and Arabic text is all of it.
    if ('\u{0600}'..='\u{06FF}').contains(&c) {
        return ('\u{0621}'..='\u{064A}').contains(&c)
            || ('\u{0660}'..='\u{0669}').contains(&c)
            || ('\u{0671}'..='\u{06D3}').contains(&c)
            || is_arabic_mark(c);
    }
    // General punctuation (quotation marks, dashes): never part of a word.
    if ('\u{2000}'..='\u{206F}').contains(&c) {
        return false;
    }
    c.is_alphanumeric() || is_arabic_mark(c)
}

fn script_of(c: char) -> Script {
    match c {
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFF}' => Script::Arabic,
        c if c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) => Script::Latin,
        _ => Script::Other,
    }
}

/// Appends the matching form of `c` to `out`.
fn push_norm(c: char, out: &mut String) {
    if is_arabic_mark(c) {
        return;
    }
    let m = match c {
        // Hamza and wasla forms of alef, including the wavy-hamza forms some North African sites
        // type (ٲ U+0672, ٳ U+0673, ٵ U+0675).
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' | 'ٵ' => 'ا',
        // Persian and Urdu keyboards give ی and ک for ي and ك in Arabic text.
        'ى' | 'ی' | 'ې' => 'ي',
        'ک' => 'ك',
        'ة' | 'ۀ' | 'ە' => 'ه',
        'ؤ' => 'و',
        'ئ' => 'ي',
        'ڤ' => 'ف',
        'گ' => 'ك',
        '’' | '‘' | 'ʼ' | '`' | '´' => '\'',
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ı' | 'ī' | 'İ' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'ń' | 'ň' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ş' | 'ś' | 'š' | 'Ş' | 'Ś' | 'Š' => 's',
        'ğ' | 'Ğ' => 'g',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ž' | 'ź' | 'ż' | 'Ž' => 'z',
        // Arabic-Indic digits match their ASCII forms, so dates read the same.
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        c if c.is_ascii() => c.to_ascii_lowercase(),
        // Arabic has no case.
        '\u{0600}'..='\u{06FF}' => c,
        c => {
            for l in c.to_lowercase() {
                out.push(l);
            }
            return;
        }
    };
    out.push(m);
}

/// Normalises a whole string the way tokens are normalised (used for data files).
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_norm(c, &mut out);
    }
    out
}

/// Splits a field into tokens. Linear in the length of the text.
///
/// A word may carry inner apostrophes (`don't`) and inner dots between single
/// letters (`U.S.`), so abbreviations do not look like sentence ends. An
/// English possessive `'s` becomes its own token so `Russia's` still matches
/// `Russia`.
pub fn tokenize(text: &str) -> Tokens {
    let mut toks = Vec::with_capacity(text.len() / 5);
    let mut norm = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut it = text.char_indices().peekable();
    let mut newline = false;
    while let Some((i, c)) = it.next() {
        if c.is_whitespace() || c == '\u{200f}' || c == '\u{200e}' || c == '\u{feff}' {
            if c == '\n' || c == '\r' || c == '\u{2029}' {
                newline = true;
            }
            continue;
        }
        let n0 = norm.len() as u32;
        if is_word_char(c) {
            let script = script_of(c);
            let digits_only =
                c.is_ascii_digit() || ('\u{0660}'..='\u{0669}').contains(&c) || ('\u{06F0}'..='\u{06F9}').contains(&c);
            let mut all_digits = digits_only;
            let mut end = i + c.len_utf8();
            push_norm(c, &mut norm);
            let mut single_letter_run = c.is_alphabetic();
            let mut run_len = 1;
            while let Some(&(j, d)) = it.peek() {
                if is_word_char(d) {
                    if !(d.is_ascii_digit()
                        || ('\u{0660}'..='\u{0669}').contains(&d)
                        || ('\u{06F0}'..='\u{06F9}').contains(&d))
                    {
                        all_digits = false;
                    }
                    push_norm(d, &mut norm);
                    end = j + d.len_utf8();
                    run_len += 1;
                    it.next();
                    continue;
                }
                // Inner apostrophe (don't, Qur'an) but not the possessive 's.
                if (d == '\'' || d == '’') && script == Script::Latin {
                    let after = &text[j + d.len_utf8()..];
                    let mut ac = after.chars();
                    let next = ac.next();
                    let possessive = matches!(next, Some('s') | Some('S')) && !ac.next().is_some_and(is_word_char);
                    if next.is_some_and(|x| x.is_alphabetic()) && !possessive {
                        norm.push('\'');
                        end = j + d.len_utf8();
                        it.next();
                        run_len = 0;
                        single_letter_run = false;
                        continue;
                    }
                }
                // Abbreviations made of single letters and dots: U.S., U.N., U.K.
                if d == '.' && single_letter_run && run_len == 1 {
                    let after = bytes.get(j + 1).copied();
                    let is_abbrev_letter = after.is_some_and(|b| b.is_ascii_alphabetic())
                        && !bytes.get(j + 2).is_some_and(|b| b.is_ascii_alphabetic());
                    let prev_was_abbrev =
                        norm.ends_with(|ch: char| ch.is_alphabetic()) && norm[n0 as usize..].contains('.');
                    if is_abbrev_letter || prev_was_abbrev {
                        norm.push('.');
                        end = j + 1;
                        it.next();
                        run_len = 0;
                        continue;
                    }
                }
                if run_len > 1 {
                    single_letter_run = false;
                }
                break;
            }
            // Numbers with separators: 8,000 or 7.3 stay one token.
            if all_digits {
                while let Some(&(j, d)) = it.peek() {
                    if (d == ',' || d == '.') && bytes.get(j + 1).is_some_and(|b| b.is_ascii_digit()) {
                        norm.push(d);
                        it.next();
                        while let Some(&(k, e)) = it.peek() {
                            if e.is_ascii_digit() {
                                norm.push(e);
                                end = k + 1;
                                it.next();
                            } else {
                                break;
                            }
                        }
                    } else {
                        break;
                    }
                }
            }
            let capitalised = c.is_uppercase();
            let mut stems = [0u8; 4];
            if script == Script::Arabic {
                let w = &norm[n0 as usize..];
                for (k, s) in arabic_stems(w).enumerate() {
                    stems[k] = u8::try_from(w.len() - s.len()).unwrap_or(0);
                }
            }
            toks.push(Token {
                start: i,
                end,
                norm: (n0, norm.len() as u32),
                kind: if all_digits { TokenKind::Number } else { TokenKind::Word },
                script,
                capitalised,
                newline_before: newline,
                stems,
            });
        } else {
            // Possessive 's as its own token.
            let mut end = i + c.len_utf8();
            if (c == '\'' || c == '’')
                && text[end..].starts_with(['s', 'S'])
                && !text[end + 1..].starts_with(is_word_char)
            {
                norm.push_str("'s");
                end += 1;
                it.next();
                toks.push(Token {
                    start: i,
                    end,
                    norm: (n0, norm.len() as u32),
                    kind: TokenKind::Word,
                    script: Script::Latin,
                    capitalised: false,
                    newline_before: newline,
                    stems: [0; 4],
                });
                newline = false;
                continue;
            }
            push_norm(c, &mut norm);
            if norm.len() as u32 == n0 {
                // A lone Arabic mark or tatweel: keep a visible form.
                norm.push(c);
            }
            toks.push(Token {
                start: i,
                end,
                norm: (n0, norm.len() as u32),
                kind: TokenKind::Punct,
                script: Script::Other,
                capitalised: false,
                newline_before: newline,
                stems: [0; 4],
            });
        }
        newline = false;
    }
    Tokens { toks, norm }
}

/// Arabic proclitics stripped when a whole-word lookup fails: the conjunctions
/// و and ف, the prepositions ب ل ك, and their combinations with the article.
/// Returns the candidate stems, longest first, without the original form.
pub fn arabic_stems(word: &str) -> impl Iterator<Item = &str> {
    // Most words carry no proclitic: one comparison instead of fourteen.
    let clitic_initial = word.starts_with(['و', 'ف', 'ب', 'ل', 'ك']);
    const PREFIXES: [&str; 14] = ["وبال", "وال", "فال", "بال", "كال", "وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ك"];
    let mut out: [Option<&str>; 4] = [None; 4];
    let mut n = 0;
    // "لل" is ل + ال with the alef dropped: للأمم = ل + الأمم.
    let chars = if clitic_initial { word.chars().count() } else { 0 };
    if chars > 3 {
        for p in PREFIXES {
            if let Some(rest) = word.strip_prefix(p) {
                if rest.chars().count() >= 2 && n < out.len() {
                    out[n] = Some(rest);
                    n += 1;
                }
            }
        }
    }
    if let Some(rest) = word.strip_prefix('ل').filter(|_| clitic_initial) {
        if rest.chars().count() >= 2 && n < out.len() {
            out[n] = Some(rest);
        }
    }
    out.into_iter().flatten()
}

/// Maps byte offsets of one field to Unicode code-point offsets.
///
/// Built once per field that yields events, so converting many spans stays
/// linear in the text length.
pub struct CharIndex {
    /// Code-point count before each byte offset that starts a character.
    starts: Vec<u32>,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0u32; text.len() + 1];
        let mut count = 0u32;
        let mut last = 0usize;
        for (i, _) in text.char_indices() {
            for s in starts.iter_mut().take(i + 1).skip(last) {
                *s = count;
            }
            count += 1;
            last = i + 1;
        }
        for s in starts.iter_mut().skip(last) {
            *s = count;
        }
        CharIndex { starts }
    }
    /// Code-point offset of a byte offset (which must lie on a char boundary).
    pub fn at(&self, byte: usize) -> usize {
        self.starts[byte.min(self.starts.len() - 1)] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(t: &str) -> Vec<String> {
        let k = tokenize(t);
        (0..k.len()).map(|i| k.norm(i).to_string()).collect()
    }

    #[test]
    fn arabic_is_normalised_and_offsets_point_into_the_original() {
        let t = "أعلنَ وزيرُ الخارجيّة، اليوم";
        let k = tokenize(t);
        assert_eq!(norms(t), vec!["اعلن", "وزير", "الخارجيه", "،", "اليوم"]);
        assert_eq!(&t[k.toks[0].start..k.toks[0].end], "أعلنَ");
        assert_eq!(&t[k.toks[2].start..k.toks[2].end], "الخارجيّة");
    }

    #[test]
    fn letter_variants_of_other_keyboards_read_as_arabic() {
        // Wavy-hamza alef (Tunisian sites), Persian kaf and ya.
        assert_eq!(norms("ٲكّد ٲن"), norms("أكّد أن"));
        assert_eq!(norms("کیری"), norms("كيري"));
    }

    #[test]
    fn english_abbreviations_possessives_and_numbers() {
        assert_eq!(
            norms("The U.S. said Russia's 8,000 troops"),
            vec!["the", "u.s.", "said", "russia", "'s", "8,000", "troops"]
        );
        assert_eq!(norms("U.N. envoy. Then"), vec!["u.n.", "envoy", ".", "then"]);
        assert_eq!(norms("don't stop."), vec!["don't", "stop", "."]);
    }

    #[test]
    fn arabic_clitics_are_stripped_longest_first() {
        let stems: Vec<&str> = arabic_stems("وبالولايات").collect();
        assert_eq!(stems[0], "ولايات");
        assert!(arabic_stems("لروسيا").any(|s| s == "روسيا"));
        assert!(arabic_stems("وقال").any(|s| s == "قال"));
    }

    #[test]
    fn char_index_counts_code_points() {
        let t = "aé ب x";
        let ci = CharIndex::new(t);
        let b = t.find('x').unwrap();
        assert_eq!(ci.at(b), 5);
        assert_eq!(ci.at(t.len()), 6);
    }
}

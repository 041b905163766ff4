//! The TABARI/PETRARCH actor-dictionary syntax, line by line.
//!
//! An actor is a name line (`NAME_WITH_UNDERSCORES`, codes on the same line
//! or on the lines after it), `+SYNONYM_` lines, and code lines holding one
//! or more `[CODE]`, `[CODE YYMMDD-YYMMDD]`, `[CODE >YYMMDD]` (from that day)
//! or `[CODE <YYMMDD]` (until that day). `#` starts a comment anywhere on a
//! line, as in PETRARCH; a line starting with `<` is a comment too (PETRARCH
//! reads `<!-- ... -->` that way). Dates of six digits are YYMMDD with 00–30
//! in the 2000s and 31–99 in the 1900s (the rule of KEDS, TABARI and
//! PETRARCH); eight digits are YYYYMMDD.
//!
//! What the syntax does not allow, or what demarche cannot use, is refused
//! with a [`LineError`] for that line; the rest of the file is read.

use chrono::NaiveDate;

use super::{LineError, Refusal};

/// A CAMEO actor code with its date restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

/// One actor as written: its name line, synonyms and usable codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Line of the name (1-based).
    pub line: usize,
    /// The name with underscores turned into spaces, spaces collapsed.
    pub name: String,
    /// Synonyms with their lines, spelt like `name`.
    pub synonyms: Vec<(usize, String)>,
    pub codes: Vec<Code>,
}

/// A file read: its actors and the lines or parts of lines refused.
#[derive(Debug, Default)]
pub struct Parsed {
    pub actors: Vec<Actor>,
    pub refused: Vec<Refusal>,
}

/// What the lines after a name line belong to.
enum Current {
    None,
    Actor(Actor),
    /// The name line was refused: its synonyms and codes go with it.
    Refused(usize),
}

/// Reads a dictionary. Never fails: every problem is a refusal naming the line.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let mut cur = Current::None;
    let refuse = |out: &mut Parsed, line: usize, error: LineError| out.refused.push(Refusal { line, error });
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (text, utf8) = match std::str::from_utf8(raw) {
            Ok(t) => (std::borrow::Cow::Borrowed(t), true),
            Err(_) => (String::from_utf8_lossy(raw), false),
        };
        let body = text.split('#').next().unwrap_or("").trim();
        if body.is_empty() || body.starts_with('<') {
            continue;
        }
        let kind = match body.as_bytes()[0] {
            b'+' => LineKind::Synonym,
            b'[' => LineKind::Codes,
            _ => LineKind::Name,
        };
        let bad = if !utf8 {
            Some(LineError::NotUtf8)
        } else if body.chars().any(|c| c.is_control() && c != '\t') {
            Some(LineError::ControlCharacter)
        } else {
            // TABARI constructs PETRARCH's actor files do not define, and stray brackets.
            body.chars().next().filter(|c| "{}!&-=|]".contains(*c)).map(LineError::Unsupported)
        };
        if let Some(error) = bad {
            if kind == LineKind::Name {
                finish(&mut out, std::mem::replace(&mut cur, Current::Refused(line)));
            }
            refuse(&mut out, line, error);
            continue;
        }
        match kind {
            LineKind::Name => {
                finish(&mut out, std::mem::replace(&mut cur, Current::None));
                let (name, rest) = body.split_once('[').map_or((body, ""), |(n, _)| (n, &body[n.len()..]));
                let name = spaced(name);
                if name.is_empty() {
                    refuse(&mut out, line, LineError::EmptyName);
                    cur = Current::Refused(line);
                    continue;
                }
                let mut actor = Actor { line, name, synonyms: Vec::new(), codes: Vec::new() };
                read_codes(rest, line, &mut actor.codes, &mut out.refused);
                cur = Current::Actor(actor);
            }
            LineKind::Synonym => {
                let s = &body[1..];
                let error = if s.contains('+') {
                    Some(LineError::SynonymsRunTogether)
                } else if s.contains('[') || s.contains(']') {
                    Some(LineError::CodesOnSynonym)
                } else if spaced(s).is_empty() {
                    Some(LineError::EmptyName)
                } else {
                    None
                };
                match (&mut cur, error) {
                    (Current::Refused(of), _) => refuse(&mut out, line, LineError::OfRefusedActor(*of)),
                    (Current::None, _) => refuse(&mut out, line, LineError::Orphan("synonym")),
                    (Current::Actor(_), Some(e)) => refuse(&mut out, line, e),
                    (Current::Actor(a), None) => a.synonyms.push((line, spaced(s))),
                }
            }
            LineKind::Codes => match &mut cur {
                Current::Refused(of) => refuse(&mut out, line, LineError::OfRefusedActor(*of)),
                Current::None => refuse(&mut out, line, LineError::Orphan("code")),
                Current::Actor(a) => read_codes(body, line, &mut a.codes, &mut out.refused),
            },
        }
    }
    finish(&mut out, cur);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Name,
    Synonym,
    Codes,
}

/// Ends an actor: kept when it has a usable code.
fn finish(out: &mut Parsed, cur: Current) {
    if let Current::Actor(a) = cur {
        if a.codes.is_empty() {
            out.refused.push(Refusal { line: a.line, error: LineError::NoCode(a.synonyms.len()) });
        } else {
            out.actors.push(a);
        }
    }
}

/// `NAME_OF_ACTOR_` → `NAME OF ACTOR`.
fn spaced(s: &str) -> String {
    s.replace('_', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads `[CODE ...]` groups; text outside the brackets is refused once.
fn read_codes(text: &str, line: usize, codes: &mut Vec<Code>, refused: &mut Vec<Refusal>) {
    let mut rest = text.trim();
    let mut stray = String::new();
    while !rest.is_empty() {
        let Some(open) = rest.find('[') else {
            stray.push_str(rest);
            break;
        };
        stray.push_str(&rest[..open]);
        let Some(close) = rest[open..].find(']') else {
            refused.push(Refusal { line, error: LineError::Unclosed });
            return;
        };
        match code(&rest[open + 1..open + close]) {
            Ok(c) if !codes.contains(&c) => codes.push(c),
            Ok(_) => {}
            Err(error) => refused.push(Refusal { line, error }),
        }
        rest = &rest[open + close + 1..];
    }
    let stray = stray.trim();
    if !stray.is_empty() {
        refused.push(Refusal { line, error: LineError::TrailingText(stray.chars().take(40).collect()) });
    }
}

/// One bracket's content: `CODE`, `CODE >D`, `CODE <D` or `CODE D-D`.
fn code(inside: &str) -> Result<Code, LineError> {
    let inside = inside.trim();
    let (code, dates) = inside.split_once(char::is_whitespace).unwrap_or((inside, ""));
    if code == "---" {
        return Err(LineError::NullCode);
    }
    if code.is_empty() || code.len() % 3 != 0 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(LineError::BadCode(inside.chars().take(30).collect()));
    }
    let dates: String = dates.split_whitespace().collect();
    let (from, until) = if dates.is_empty() {
        (None, None)
    } else if let Some(d) = dates.strip_prefix('>') {
        (Some(date(d)?), None)
    } else if let Some(d) = dates.strip_prefix('<') {
        (None, Some(date(d)?))
    } else if let Some((a, b)) = dates.split_once('-') {
        let (a, b) = (date(a)?, date(b)?);
        if b < a {
            return Err(LineError::EndsBeforeStart(code.to_string()));
        }
        (Some(a), Some(b))
    } else {
        return Err(LineError::BadDate(dates));
    };
    Ok(Code { code: code.to_string(), from, until })
}

/// YYMMDD (00–30: 20YY, 31–99: 19YY) or YYYYMMDD.
pub fn date(s: &str) -> Result<NaiveDate, LineError> {
    let bad = || LineError::BadDate(s.chars().take(20).collect());
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| bad());
    let (y, m, d) = match s.len() {
        6 => {
            let yy = n(0..2)? as i32;
            (if yy <= 30 { 2000 + yy } else { 1900 + yy }, n(2..4)?, n(4..6)?)
        }
        8 => (n(0..4)? as i32, n(4..6)?, n(6..8)?),
        _ => return Err(bad()),
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    fn errors(p: &Parsed) -> Vec<(usize, String)> {
        p.refused.iter().map(|r| (r.line, r.error.to_string())).collect()
    }

    #[test]
    fn the_century_rule_is_tabaris() {
        assert_eq!(date("300101").ok(), d(2030, 1, 1));
        assert_eq!(date("310101").ok(), d(1931, 1, 1));
        assert_eq!(date("990630").ok(), d(1999, 6, 30));
        assert_eq!(date("19990630").ok(), d(1999, 6, 30));
        for bad in ["2004017", "201005011", "990631", "9906x0", ""] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn closed_and_open_ranges() {
        let p = parse(b"JANE_ROE_  # a note\n\t[XYZGOV 090120-170120]\n\t[XYZELI >170121]\n\t[XYZREB <900101]\n");
        assert_eq!(errors(&p), vec![]);
        let a = &p.actors[0];
        assert_eq!((a.line, a.name.as_str()), (1, "JANE ROE"));
        assert_eq!(a.codes[0], Code { code: "XYZGOV".into(), from: d(2009, 1, 20), until: d(2017, 1, 20) });
        assert_eq!(a.codes[1], Code { code: "XYZELI".into(), from: d(2017, 1, 21), until: None });
        assert_eq!(a.codes[2], Code { code: "XYZREB".into(), from: None, until: d(1990, 1, 1) });
    }

    #[test]
    fn synonyms_comments_and_codes_on_the_name_line() {
        let text = "# header\n\nRUBOVIA_ [RUB]\n+RUBOVIAN_ # demonym\n+THE_RUBOVIAN_REPUBLIC\n\nFLAT_LEAGUE_\t[IGOFLT] [XYZGOV > 20120101]# tail\n";
        let p = parse(text.as_bytes());
        assert_eq!(errors(&p), vec![]);
        assert_eq!(p.actors.len(), 2);
        assert_eq!(p.actors[0].synonyms, vec![(4, "RUBOVIAN".into()), (5, "THE RUBOVIAN REPUBLIC".into())]);
        assert_eq!(p.actors[0].codes, vec![Code { code: "RUB".into(), from: None, until: None }]);
        assert_eq!(p.actors[1].codes.len(), 2);
        assert_eq!(p.actors[1].codes[1].from, d(2012, 1, 1));
    }

    #[test]
    fn a_malformed_line_is_refused_with_its_number_and_the_rest_is_read() {
        let text = "GOOD_ONE_ [XYZ]\nBROKEN_ [XYZGOV 2004017-20061201]\n\t[XYZGOV 990101-980101]\n{COMPOUND}\n+LOST_\nOTHER_ [ABCDEF]\n";
        let p = parse(text.as_bytes());
        let e = errors(&p);
        assert_eq!(e[0], (2, "date \"2004017\" is not YYMMDD or YYYYMMDD".into()));
        assert_eq!(e[1], (3, "range of XYZGOV ends before it starts".into()));
        assert!(e[2].0 == 2 && e[2].1.starts_with("actor has no usable code"), "{e:?}");
        assert_eq!(e[3], (4, "`{` constructs are not supported".into()));
        assert_eq!(e[4], (5, "belongs to the refused actor of line 4".into()));
        let names: Vec<&str> = p.actors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["GOOD ONE", "OTHER"]);
    }

    #[test]
    fn odd_codes_are_refused_one_by_one() {
        let p = parse("X_ [XYZGOV 990101-991231] [---] [IMG?] [XYZ 20121204] [MNCNLD] Antilles\n+A+B_\n".as_bytes());
        let e: Vec<String> = errors(&p).into_iter().map(|(_, e)| e).collect();
        assert_eq!(p.actors[0].codes.len(), 2);
        assert!(e[0].contains("[---]"), "{e:?}");
        assert!(e[1].contains("IMG?"), "{e:?}");
        assert!(e[2].contains("20121204"), "{e:?}");
        assert!(e[3].contains("Antilles"), "{e:?}");
        assert!(e[4].contains("run together"), "{e:?}");
    }

    #[test]
    fn bytes_that_are_not_utf8_refuse_the_line_only() {
        let p = parse(b"COTE_D\x92IVOIRE_ [CIV]\n+IVORY_\nRUBOVIA_ [RUB]\n");
        assert_eq!(errors(&p), vec![(1, "not UTF-8".into()), (2, "belongs to the refused actor of line 1".into())]);
        assert_eq!(p.actors.len(), 1);
    }
}

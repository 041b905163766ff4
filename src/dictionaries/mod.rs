//! Third-party actor dictionaries turned into demarche gazetteer files.
//!
//! Pure: the caller reads the files and writes the result. [`petrarch`]
//! reads the TABARI/PETRARCH syntax line by line; [`convert`] folds the
//! actors of every file into gazetteer entries (a name met twice, or a
//! name that is another actor's synonym, is one entry) and writes them as
//! TOML the gazetteer loader reads. Nothing is dropped silently: every line,
//! code or synonym left out is a [`Refusal`] with its line and reason.

pub mod convert;
pub mod petrarch;

pub use convert::{FileReport, Importer, Output};

/// Why a line, or a part of it, was not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not UTF-8")]
    NotUtf8,
    #[error("control character in the line")]
    ControlCharacter,
    #[error("`{0}` constructs are not supported")]
    Unsupported(char),
    #[error("empty name")]
    EmptyName,
    #[error("{0} line before any actor")]
    Orphan(&'static str),
    #[error("belongs to the refused actor of line {0}")]
    OfRefusedActor(usize),
    #[error("'+' inside a synonym (two synonyms run together?)")]
    SynonymsRunTogether,
    #[error("codes on a synonym line")]
    CodesOnSynonym,
    #[error("actor has no usable code ({0} synonyms dropped with it)")]
    NoCode(usize),
    #[error("`[` without `]`")]
    Unclosed,
    #[error("[---] (TABARI's \"no code\") is not a code")]
    NullCode,
    #[error("code [{0}] is not CAMEO (capitals in groups of three)")]
    BadCode(String),
    #[error("date {0:?} is not YYMMDD or YYYYMMDD")]
    BadDate(String),
    #[error("range of {0} ends before it starts")]
    EndsBeforeStart(String),
    #[error("text outside brackets after the codes: {0:?}")]
    TrailingText(String),
    #[error("synonym already names another actor ({0}), kept there")]
    NameTaken(String),
}

impl LineError {
    /// The reason without its particulars, for counting refusals by reason.
    pub fn reason(&self) -> &'static str {
        match self {
            LineError::NotUtf8 => "not UTF-8",
            LineError::ControlCharacter => "control character",
            LineError::Unsupported(_) => "unsupported construct",
            LineError::EmptyName => "empty name",
            LineError::Orphan(_) => "line before any actor",
            LineError::OfRefusedActor(_) => "part of a refused actor",
            LineError::SynonymsRunTogether => "synonyms run together",
            LineError::CodesOnSynonym => "codes on a synonym line",
            LineError::NoCode(_) => "actor without a usable code",
            LineError::Unclosed => "unclosed bracket",
            LineError::NullCode => "[---] null code",
            LineError::BadCode(_) => "code not CAMEO",
            LineError::BadDate(_) => "bad date",
            LineError::EndsBeforeStart(_) => "range ends before it starts",
            LineError::TrailingText(_) => "text after the codes",
            LineError::NameTaken(_) => "synonym of another actor",
        }
    }
}

/// A line (or part of one) not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based.
    pub line: usize,
    pub error: LineError,
}

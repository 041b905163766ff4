//! `demarche dictionaries import`: third-party actor dictionaries to one
//! gazetteer file. Reads the files, converts them with
//! [`crate::dictionaries`], writes the TOML, and reports what was kept,
//! merged and refused.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::DictionariesImportArgs;
use crate::config::Config;
use crate::dictionaries::{FileReport, Importer};
use crate::resources_dir::{self, LoadError};

/// Exit status when the gazetteer was written but some lines were refused
/// (2 is clap's for a usage error).
pub const EXIT_SOME_REFUSED: u8 = 3;

/// Refusals of one reason listed one by one; beyond that, only counted.
const SHOWN_PER_REASON: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("loading the gazetteer's countries")]
    Data(#[from] LoadError),
}

/// What the import did, file by file.
#[derive(Debug)]
pub struct Summary {
    pub files: Vec<FileReport>,
    pub persons: usize,
    pub orgs: usize,
}

impl Summary {
    pub fn refused(&self) -> usize {
        self.files.iter().map(|f| f.refused.len()).sum()
    }

    /// The report, a line per file and per reason, with the first refusals of each reason.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for f in &self.files {
            lines.push(format!(
                "{}: kept {} actors, merged {} into earlier ones, {} synonyms, refused {}",
                f.file,
                f.kept,
                f.merged,
                f.synonyms,
                f.refused.len()
            ));
            for (reason, n) in f.refused_by_reason() {
                lines.push(format!("  {n} × {reason}"));
                let of_reason = f.refused.iter().filter(|r| r.error.reason() == reason);
                for r in of_reason.clone().take(SHOWN_PER_REASON) {
                    lines.push(format!("    {}:{}: {}", f.file, r.line, r.error));
                }
                if n > SHOWN_PER_REASON {
                    lines.push(format!("    … and {} more", n - SHOWN_PER_REASON));
                }
            }
        }
        lines
    }

    /// The closing line.
    pub fn line(&self) -> String {
        let (kept, merged) = self.files.iter().fold((0, 0), |(k, m), f| (k + f.kept, m + f.merged));
        format!(
            "imported {} files: {} people and {} organisations ({kept} actors kept, {merged} merged), {} refusals",
            self.files.len(),
            self.persons,
            self.orgs,
            self.refused()
        )
    }
}

/// Runs the import: every file read first (one that cannot be read ends
/// the run before anything is written), then converted and written.
pub fn execute(cfg: &Config, args: &DictionariesImportArgs) -> Result<Summary, ImportError> {
    let mut texts = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let bytes = std::fs::read(path).map_err(|e| ImportError::Read { path: path.clone(), source: e })?;
        texts.push((path.display().to_string(), bytes));
    }
    // Countries of the gazetteer the file will join: the built-in data or --data-dir.
    let res = resources_dir::load_source(&cfg.data_source)?;
    let is_country = |c: &str| res.country_index.contains_key(c);
    let mut importer = Importer::new();
    for (name, bytes) in &texts {
        importer.add_petrarch(name, bytes);
    }
    let out = importer.output(&is_country);
    let write = |w: &mut dyn Write| w.write_all(out.toml.as_bytes()).and_then(|()| w.flush());
    let written = if args.output == "-" {
        write(&mut std::io::stdout().lock())
    } else {
        std::fs::File::create(&args.output).and_then(|mut f| write(&mut f))
    };
    written.map_err(|e| ImportError::Write { path: args.output.clone(), source: e })?;
    Ok(Summary { files: importer.files, persons: out.persons, orgs: out.orgs })
}

//! Where the data files (lexicons, gazetteers, roles) come from, and handing
//! their texts to the pure builder in [`crate::extract::Resources`].
//!
//! The files of `data/` are built into the binary (see `build.rs`), so
//! `demarche` works from any directory with nothing beside it. A data
//! directory given by `--data-dir`, `DEMARCHE__EXTRACT__DATA_DIR` or
//! `extract.data_dir` replaces them, file for file: a user extends demarche by
//! copying `data/`, editing it and pointing there. A directory that was
//! asked for and is missing is an error, never a quiet return to the
//! built-in data.
//!
//! Layout: `lexicon/*.toml` (one per language), `gazetteer/**/*.toml`
//! (countries, people, organisations, groups, media), `roles.toml`, and
//! `codes/cameo.toml`, `codes/plover.toml`, `codes/actors.toml` (CAMEO and
//! PLOVER coding; without them every code is null). The
//! alert rules are the operator's policy, not data: config/alerts.toml is
//! built in beside them ([`BUILTIN_ALERTS`]) and `service.alerts_file` names
//! another file ([`crate::cmd::run::load_rules`]).

use std::path::{Path, PathBuf};

use crate::config::DataSource;
use crate::extract::{fingerprint, DataFile, DataFiles, ResourceError, Resources};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_data.rs"));
}

/// The built-in alert rules (config/alerts.toml at build time).
pub const BUILTIN_ALERTS: &str = builtin::ALERTS;

/// The data fingerprint of the built-in files, computed when the binary was built.
pub const BUILTIN_FINGERPRINT: &str = builtin::FINGERPRINT;

/// What `--version` prints after the name: the crate version and the
/// extractor string events carry with the built-in data.
pub const LONG_VERSION: &str = builtin::LONG_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("data directory {path} (from {origin}) not found")]
    Missing { path: PathBuf, origin: String },
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no {what} in {dir}")]
    Empty { what: &'static str, dir: PathBuf },
    #[error(transparent)]
    Resource(#[from] ResourceError),
}

/// The built-in data files, named by their path under data/ in errors.
pub fn builtin_files() -> DataFiles<'static> {
    let files = |list: &'static [(&'static str, &'static str)]| {
        list.iter().map(|(name, text)| DataFile { name, text }).collect::<Vec<_>>()
    };
    DataFiles {
        lexicons: files(builtin::LEXICONS),
        gazetteers: files(builtin::GAZETTEERS),
        roles: files(builtin::ROLES),
        cameo: files(builtin::CAMEO),
        plover: files(builtin::PLOVER),
        actors: files(builtin::ACTORS),
    }
}

/// Loads and builds the resources of `source`.
pub fn load_source(source: &DataSource) -> Result<Resources, LoadError> {
    match source {
        DataSource::BuiltIn => Ok(Resources::build(&builtin_files())?),
        DataSource::Dir { path, origin } if !path.is_dir() => {
            Err(LoadError::Missing { path: path.clone(), origin: origin.clone() })
        }
        DataSource::Dir { path, .. } => load(path),
    }
}

/// The fingerprint of the built-in texts, computed now (without building the
/// matchers); equals [`BUILTIN_FINGERPRINT`] unless build.rs and
/// [`fingerprint`] disagree.
pub fn builtin_fingerprint() -> String {
    fingerprint(&builtin_files())
}

fn toml_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    if !dir.exists() {
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| LoadError::Read { path: dir.to_path_buf(), source: e })?;
    for entry in rd {
        let entry = entry.map_err(|e| LoadError::Read { path: dir.to_path_buf(), source: e })?;
        let p = entry.path();
        if p.is_dir() && recursive {
            toml_files(&p, true, out)?;
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
    out.sort();
    Ok(())
}

/// Loads and builds every resource under `dir`.
pub fn load(dir: &Path) -> Result<Resources, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::Missing { path: dir.to_path_buf(), origin: "the caller".into() });
    }
    let mut lex = Vec::new();
    toml_files(&dir.join("lexicon"), false, &mut lex)?;
    let mut gaz = Vec::new();
    toml_files(&dir.join("gazetteer"), true, &mut gaz)?;
    let roles = vec![dir.join("roles.toml")];
    let codes = |name: &str| vec![dir.join("codes").join(name)];
    let (cameo, plover, actors) = (codes("cameo.toml"), codes("plover.toml"), codes("actors.toml"));
    if lex.is_empty() {
        return Err(LoadError::Empty { what: "lexicon/*.toml", dir: dir.to_path_buf() });
    }
    let read = |paths: &[PathBuf]| -> Result<Vec<(String, String)>, LoadError> {
        paths
            .iter()
            .filter(|p| p.exists())
            .map(|p| {
                std::fs::read_to_string(p)
                    .map(|t| (p.display().to_string(), t))
                    .map_err(|e| LoadError::Read { path: p.clone(), source: e })
            })
            .collect()
    };
    let (lex, gaz, roles) = (read(&lex)?, read(&gaz)?, read(&roles)?);
    let (cameo, plover, actors) = (read(&cameo)?, read(&plover)?, read(&actors)?);
    let files = DataFiles {
        lexicons: as_files(&lex),
        gazetteers: as_files(&gaz),
        roles: as_files(&roles),
        cameo: as_files(&cameo),
        plover: as_files(&plover),
        actors: as_files(&actors),
    };
    Ok(Resources::build(&files)?)
}

fn as_files(v: &[(String, String)]) -> Vec<DataFile<'_>> {
    v.iter().map(|(n, t)| DataFile { name: n, text: t }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Unit tests run in the crate root, where data/ is the source of the built-in data.
    #[test]
    fn built_in_data_are_the_files_of_data_with_the_same_fingerprint() {
        let from_disk = load(Path::new("data")).unwrap().fingerprint;
        let built_in = load_source(&DataSource::BuiltIn).unwrap().fingerprint;
        assert_eq!(built_in, from_disk, "event ids would change between built-in and on-disk data");
        assert_eq!(builtin_fingerprint(), from_disk);
        assert_eq!(BUILTIN_FINGERPRINT, from_disk, "build.rs computes the fingerprint as the runtime does");
        let files = builtin_files();
        assert_eq!(files.lexicons.len(), std::fs::read_dir("data/lexicon").unwrap().count());
        assert!(files.gazetteers.iter().any(|f| f.name == "gazetteer/people/region.toml"));
        assert_eq!(BUILTIN_ALERTS, std::fs::read_to_string("config/alerts.toml").unwrap());
        assert!(LONG_VERSION.ends_with(&format!("+data.{from_disk})")), "{LONG_VERSION}");
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it_and_its_origin() {
        let src = DataSource::Dir { path: "/nonexistent/demarche-data".into(), origin: "--data-dir".into() };
        let e = load_source(&src).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/demarche-data") && e.contains("--data-dir"), "{e}");
    }
}

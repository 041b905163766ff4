//! Reads the data directory (lexicons, gazetteers, roles) from disk and
//! hands the texts to the pure builder in [`crate::extract::resources`].
//!
//! Layout: `lexicon/*.toml` (one per language), `gazetteer/**/*.toml`
//! (countries, people, organisations, groups, media), `roles.toml`.
//! A user extends demarche by adding or editing files here; nothing is
//! compiled in.

use std::path::{Path, PathBuf};

use crate::extract::resources::{DataFile, DataFiles, ResourceError, Resources};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("data directory {0} not found (set extract.data_dir or DEMARCHE__EXTRACT__DATA_DIR)")]
    Missing(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("no {what} in {dir}")]
    Empty { what: &'static str, dir: PathBuf },
    #[error(transparent)]
    Resource(#[from] ResourceError),
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
        return Err(LoadError::Missing(dir.to_path_buf()));
    }
    let mut lex = Vec::new();
    toml_files(&dir.join("lexicon"), false, &mut lex)?;
    let mut gaz = Vec::new();
    toml_files(&dir.join("gazetteer"), true, &mut gaz)?;
    let roles = vec![dir.join("roles.toml")];
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
    let files = DataFiles { lexicons: as_files(&lex), gazetteers: as_files(&gaz), roles: as_files(&roles) };
    Ok(Resources::build(&files)?)
}

fn as_files(v: &[(String, String)]) -> Vec<DataFile<'_>> {
    v.iter().map(|(n, t)| DataFile { name: n, text: t }).collect()
}

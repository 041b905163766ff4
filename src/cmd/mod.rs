//! One module per subcommand; `main.rs` only dispatches.

pub mod dictionaries;
pub mod extract;
pub mod quickstart;
pub mod replay;
pub mod run;
pub mod subscribe;
pub mod topics;

use crate::article::Limits;
use crate::config::Config;
use crate::extract::Extractor;
use crate::pipeline::Pipeline;
use crate::resources_dir;

/// Builds the shared pipeline from a configuration: loads every data file,
/// built in or from the configured data directory.
pub fn build_pipeline(cfg: &Config) -> Result<Pipeline, resources_dir::LoadError> {
    let res = resources_dir::load_source(&cfg.data_source)?;
    Ok(Pipeline::new(Extractor::new(res), Limits { max_record_bytes: cfg.extract.max_record_bytes }))
}

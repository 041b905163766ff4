//! Where a replay stands, on disk: the plan it was started with (so a
//! resumed replay covers the same range with the same filters and outputs,
//! whatever the topic looks like by then) and, per partition, the next
//! offset to process. Written after each batch's outputs are safe, by
//! writing a temporary file and renaming it over the old one, so a crash
//! leaves either the old checkpoint or the new one, never half of one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::time_index::Basis;
use super::window::{PublishedWindow, TimeWindow};
use super::Summary;

pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot read checkpoint {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("checkpoint {path} is not a demarche replay checkpoint: {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("checkpoint {path} has version {found}; this demarche writes version {VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write checkpoint {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// One partition's range: `[start, end)`, and how each end was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRange {
    pub start: i64,
    pub end: i64,
    pub start_basis: Basis,
    pub end_basis: Basis,
}

/// Where the outputs go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to")]
pub enum Sink {
    Topics { statements: String, alerts: String, dead_letter: String },
    Files { statements: PathBuf, alerts: Option<PathBuf>, rejects: Option<PathBuf> },
}

/// Everything a replay was asked to do, resolved to offsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub input_topic: String,
    pub partitions: BTreeMap<i32, PartitionRange>,
    pub time: TimeWindow,
    pub published: PublishedWindow,
    pub sink: Sink,
    /// The extractor that started the replay; a resumed replay under a
    /// different one would mix event ids, and is refused.
    pub extractor: String,
}

impl Plan {
    /// Offsets in the range over every partition (records, less any gaps).
    pub fn total(&self) -> u64 {
        self.partitions.values().map(|r| (r.end - r.start).max(0) as u64).sum()
    }
}

/// Byte lengths of the output files when the checkpoint was written: a
/// resumed replay cuts the files back to them, so lines written after the
/// checkpoint (by a run that was then killed) are not there twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLengths {
    pub statements: u64,
    pub alerts: u64,
    pub rejects: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub plan: Plan,
    /// Next offset to process, per partition.
    pub next: BTreeMap<i32, i64>,
    pub summary: Summary,
    #[serde(default)]
    pub files: FileLengths,
    pub done: bool,
    pub started_at: String,
    pub updated_at: String,
}

impl Checkpoint {
    pub fn new(plan: Plan, now: &str) -> Self {
        let next = plan.partitions.iter().map(|(p, r)| (*p, r.start)).collect();
        Checkpoint {
            version: VERSION,
            plan,
            next,
            summary: Summary::default(),
            files: FileLengths::default(),
            done: false,
            started_at: now.to_string(),
            updated_at: now.to_string(),
        }
    }

    /// Offsets processed so far over every partition.
    pub fn done_offsets(&self) -> u64 {
        self.plan
            .partitions
            .iter()
            .map(|(p, r)| (self.next.get(p).copied().unwrap_or(r.start).min(r.end) - r.start).max(0) as u64)
            .sum()
    }

    /// Partitions with offsets left, and where each resumes.
    pub fn remaining(&self) -> BTreeMap<i32, i64> {
        self.plan
            .partitions
            .iter()
            .filter_map(|(p, r)| {
                let next = self.next.get(p).copied().unwrap_or(r.start);
                (next < r.end).then_some((*p, next))
            })
            .collect()
    }

    pub fn load(path: &Path) -> Result<Option<Checkpoint>, CheckpointError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CheckpointError::Read { path: path.into(), source: e }),
        };
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let v: Versioned =
            serde_json::from_str(&text).map_err(|e| CheckpointError::Parse { path: path.into(), source: e })?;
        if v.version != VERSION {
            return Err(CheckpointError::Version { path: path.into(), found: v.version });
        }
        serde_json::from_str(&text).map(Some).map_err(|e| CheckpointError::Parse { path: path.into(), source: e })
    }

    /// Writes the checkpoint durably: temporary file, fsync, rename.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let err = |e| CheckpointError::Write { path: path.into(), source: e };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(&serde_json::to_vec_pretty(self).expect("checkpoints serialise")).map_err(err)?;
        f.sync_data().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let r = |start, end| PartitionRange { start, end, start_basis: Basis::Given, end_basis: Basis::Given };
        Plan {
            input_topic: "articles".into(),
            partitions: [(0, r(0, 10)), (1, r(5, 5)), (2, r(3, 9))].into_iter().collect(),
            time: TimeWindow { from_ms: Some(1), to_ms: None },
            published: PublishedWindow::default(),
            sink: Sink::Topics { statements: "s".into(), alerts: "a".into(), dead_letter: "d".into() },
            extractor: "demarche/test".into(),
        }
    }

    #[test]
    fn counts_what_is_done_and_what_remains() {
        let mut c = Checkpoint::new(plan(), "2026-11-29T00:00:00Z");
        assert_eq!(c.plan.total(), 16);
        assert_eq!(c.done_offsets(), 0);
        assert_eq!(c.remaining().into_iter().collect::<Vec<_>>(), vec![(0, 0), (2, 3)]);
        c.next.insert(0, 10);
        c.next.insert(2, 4);
        assert_eq!(c.done_offsets(), 11);
        assert_eq!(c.remaining().into_iter().collect::<Vec<_>>(), vec![(2, 4)]);
    }

    #[test]
    fn survives_a_round_trip_through_disk_and_refuses_strangers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replay.json");
        assert!(Checkpoint::load(&path).unwrap().is_none());
        let mut c = Checkpoint::new(plan(), "2026-11-29T00:00:00Z");
        c.summary.read = 3;
        c.files.statements = 1234;
        c.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap().unwrap(), c);
        std::fs::write(&path, r#"{"version":99}"#).unwrap();
        assert!(matches!(Checkpoint::load(&path), Err(CheckpointError::Version { found: 99, .. })));
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(Checkpoint::load(&path), Err(CheckpointError::Parse { .. })));
    }
}

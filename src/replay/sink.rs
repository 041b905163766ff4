//! Where a replay's outputs go: the topics (through the same producer code
//! as the live service) or JSONL files.
//!
//! A sink takes each record's outcome as typed outputs ([`Output`]):
//! statements, alerts and dead letters with their reason, kind and source
//! position. The topic sink produces the records the extraction built for
//! the sink's topics; the file sink writes statements and alerts as their
//! payloads (the bytes a topic would hold) and a dead letter as one line
//! naming where the record was and why it failed. [`Sink::commit`] makes a
//! batch durable before the checkpoint moves past it.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use rdkafka::error::KafkaError;

use crate::config::Config;
use crate::kafka::client::{apply_passthrough, LoggingContext};
use crate::kafka::produce::{self, OutputProducer};
use crate::replay::checkpoint::{self, FileLengths};
use crate::service::records::{Outcome, OutputKind, OutputRecord, OutputTopics, Rejection};

/// Why a sink failed.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("{path}: {source}")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("{path} is {found} bytes, shorter than the {expected} the checkpoint recorded: it was changed since")]
    OutputShrank { path: PathBuf, found: u64, expected: u64 },
    #[error("outputs could not be delivered ({0}); the checkpoint holds the last safe position: resume with --resume")]
    Delivery(KafkaError),
}

/// One output of a replayed record.
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    Statement(&'a OutputRecord),
    Alert(&'a OutputRecord),
    DeadLetter(&'a OutputRecord, &'a Rejection),
}

impl<'a> Output<'a> {
    /// The outputs of one outcome, in the order they are produced.
    pub fn of(outcome: &'a Outcome) -> impl Iterator<Item = Output<'a>> + 'a {
        outcome.records.iter().zip(&outcome.kinds).map(move |(r, k)| match k {
            OutputKind::Statement => Output::Statement(r),
            OutputKind::Alert => Output::Alert(r),
            OutputKind::DeadLetter => {
                Output::DeadLetter(r, outcome.rejection.as_ref().expect("a dead letter has its rejection"))
            }
        })
    }

    /// The record the topic sink produces.
    fn record(&self) -> &'a OutputRecord {
        match *self {
            Output::Statement(r) | Output::Alert(r) | Output::DeadLetter(r, _) => r,
        }
    }
}

/// The topics the extraction builds records for. Outputs are sized for the
/// producer whatever the sink, so a replay into files gives what the live
/// service (and a replay into topics) would have published; with files the
/// names only appear in the reason of an output too large to produce.
pub fn output_topics(sink: &checkpoint::Sink) -> OutputTopics {
    match sink {
        checkpoint::Sink::Topics { statements, alerts, dead_letter } => {
            OutputTopics { statements: statements.clone(), alerts: alerts.clone(), dead_letter: dead_letter.clone() }
        }
        checkpoint::Sink::Files { .. } => {
            OutputTopics { statements: "statements".into(), alerts: "alerts".into(), dead_letter: "rejects".into() }
        }
    }
}

/// An open sink.
pub enum Sink {
    Kafka(OutputProducer),
    Files(FileSink),
}

impl Sink {
    /// Opens the sink a plan names; a resumed replay's files are cut back to
    /// the lengths its checkpoint recorded (`resume`).
    pub fn open(cfg: &Config, sink: &checkpoint::Sink, resume: Option<FileLengths>) -> Result<Sink, SinkError> {
        match sink {
            checkpoint::Sink::Topics { .. } => {
                let mut c = produce::idempotent_producer(cfg);
                apply_passthrough(&mut c, cfg);
                Ok(Sink::Kafka(c.create_with_context(LoggingContext)?))
            }
            checkpoint::Sink::Files { statements, alerts, rejects } => Ok(Sink::Files(FileSink {
                statements: open_file(statements, resume.map(|l| l.statements))?,
                alerts: alerts.as_deref().map(|p| open_file(p, resume.map(|l| l.alerts))).transpose()?,
                rejects: rejects.as_deref().map(|p| open_file(p, resume.map(|l| l.rejects))).transpose()?,
            })),
        }
    }

    /// Writes the outputs of a batch (for topics: until every one is acknowledged).
    pub async fn write(&mut self, outputs: &[Output<'_>]) -> Result<(), SinkError> {
        match self {
            Sink::Kafka(p) => {
                let records: Vec<&OutputRecord> = outputs.iter().map(Output::record).collect();
                produce::deliver(p, &records).await.map_err(SinkError::Delivery)
            }
            Sink::Files(f) => f.write(outputs),
        }
    }

    /// Makes the batch durable; for files, returns their lengths.
    pub fn commit(&mut self) -> Result<Option<FileLengths>, SinkError> {
        match self {
            Sink::Kafka(_) => Ok(None),
            Sink::Files(f) => f.commit().map(Some),
        }
    }

    /// Waits (up to 30 s, on the blocking pool) for what the producer still holds.
    pub async fn flush(&self) {
        if let Sink::Kafka(p) = self {
            let p = p.clone();
            let _ = crate::kafka::consume::blocking(move || {
                rdkafka::producer::Producer::flush(&p, std::time::Duration::from_secs(30))
            })
            .await;
        }
    }
}

/// The JSONL files of a replay into files; alerts and rejects are optional.
pub struct FileSink {
    statements: (PathBuf, BufWriter<File>),
    alerts: Option<(PathBuf, BufWriter<File>)>,
    rejects: Option<(PathBuf, BufWriter<File>)>,
}

fn open_file(path: &Path, len: Option<u64>) -> Result<(PathBuf, BufWriter<File>), SinkError> {
    let err = |e| SinkError::Output { path: path.into(), source: e };
    let f = match len {
        None => File::create(path).map_err(err)?,
        Some(len) => {
            let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path).map_err(err)?;
            let found = f.metadata().map_err(err)?.len();
            if found < len {
                return Err(SinkError::OutputShrank { path: path.into(), found, expected: len });
            }
            // Lines written after the checkpoint belong to batches that will be replayed.
            f.set_len(len).map_err(err)?;
            f.seek(std::io::SeekFrom::End(0)).map_err(err)?;
            f
        }
    };
    Ok((path.into(), BufWriter::with_capacity(1 << 20, f)))
}

impl FileSink {
    fn write(&mut self, outputs: &[Output<'_>]) -> Result<(), SinkError> {
        for o in outputs {
            let (target, line) = match o {
                Output::Statement(r) => (Some(&mut self.statements), r.payload.clone()),
                Output::Alert(r) => (self.alerts.as_mut(), r.payload.clone()),
                Output::DeadLetter(_, why) => (self.rejects.as_mut(), reject_line(why)),
            };
            if let Some((path, w)) = target {
                let err = |e| SinkError::Output { path: path.clone(), source: e };
                w.write_all(&line).map_err(err)?;
                w.write_all(b"\n").map_err(err)?;
            }
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<FileLengths, SinkError> {
        let len = |slot: Option<&mut (PathBuf, BufWriter<File>)>| -> Result<u64, SinkError> {
            let Some((path, w)) = slot else { return Ok(0) };
            let err = |e| SinkError::Output { path: path.clone(), source: e };
            w.flush().map_err(err)?;
            let f = w.get_mut();
            f.sync_data().map_err(err)?;
            f.stream_position().map_err(err)
        };
        Ok(FileLengths {
            statements: len(Some(&mut self.statements))?,
            alerts: len(self.alerts.as_mut())?,
            rejects: len(self.rejects.as_mut())?,
        })
    }
}

/// A dead letter written to a file: where the record was and why it failed.
fn reject_line(r: &Rejection) -> Vec<u8> {
    let v = serde_json::json!({
        "topic": r.topic,
        "partition": i64::from(r.partition),
        "offset": r.offset,
        "kind": r.kind,
        "reason": r.reason,
    });
    serde_json::to_vec(&v).expect("JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reject_line_names_the_source_position_kind_and_reason() {
        let r = Rejection {
            kind: "invalid_json",
            reason: "not JSON: expected value at line 1".into(),
            topic: "articles".into(),
            partition: 2,
            offset: 41,
        };
        let line: serde_json::Value = serde_json::from_slice(&reject_line(&r)).unwrap();
        assert_eq!(
            line,
            serde_json::json!({"topic": "articles", "partition": 2, "offset": 41, "kind": "invalid_json", "reason": "not JSON: expected value at line 1"})
        );
    }
}

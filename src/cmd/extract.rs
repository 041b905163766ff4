//! `demarche extract`: article JSONL in, statement-event JSONL out, through
//! the same [`Pipeline`] the Kafka service uses.
//!
//! A bad line never stops the run: it is reported on stderr with its line
//! number and reason, written to `--rejects` as JSON, and counted. Only a
//! failure to read the input or write the output is an error.

use std::io::{self, BufRead, BufWriter, Write};
use std::time::Instant;

use serde::Serialize;

use crate::article::Reject;
use crate::pipeline::Pipeline;

/// Counts of one run, printed as the closing summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Non-blank lines read.
    pub read: u64,
    /// Lines that became articles (with or without statements).
    pub extracted: u64,
    pub rejected: u64,
    pub statements: u64,
    pub bytes: u64,
    /// Blank lines, skipped and counted.
    pub blank: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("reading input: {0}")]
    Input(#[source] io::Error),
    #[error("writing output: {0}")]
    Output(#[source] io::Error),
    #[error("writing rejects: {0}")]
    Rejects(#[source] io::Error),
}

/// One rejected line, as written to `--rejects`.
#[derive(Serialize)]
struct RejectLine<'a> {
    line: u64,
    kind: &'static str,
    reason: String,
    /// The start of the line (lossily decoded, at most 200 characters) to find it again.
    excerpt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

/// Reads one line of at most `limit` bytes; a longer line is consumed to its
/// end and reported by its size, so a 1 GB line costs no memory.
fn read_bounded_line(r: &mut impl BufRead, buf: &mut Vec<u8>, limit: usize) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if total == 0 { None } else { Some(total) });
        }
        let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(p) => (p + 1, true),
            None => (chunk.len(), false),
        };
        let content = if done { &chunk[..used - 1] } else { &chunk[..used] };
        if buf.len() + content.len() <= limit + 1 {
            buf.extend_from_slice(content);
        }
        total += content.len();
        r.consume(used);
        if done {
            return Ok(Some(total));
        }
    }
}

/// Runs the extraction over `input`, writing events to `output` and rejected
/// lines to `rejects` (when given).
pub fn run(
    pipeline: &Pipeline,
    input: &mut impl BufRead,
    output: &mut impl Write,
    mut rejects: Option<&mut dyn Write>,
    max_record_bytes: usize,
) -> Result<Summary, ExtractError> {
    let mut s = Summary::default();
    let mut line = Vec::new();
    let mut n = 0u64;
    let mut out = BufWriter::new(output);
    while let Some(size) = read_bounded_line(input, &mut line, max_record_bytes).map_err(ExtractError::Input)? {
        n += 1;
        if line.iter().all(|b| b.is_ascii_whitespace()) && size == line.len() {
            s.blank += 1;
            continue;
        }
        s.read += 1;
        s.bytes += size as u64;
        let result = if size > max_record_bytes {
            Err(Reject::TooLarge { size, limit: max_record_bytes })
        } else {
            let trimmed = line.strip_suffix(b"\r").unwrap_or(&line);
            pipeline.process(trimmed)
        };
        match result {
            Ok(p) => {
                s.extracted += 1;
                for e in &p.events {
                    serde_json::to_writer(&mut out, e).map_err(|e| ExtractError::Output(e.into()))?;
                    out.write_all(b"\n").map_err(ExtractError::Output)?;
                    s.statements += 1;
                }
            }
            Err(reason) => {
                s.rejected += 1;
                tracing::warn!(line = n, kind = reason.kind(), "rejected: {reason}");
                if let Some(w) = rejects.as_deref_mut() {
                    let excerpt: String =
                        String::from_utf8_lossy(&line[..line.len().min(800)]).chars().take(200).collect();
                    let rl = RejectLine { line: n, kind: reason.kind(), reason: reason.to_string(), excerpt, id: None };
                    serde_json::to_writer(&mut *w, &rl).map_err(|e| ExtractError::Rejects(e.into()))?;
                    w.write_all(b"\n").map_err(ExtractError::Rejects)?;
                }
            }
        }
    }
    out.flush().map_err(ExtractError::Output)?;
    if let Some(w) = rejects {
        w.flush().map_err(ExtractError::Rejects)?;
    }
    Ok(s)
}

/// The closing line on stderr.
pub fn report(s: &Summary, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 { s.read as f64 / secs } else { 0.0 };
    format!(
        "read {} articles ({:.1} MB), extracted {}, rejected {}, wrote {} statements, skipped {} blank lines in {:.2}s ({:.0} articles/s)",
        s.read,
        s.bytes as f64 / 1e6,
        s.extracted,
        s.rejected,
        s.statements,
        s.blank,
        secs,
        rate
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_do_not_grow_past_the_limit() {
        let data = format!("short\n{}\nlast", "x".repeat(10_000));
        let mut r = io::Cursor::new(data.into_bytes());
        let mut buf = Vec::new();
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100).unwrap(), Some(5));
        assert_eq!(buf, b"short");
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100).unwrap(), Some(10_000));
        assert!(buf.len() <= 101);
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100).unwrap(), Some(4));
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100).unwrap(), None);
    }
}

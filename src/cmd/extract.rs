//! `demarche extract`: article JSONL in, statement-event JSONL out, through
//! the same [`Pipeline`] the Kafka service uses.
//!
//! A bad line never stops the run: it is reported on stderr with its line
//! number and reason, written to `--rejects` as JSON, and counted. Only a
//! failure to read the input or write the output is an error.
//!
//! A UTF-8 byte-order mark before the first line (as some Windows tools
//! write) is skipped. On a terminal, [`Progress`] keeps one status line on
//! stderr up to date.
//!
//! [`Request`] is the command's flags, [`execute`] the command run on them
//! (in `request.rs`); the rest is the extraction loop they drive.

use std::io::{self, BufRead, BufWriter, Write};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::article::Reject;
use crate::pipeline::Pipeline;
use crate::service::records::{panic_message, Failure};

mod request;
pub use request::{execute, Ended, Request};

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
    #[error("{flag} {path} is the input file {input}: refusing to overwrite it (write to another file)")]
    SameFile { flag: &'static str, path: String, input: String },
    #[error("opening {path}")]
    Open {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("creating {path}")]
    Create {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("loading lexicons and gazetteers")]
    Data(#[source] crate::resources_dir::LoadError),
}

/// Refuses an `--output` or `--rejects` that is the input file, however it is
/// spelt (`./a.jsonl`, a symlink, a hard link): opening it for writing would
/// truncate the input before a line is read. Files are compared by device and
/// inode; an input of `-` is compared through what stdin is (`< a.jsonl`).
/// An output that does not exist yet cannot be the input.
pub fn refuse_overwriting_input(
    input: &str,
    output: &str,
    rejects: Option<&std::path::Path>,
) -> Result<(), ExtractError> {
    use std::os::unix::fs::MetadataExt;
    let input_path = if input == "-" { "/dev/stdin" } else { input };
    let Ok(inp) = std::fs::metadata(input_path) else {
        return Ok(());
    };
    // Only a regular file can be truncated under us; a pipe or a terminal cannot.
    if !inp.is_file() {
        return Ok(());
    }
    let outputs = [
        ("--output", (output != "-").then(|| std::path::PathBuf::from(output))),
        ("--rejects", rejects.map(|p| p.to_path_buf())),
    ];
    for (flag, path) in outputs {
        let Some(path) = path else { continue };
        if let Ok(m) = std::fs::metadata(&path) {
            if (m.dev(), m.ino()) == (inp.dev(), inp.ino()) {
                let input = if input == "-" { "(stdin)".to_string() } else { input.to_string() };
                return Err(ExtractError::SameFile { flag, path: path.display().to_string(), input });
            }
        }
    }
    Ok(())
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
/// end and reported by its size, so a 1 GB line costs no memory. Every byte
/// taken from `r` (the newline too) is added to `consumed`.
fn read_bounded_line(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
    consumed: &mut u64,
) -> io::Result<Option<usize>> {
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
        *consumed += used as u64;
        r.consume(used);
        if done {
            return Ok(Some(total));
        }
    }
}

/// The UTF-8 encoding of U+FEFF, the byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Runs the extraction over `input`, writing events to `output` and rejected
/// lines to `rejects` (when given).
pub fn run(
    pipeline: &Pipeline,
    input: &mut impl BufRead,
    output: &mut impl Write,
    rejects: Option<&mut dyn Write>,
    max_record_bytes: usize,
) -> Result<Summary, ExtractError> {
    run_with_progress(pipeline, input, output, rejects, max_record_bytes, &mut Progress::off())
}

/// [`run`], keeping `progress` up to date.
pub fn run_with_progress(
    pipeline: &Pipeline,
    input: &mut impl BufRead,
    output: &mut impl Write,
    mut rejects: Option<&mut dyn Write>,
    max_record_bytes: usize,
    progress: &mut Progress,
) -> Result<Summary, ExtractError> {
    let mut s = Summary::default();
    let mut line = Vec::new();
    let mut n = 0u64;
    let mut consumed = 0u64;
    let mut out = BufWriter::new(output);
    while let Some(mut size) =
        read_bounded_line(input, &mut line, max_record_bytes, &mut consumed).map_err(ExtractError::Input)?
    {
        n += 1;
        if n == 1 && line.starts_with(BOM) {
            line.drain(..BOM.len());
            size -= BOM.len();
        }
        if line.iter().all(|b| b.is_ascii_whitespace()) && size == line.len() {
            s.blank += 1;
            continue;
        }
        s.read += 1;
        s.bytes += size as u64;
        let result = if size > max_record_bytes {
            Err(Failure::Rejected(Reject::TooLarge { size, limit: max_record_bytes }))
        } else {
            let trimmed = line.strip_suffix(b"\r").unwrap_or(&line);
            // A bug that panics on one article costs that line (a reject of kind
            // `internal`), as in the service, not the run: the pipeline is read-only,
            // so nothing is left half-changed for the next line.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline.process(trimmed))) {
                Ok(r) => r.map_err(Failure::Rejected),
                Err(panic) => Err(Failure::Internal(panic_message(panic.as_ref()))),
            }
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
                // A log line written over the progress line would be mixed with it.
                progress.clear();
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
        progress.tick(&s, consumed);
    }
    progress.clear();
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

/// One status line on a terminal: articles, statements, rate, and bytes read
/// out of the input's size when it is known. Redrawn at most every
/// [`Progress::EVERY`] and erased at the end, so the closing summary and any
/// log line start on a clean line.
pub struct Progress {
    /// Where the line goes (stderr); `None` shows nothing.
    out: Option<Box<dyn Write + Send>>,
    /// The input's size, when it is a file.
    total_bytes: Option<u64>,
    started: Instant,
    /// When the line was last drawn; `None` until the first draw, so a short run shows one too.
    drawn_at: Option<Instant>,
    /// Whether the line is on screen (and must be erased before anything else is written).
    visible: bool,
}

impl Progress {
    /// At most this often: a few times a second is readable and costs nothing.
    pub const EVERY: Duration = Duration::from_millis(200);

    /// No display (not a terminal, or a test).
    pub fn off() -> Progress {
        Progress { out: None, total_bytes: None, started: Instant::now(), drawn_at: None, visible: false }
    }

    /// A display on `out`, which must be a terminal: the line is redrawn in place with `\r`.
    pub fn on(out: Box<dyn Write + Send>, total_bytes: Option<u64>) -> Progress {
        Progress { out: Some(out), total_bytes, started: Instant::now(), drawn_at: None, visible: false }
    }

    fn tick(&mut self, s: &Summary, consumed: u64) {
        if self.out.is_none() || self.drawn_at.is_some_and(|t| t.elapsed() < Self::EVERY) {
            return;
        }
        let text = self.text(s, consumed);
        self.drawn_at = Some(Instant::now());
        if let Some(w) = self.out.as_mut() {
            // A display that cannot be written is not worth failing the run for.
            let _ = write!(w, "\r\x1b[2K{text}").and_then(|()| w.flush());
            self.visible = true;
        }
    }

    fn text(&self, s: &Summary, consumed: u64) -> String {
        use crate::replay::progress::thousands;
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { s.read as f64 / secs } else { 0.0 };
        let mb = |b: u64| b as f64 / 1e6;
        let bytes = match self.total_bytes {
            Some(t) if t > 0 => {
                let done = consumed.min(t);
                format!("{:.1}/{:.1} MB ({:.0}%)", mb(done), mb(t), done as f64 * 100.0 / t as f64)
            }
            _ => format!("{:.1} MB", mb(consumed)),
        };
        format!(
            "{} articles  {} statements  {} articles/s  {bytes}",
            thousands(s.read),
            thousands(s.statements),
            thousands(rate.round() as u64)
        )
    }

    /// Erases the line if it is shown; the next tick draws it again.
    pub fn clear(&mut self) {
        if !std::mem::take(&mut self.visible) {
            return;
        }
        if let Some(w) = self.out.as_mut() {
            let _ = w.write_all(b"\r\x1b[2K").and_then(|()| w.flush());
        }
        self.drawn_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_do_not_grow_past_the_limit() {
        let data = format!("short\n{}\nlast", "x".repeat(10_000));
        let mut r = io::Cursor::new(data.into_bytes());
        let mut buf = Vec::new();
        let mut n = 0;
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100, &mut n).unwrap(), Some(5));
        assert_eq!(buf, b"short");
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100, &mut n).unwrap(), Some(10_000));
        assert!(buf.len() <= 101);
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100, &mut n).unwrap(), Some(4));
        assert_eq!(read_bounded_line(&mut r, &mut buf, 100, &mut n).unwrap(), None);
        assert_eq!(n, 6 + 10_001 + 4);
    }

    /// A writer the test can read after handing it to [`Progress`].
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn progress_draws_in_place_at_most_a_few_times_a_second_and_is_erased() {
        let screen = Shared::default();
        let mut p = Progress::on(Box::new(screen.clone()), Some(2_000_000));
        let s = Summary { read: 1234, statements: 5678, ..Summary::default() };
        p.tick(&s, 1_000_000);
        // Within the interval nothing more is drawn, however many lines go by.
        for _ in 0..1000 {
            p.tick(&s, 1_500_000);
        }
        p.clear();
        let text = String::from_utf8(screen.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches('\r').count(), 2, "{text:?}");
        assert!(text.starts_with("\r\x1b[2K1,234 articles  5,678 statements  "), "{text:?}");
        assert!(text.contains("1.0/2.0 MB (50%)"), "{text:?}");
        assert!(text.ends_with("\r\x1b[2K"), "{text:?}");
        // Nothing left to erase: a second clear writes nothing.
        p.clear();
        assert_eq!(screen.0.lock().unwrap().len(), text.len());
    }

    #[test]
    fn no_progress_is_written_when_off() {
        let mut p = Progress::off();
        p.tick(&Summary::default(), 10);
        p.clear();
        assert!(p.out.is_none() && !p.visible);
    }

    #[test]
    fn a_panic_on_one_line_is_an_internal_reject_and_the_run_goes_on() {
        let mut p =
            crate::cmd::build_pipeline(&crate::config::Config::load_with_env(None, Vec::new()).unwrap()).unwrap();
        p.panic_on = Some("PANIC-HERE");
        let line = |id: &str| {
            format!(
                r#"{{"id":"{id}","lang":"en","body":"Russian Foreign Minister Sergei Lavrov said talks would resume."}}"#
            )
        };
        let input = format!("{}\n{}\n", line("PANIC-HERE"), line("fine"));
        let (mut out, mut rejects) = (Vec::new(), Vec::new());
        let s = run(&p, &mut io::Cursor::new(input), &mut out, Some(&mut rejects), 1 << 20).unwrap();
        assert_eq!((s.read, s.rejected, s.extracted), (2, 1, 1));
        assert!(s.statements > 0, "the next line is extracted");
        let r: serde_json::Value = serde_json::from_slice(rejects.split(|b| *b == b'\n').next().unwrap()).unwrap();
        assert_eq!((r["line"].as_u64(), r["kind"].as_str()), (Some(1), Some("internal")));
        assert!(r["reason"].as_str().unwrap().contains("test panic"), "{r}");
    }
}

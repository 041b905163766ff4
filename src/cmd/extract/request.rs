//! `extract`'s flags as a request, and the command run on it: the files
//! opened (or stdin and stdout), the pipeline built, the progress line on a
//! terminal, and the end of a run whose reader went away told apart from a
//! failure.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::time::Instant;

use super::{refuse_overwriting_input, run_with_progress, ExtractError, Progress, Summary};
use crate::cli::ExtractArgs;
use crate::config::Config;

/// The spelling of stdin (`--input`) and stdout (`--output`).
const STDIO: &str = "-";

/// What `demarche extract` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// A file, or [`None`] for stdin.
    pub input: Option<PathBuf>,
    /// A file, or [`None`] for stdout.
    pub output: Option<PathBuf>,
    /// Where rejected lines go, when anywhere.
    pub rejects: Option<PathBuf>,
    /// Draw the progress line: only when stderr is a terminal.
    pub progress: bool,
}

impl Request {
    /// The flags as a request; `stderr_is_terminal` decides the progress line.
    pub fn from_args(args: &ExtractArgs, stderr_is_terminal: bool) -> Request {
        let file = |s: &str| (s != STDIO).then(|| PathBuf::from(s));
        Request {
            input: file(&args.input),
            output: file(&args.output),
            rejects: args.rejects.clone(),
            progress: stderr_is_terminal,
        }
    }
}

/// How a run ended that was not a failure.
#[derive(Debug)]
pub enum Ended {
    /// Every line read; the summary to report.
    Done(Summary),
    /// The reader of stdout went away (`| head`): reading stopped, quietly and
    /// successfully, as the reader asked for no more; no summary, since the
    /// run was cut short.
    OutputClosed,
}

/// Runs `extract` on `req` with `cfg`'s data and record limit.
pub fn execute(cfg: &Config, req: &Request) -> Result<Ended, ExtractError> {
    let started = Instant::now();
    let name = |p: &Option<PathBuf>| p.as_ref().map_or(STDIO.to_string(), |p| p.display().to_string());
    // Before anything is opened for writing: creating the output would truncate the input.
    refuse_overwriting_input(&name(&req.input), &name(&req.output), req.rejects.as_deref())?;
    let pipeline = crate::cmd::build_pipeline(cfg).map_err(ExtractError::Data)?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "resources loaded");
    let mut total_bytes = None;
    let mut input: Box<dyn io::BufRead> = match &req.input {
        None => Box::new(io::stdin().lock()),
        Some(p) => {
            let file = File::open(p).map_err(|e| ExtractError::Open { path: p.display().to_string(), source: e })?;
            total_bytes = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            Box::new(BufReader::with_capacity(1 << 20, file))
        }
    };
    let create =
        |p: &PathBuf| File::create(p).map_err(|e| ExtractError::Create { path: p.display().to_string(), source: e });
    let mut output: Box<dyn Write> = match &req.output {
        None => Box::new(io::stdout().lock()),
        Some(p) => Box::new(create(p)?),
    };
    let mut rejects = match &req.rejects {
        Some(p) => Some(io::BufWriter::new(create(p)?)),
        None => None,
    };
    let mut progress = if req.progress { Progress::on(Box::new(io::stderr()), total_bytes) } else { Progress::off() };
    let result = run_with_progress(
        &pipeline,
        &mut input,
        &mut output,
        rejects.as_mut().map(|w| w as &mut dyn Write),
        cfg.extract.max_record_bytes,
        &mut progress,
    );
    progress.clear();
    match result {
        Ok(summary) => Ok(Ended::Done(summary)),
        Err(ExtractError::Output(e)) if req.output.is_none() && e.kind() == io::ErrorKind::BrokenPipe => {
            Ok(Ended::OutputClosed)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(input: &str, output: &str, rejects: Option<&str>) -> ExtractArgs {
        ExtractArgs { input: input.into(), output: output.into(), rejects: rejects.map(PathBuf::from) }
    }

    #[test]
    fn a_dash_is_stdin_or_stdout_and_progress_needs_a_terminal() {
        let r = Request::from_args(&args("-", "-", None), false);
        assert_eq!(r, Request { input: None, output: None, rejects: None, progress: false });
        let r = Request::from_args(&args("in.jsonl", "out.jsonl", Some("bad.jsonl")), true);
        assert_eq!(r.input.as_deref(), Some(std::path::Path::new("in.jsonl")));
        assert_eq!(r.output.as_deref(), Some(std::path::Path::new("out.jsonl")));
        assert_eq!(r.rejects.as_deref(), Some(std::path::Path::new("bad.jsonl")));
        assert!(r.progress);
    }

    #[test]
    fn a_run_on_files_writes_events_and_rejects_and_names_what_it_cannot_open() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).display().to_string();
        let article = r#"{"id":"a","lang":"en","published_at":"2016-05-03","body":"Turkish President Recep Tayyip Erdogan warned Russia that Ankara would respond."}"#;
        std::fs::write(p("in.jsonl"), format!("{article}\nnot json\n")).unwrap();
        let cfg = Config::load_with_env(None, Vec::new()).unwrap();
        let req = Request::from_args(&args(&p("in.jsonl"), &p("out.jsonl"), Some(&p("bad.jsonl"))), false);
        let Ended::Done(s) = execute(&cfg, &req).unwrap() else { panic!("not done") };
        assert_eq!((s.read, s.rejected), (2, 1));
        assert_eq!(std::fs::read_to_string(p("out.jsonl")).unwrap().lines().count() as u64, s.statements);
        assert_eq!(std::fs::read_to_string(p("bad.jsonl")).unwrap().lines().count(), 1);
        // The input that is not there is named, and so is the operation.
        let req = Request::from_args(&args(&p("none.jsonl"), &p("out.jsonl"), None), false);
        let e = execute(&cfg, &req).unwrap_err().to_string();
        assert!(e.starts_with("opening ") && e.contains("none.jsonl"), "{e}");
        // An output that is the input is refused before it is truncated.
        let req = Request::from_args(&args(&p("in.jsonl"), &p("in.jsonl"), None), false);
        assert!(matches!(execute(&cfg, &req), Err(ExtractError::SameFile { .. })));
        assert!(std::fs::read_to_string(p("in.jsonl")).unwrap().starts_with(article));
    }
}

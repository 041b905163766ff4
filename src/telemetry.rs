//! Logging, set up once: readable lines by default, JSON with
//! `--log-format json`, filtered by `RUST_LOG` (default `info`). Logs go to
//! stderr so that stdout stays clean for JSONL.
//!
//! Text lines are coloured only on a terminal (and not under `NO_COLOR`), and
//! their values have control and bidi characters escaped: an article id or a
//! reason carrying "\n" or ESC, logged by the service, must not forge a log
//! line or recolour the terminal. JSON escapes them by itself.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

static ACTIVE: OnceLock<LogFormat> = OnceLock::new();

/// Installs the global subscriber. A second initialisation (tests, or main
/// after a failed configuration) is harmless: the first one stays.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = match format {
        LogFormat::Text => {
            let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            text_subscriber(filter, ansi, Stderr).try_init()
        }
        LogFormat::Json => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(Stderr)
            .json()
            .flatten_event(true)
            .finish()
            .try_init(),
    };
    if installed.is_ok() {
        let _ = ACTIVE.set(format);
    }
}

/// The progress bar drawn on stderr now, if any: log lines go above it.
static BAR: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// While `bar` is shown, each log line clears it, is written, and the bar
/// is drawn again below ([`indicatif::ProgressBar::suspend`]); `None` when
/// it is gone.
pub fn draw_logs_above(bar: Option<indicatif::ProgressBar>) {
    *BAR.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// Where logs go: stderr, around the progress bar if one is shown.
struct Stderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = StderrLine;
    fn make_writer(&'a self) -> StderrLine {
        StderrLine
    }
}

/// Writes one formatted event (the formatter hands over a whole line at once).
struct StderrLine;

impl std::io::Write for StderrLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = BAR.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf)).map(|()| buf.len()),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The format of the installed logs, if [`init`] installed them.
pub fn format() -> Option<LogFormat> {
    ACTIVE.get().copied()
}

/// The text subscriber of [`init`], writing to `writer` (tests give a buffer).
pub fn text_subscriber<W>(filter: EnvFilter, ansi: bool, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer)
        .fmt_fields(EscapingFields)
        .finish()
}

/// An error and its causes on one line, each cause once: a cause whose text
/// its parent already printed (`#[error("...: {source}")]`) is not repeated.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = one_line(&e.to_string());
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = one_line(&c.to_string());
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

fn one_line(s: &str) -> String {
    if !s.contains('\n') {
        return s.to_string();
    }
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

use crate::control_chars::is_unsafe;

/// `s` with [`crate::control_chars::is_unsafe`] characters written as Rust escapes (`\n`, `\u{1b}`).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The default field layout of text logs, with every value passed through
/// [`escape_controls`] first.
struct EscapingFields;

impl<'w> MakeVisitor<Writer<'w>> for EscapingFields {
    type Visitor = Escaping<DefaultVisitor<'w>>;

    fn make_visitor(&self, target: Writer<'w>) -> Self::Visitor {
        Escaping(DefaultVisitor::new(target, true))
    }
}

struct Escaping<V>(V);

impl<V: Visit> Visit for Escaping<V> {
    fn record_str(&mut self, field: &Field, value: &str) {
        // As the default visitor: the message as written, other strings quoted.
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"))
        } else {
            self.record_debug(field, &value)
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record_debug(field, &format_args!("{}", error_chain(value)))
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        self.0.record_debug(field, &format_args!("{}", escape_controls(&text)))
    }
}

impl<V: VisitOutput<fmt::Result>> VisitOutput<fmt::Result> for Escaping<V> {
    fn finish(self) -> fmt::Result {
        self.0.finish()
    }
}

impl<V: VisitFmt> VisitFmt for Escaping<V> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        self.0.writer()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("bad record {0}")]
    struct Bad(String);

    fn log_with(ansi: bool) -> String {
        let buf = Buffer::default();
        let sub = text_subscriber(EnvFilter::new("info"), ansi, buf.clone());
        tracing::subscriber::with_default(sub, || {
            let id = "a1\nERROR demarche: forged line";
            let span = tracing::info_span!("batch", first = %"p0\r\nINFO also forged");
            let _in = span.enter();
            tracing::warn!(id = %id, quoted = id, "dead-lettered {}", "x\u{1b}[31mred\u{202e}txet\u{2066}\u{85}");
            let e = Bad("b\n\u{1b}]8;;http://x\u{7}".into());
            tracing::error!(error = &e as &(dyn std::error::Error + 'static), "failed");
        });
        let out = buf.0.lock().unwrap().clone();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_logs_escape_control_and_bidi_characters() {
        let out = log_with(false);
        assert_eq!(out.lines().count(), 2, "{out}");
        for c in ['\u{1b}', '\r', '\u{202e}', '\u{2066}', '\u{85}', '\u{7}'] {
            assert!(!out.contains(c), "{c:?} in {out:?}");
        }
        assert!(out.contains(r"id=a1\nERROR demarche: forged line"), "{out}");
        assert!(out.contains(r"first=p0\r\nINFO also forged"), "{out}");
        assert!(out.contains(r"x\u{1b}[31mred\u{202e}txet\u{2066}\u{85}"), "{out}");
        // Errors are put on one line first (a multi-line TOML message), then escaped.
        assert!(out.contains(r"error=bad record b \u{1b}]8;;http://x\u{7}"), "{out}");
    }

    #[test]
    fn colour_is_the_formatter_s_only() {
        let coloured = log_with(true);
        assert_eq!(coloured.lines().count(), 2, "{coloured}");
        assert!(coloured.contains('\u{1b}'), "ansi on: levels are coloured");
        // Every ESC is one the formatter wrote (an SGR sequence), none from the values.
        assert!(coloured.split('\u{1b}').skip(1).all(|s| s.starts_with('[') && !s.starts_with("[31mred")));
        assert!(!log_with(false).contains('\u{1b}'));
    }

    #[test]
    fn error_chains_print_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer: {0}")]
        struct Outer(#[source] Bad);
        #[derive(Debug, thiserror::Error)]
        #[error("top")]
        struct Top(#[source] Outer);
        assert_eq!(error_chain(&Top(Outer(Bad("x".into())))), "top: outer: bad record x");
        let io = std::io::Error::other("disk gone");
        let e = anyhow::Error::new(io).context("reading x");
        assert_eq!(error_chain(e.as_ref()), "reading x: disk gone");
    }
}

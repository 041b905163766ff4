//! How far a long replay got: an [`indicatif`] bar on a terminal, a log line
//! at an interval otherwise, or nothing.
//!
//! The bar and the logs share stderr. While the bar is shown it is handed to
//! [`crate::telemetry::draw_logs_above`], whose writer clears the bar around
//! each log line ([`indicatif::ProgressBar::suspend`]) and draws it again
//! below, so a warning in the middle of a replay neither breaks the bar nor
//! is overwritten by it.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::checkpoint::Checkpoint;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar redrawn on stderr (a terminal).
    Bar,
    /// A log line at this interval.
    Log(Duration),
    Off,
}

/// Records done out of a total (offsets in the range: an upper bound when
/// the topic has gaps, such as transaction markers or compacted records).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub done: u64,
    pub total: u64,
    pub elapsed: Duration,
}

impl Snapshot {
    pub fn rate(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.done as f64 / s
        } else {
            0.0
        }
    }

    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        (rate > 0.0).then(|| Duration::from_secs_f64(self.total.saturating_sub(self.done) as f64 / rate))
    }
}

/// The progress display of one replay run. The rate and ETA are this run's:
/// a resumed replay does not count what earlier runs did.
pub struct Progress {
    shown: Shown,
    run_started: Instant,
    done_at_start: u64,
}

enum Shown {
    Bar(ProgressBar),
    Log { every: Duration, last: Instant },
    Off,
}

impl Progress {
    /// Starts showing the progress of `state` in `mode`.
    pub fn start(mode: ProgressMode, state: &Checkpoint, run_started: Instant) -> Progress {
        let done_at_start = state.done_offsets();
        let shown = match mode {
            ProgressMode::Off => Shown::Off,
            ProgressMode::Log(every) => Shown::Log { every, last: Instant::now() },
            ProgressMode::Bar => {
                let bar = ProgressBar::with_draw_target(
                    Some(state.plan.total() - done_at_start),
                    ProgressDrawTarget::stderr_with_hz(5),
                );
                bar.set_style(style());
                crate::telemetry::draw_logs_above(Some(bar.clone()));
                Shown::Bar(bar)
            }
        };
        Progress { shown, run_started, done_at_start }
    }

    /// Shows where `state` stands (a log line only once per interval).
    pub fn update(&mut self, state: &Checkpoint) {
        self.show(state, false);
    }

    /// Shows the final state and leaves the bar on screen.
    pub fn finish(mut self, state: &Checkpoint) {
        self.show(state, true);
        if let Shown::Bar(bar) = &self.shown {
            bar.finish();
        }
    }

    fn show(&mut self, state: &Checkpoint, last: bool) {
        let snap = Snapshot {
            done: state.done_offsets() - self.done_at_start,
            total: state.plan.total() - self.done_at_start,
            elapsed: self.run_started.elapsed(),
        };
        match &mut self.shown {
            Shown::Off => {}
            Shown::Bar(bar) => bar.set_position(snap.done),
            Shown::Log { every, last: shown_at } => {
                if !last && shown_at.elapsed() < *every {
                    return;
                }
                *shown_at = Instant::now();
                tracing::info!(
                    done = snap.done,
                    total = snap.total,
                    articles_per_s = snap.rate().round() as u64,
                    eta_s = snap.eta().map(|d| d.as_secs()),
                    statements = state.summary.statements,
                    "replay progress"
                );
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Shown::Bar(_) = self.shown {
            crate::telemetry::draw_logs_above(None);
        }
    }
}

/// `[#######>            ] 45,120/100,000  5,230 articles/s  ETA 0:00:10`
fn style() -> ProgressStyle {
    ProgressStyle::with_template("[{bar:30}] {done}/{total}  {rate}  ETA {eta_precise}")
        .expect("a valid template")
        .progress_chars("#> ")
        .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&thousands(s.pos()));
        })
        .with_key("total", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&thousands(s.len().unwrap_or(0)));
        })
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{} articles/s", thousands(s.per_sec().round() as u64));
        })
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta_are_this_run_s() {
        let s = Snapshot { done: 45_000, total: 100_000, elapsed: Duration::from_secs(9) };
        assert_eq!(s.rate(), 5_000.0);
        assert_eq!(s.eta(), Some(Duration::from_secs(11)));
        assert_eq!(Snapshot { done: 0, total: 0, elapsed: Duration::ZERO }.eta(), None);
    }

    #[test]
    fn numbers_read_easily() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_bar_style_is_a_valid_template() {
        let bar = ProgressBar::hidden();
        bar.set_style(style());
        bar.set_length(10);
        bar.set_position(4);
        assert_eq!(bar.position(), 4);
    }
}

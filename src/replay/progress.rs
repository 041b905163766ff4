//! How far a long replay got: a bar for a terminal, a log line otherwise.

use std::time::Duration;

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

    /// `[#######>            ]  45,120/100,000  5,230 articles/s  ETA 0:00:10`
    pub fn bar(&self, width: usize) -> String {
        let frac = if self.total == 0 { 1.0 } else { (self.done as f64 / self.total as f64).min(1.0) };
        let filled = ((frac * width as f64) as usize).min(width);
        let mut bar = "#".repeat(filled);
        if filled < width {
            bar.push('>');
            bar.push_str(&" ".repeat(width - filled - 1));
        }
        format!(
            "[{bar}] {}/{}  {} articles/s  ETA {}",
            thousands(self.done),
            thousands(self.total),
            thousands(self.rate().round() as u64),
            self.eta().map_or_else(|| "-".to_string(), clock)
        )
    }
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

/// 3725 s → "1:02:05".
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_done_total_rate_and_eta() {
        let s = Snapshot { done: 45_000, total: 100_000, elapsed: Duration::from_secs(9) };
        assert_eq!(s.bar(10), "[####>     ] 45,000/100,000  5,000 articles/s  ETA 0:00:11");
        let done = Snapshot { done: 7, total: 7, elapsed: Duration::from_secs(1) };
        assert_eq!(done.bar(4), "[####] 7/7  7 articles/s  ETA 0:00:00");
        let start = Snapshot { done: 0, total: 0, elapsed: Duration::ZERO };
        assert!(start.bar(4).ends_with("ETA -"));
    }

    #[test]
    fn numbers_read_easily() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}

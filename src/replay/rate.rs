//! `--max-rate`: a token bucket over records, so a backfill leaves the
//! brokers and the live service their share. Pure: the caller passes the
//! time and sleeps for what [`RateLimiter::reserve`] returns.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    /// Tokens may build up to one second's worth, no more: a pause is not
    /// followed by a burst larger than the rate itself.
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    pub fn new(per_second: f64, now: Instant) -> Self {
        assert!(per_second > 0.0, "rate must be positive");
        let capacity = per_second.max(1.0);
        RateLimiter { per_second, capacity, tokens: capacity, last: now }
    }

    /// Takes `n` tokens and returns how long to wait before going on
    /// (zero when they were there). Debt is allowed, so a batch larger than
    /// the bucket waits in proportion instead of forever.
    pub fn reserve(&mut self, n: u64, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.tokens -= n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_average_rate() {
        let start = Instant::now();
        let mut r = RateLimiter::new(100.0, start);
        let mut now = start;
        // 50 batches of 20 records, sleeping as told: 1,000 records take ~ (1000 - 100 burst) / 100 s.
        for _ in 0..50 {
            now += r.reserve(20, now);
        }
        let secs = now.duration_since(start).as_secs_f64();
        assert!((8.5..=9.5).contains(&secs), "{secs}");
    }

    #[test]
    fn a_pause_does_not_buy_a_burst_beyond_one_second() {
        let start = Instant::now();
        let mut r = RateLimiter::new(10.0, start);
        let later = start + Duration::from_secs(3600);
        assert_eq!(r.reserve(10, later), Duration::ZERO);
        assert!(r.reserve(10, later) >= Duration::from_millis(999));
    }
}

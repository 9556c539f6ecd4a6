//! Exponential back-off for retrying a broker that is down: each failure waits twice as long as the
//! last, up to a ceiling, and success starts over. Waiting is the caller's job (on its clock, so a
//! shutdown interrupts it); this only does the arithmetic.

use std::time::Duration;

/// Back-off state.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
    failures: u32,
}

impl Backoff {
    /// Starts at `initial`, doubles per failure, never exceeds `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial,
            failures: 0,
        }
    }

    /// The wait after one more failure.
    pub fn fail(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        self.failures += 1;
        wait
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a success: the next failure waits `initial` again.
    pub fn succeed(&mut self) {
        self.next = self.initial;
        self.failures = 0;
    }
}

impl Default for Backoff {
    /// 250 ms doubling up to 5 s.
    fn default() -> Self {
        Self::new(Duration::from_millis(250), Duration::from_secs(5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_ceiling_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let waits: Vec<u128> = (0..5).map(|_| backoff.fail().as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 500, 500]);
        assert_eq!(backoff.failures(), 5);
        backoff.succeed();
        assert_eq!(backoff.fail(), Duration::from_millis(100));
    }
}

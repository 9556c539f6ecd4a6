//! The clocks the streaming code reads, passed in rather than called directly, so tests can run
//! with a manual clock: [`SystemClock`] for real runs, [`ManualClock`] for tests (its sleeps return
//! at once and move time forward).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use retailflow_eventtime::EventTime;

use crate::shutdown::Shutdown;

/// Time as the pipeline and the producer see it.
pub trait Clock: Send + Sync {
    /// A monotonic instant, for deadlines and rates.
    fn now(&self) -> Instant;

    /// Wall-clock time in milliseconds since the epoch, for event times and processing time.
    fn wall_time(&self) -> EventTime;

    /// Sleeps for `duration` unless `shutdown` is requested first; returns whether it was.
    fn sleep(&self, duration: Duration, shutdown: &Shutdown) -> bool;
}

impl std::fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// The real clocks of the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall_time(&self) -> EventTime {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        EventTime(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    fn sleep(&self, duration: Duration, shutdown: &Shutdown) -> bool {
        shutdown.wait_timeout(duration)
    }
}

/// A clock that only moves when told to, or when something sleeps on it.
#[derive(Debug)]
pub struct ManualClock {
    origin: Instant,
    wall_origin: EventTime,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    /// A clock whose wall time starts at `wall_origin`.
    pub fn new(wall_origin: EventTime) -> Self {
        Self {
            origin: Instant::now(),
            wall_origin,
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }

    /// Time elapsed on this clock since it was made.
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.origin + self.elapsed()
    }

    fn wall_time(&self) -> EventTime {
        let elapsed = i64::try_from(self.elapsed().as_millis()).unwrap_or(i64::MAX);
        EventTime(self.wall_origin.millis().saturating_add(elapsed))
    }

    fn sleep(&self, duration: Duration, shutdown: &Shutdown) -> bool {
        if shutdown.is_requested() {
            return true;
        }
        self.advance(duration);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(EventTime(1_000));
        let start = clock.now();
        assert_eq!(clock.now(), start);
        assert!(!clock.sleep(Duration::from_millis(250), &Shutdown::new()));
        assert_eq!(clock.now() - start, Duration::from_millis(250));
        assert_eq!(clock.wall_time(), EventTime(1_250));
    }
}

//! A shutdown request shared by everything that runs: set once (by Ctrl-C, SIGTERM, a `--duration`
//! or a test), seen by every clone. Waiting on it doubles as an interruptible sleep.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A clonable shutdown flag with interruptible waits.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl Shutdown {
    /// A flag not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks everything sharing this flag to stop; wakes every waiter.
    pub fn request(&self) {
        let (flag, condvar) = &*self.inner;
        *flag.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
        condvar.notify_all();
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        *self
            .inner
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits up to `timeout` for a stop request; returns whether one was made.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (flag, condvar) = &*self.inner;
        let mut requested = flag.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while !*requested {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            requested = condvar
                .wait_timeout(requested, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
        *requested
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_wakes_a_waiter() {
        let shutdown = Shutdown::new();
        assert!(!shutdown.is_requested());
        assert!(!shutdown.wait_timeout(Duration::from_millis(1)));
        let other = shutdown.clone();
        let waiter = std::thread::spawn(move || other.wait_timeout(Duration::from_secs(30)));
        shutdown.request();
        assert!(waiter.join().unwrap());
        assert!(shutdown.is_requested());
    }
}

//! Tumbling windows: back-to-back windows of one length, `[k·L, (k+1)·L)`, so every instant is in
//! exactly one window.

use crate::error::ConfigError;
use crate::time::{EventTime, TimeSpan};
use crate::window::{WindowRange, floor_to_multiple};

/// Back-to-back windows of a fixed length, aligned to the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TumblingWindows {
    length: i64,
}

impl TumblingWindows {
    /// Windows of `length` (which must be positive).
    pub fn new(length: TimeSpan) -> Result<Self, ConfigError> {
        if length.millis() <= 0 {
            return Err(ConfigError::WindowNotPositive { length });
        }
        Ok(TumblingWindows {
            length: length.millis(),
        })
    }

    /// Length of every window.
    pub fn length(&self) -> TimeSpan {
        TimeSpan(self.length)
    }

    /// The one window that contains `t`.
    #[inline]
    pub fn windows_of(&self, t: EventTime) -> WindowRange {
        let start = floor_to_multiple(t.millis(), self.length);
        WindowRange::new(start, start, self.length, self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Window;

    fn window(start_s: i64, end_s: i64) -> Window {
        Window {
            start: EventTime::from_secs(start_s),
            end: EventTime::from_secs(end_s),
        }
    }

    #[test]
    fn each_instant_is_in_the_epoch_aligned_window_around_it() {
        let tumbling = TumblingWindows::new(TimeSpan::from_secs(10)).unwrap();
        let of = |ms: i64| {
            tumbling
                .windows_of(EventTime(ms))
                .iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            of(1_714_564_803_250),
            vec![window(1_714_564_800, 1_714_564_810)]
        );
        assert_eq!(of(0), vec![window(0, 10)]);
        assert_eq!(of(9_999), vec![window(0, 10)]);
        assert_eq!(of(-1), vec![window(-10, 0)]);
    }

    #[test]
    fn an_instant_at_a_window_end_belongs_to_the_next_window() {
        let tumbling = TumblingWindows::new(TimeSpan::from_secs(10)).unwrap();
        let range = tumbling.windows_of(EventTime::from_secs(20));
        assert_eq!(range.len(), 1);
        assert_eq!(range.first(), window(20, 30));
        assert!(!window(10, 20).contains(EventTime::from_secs(20)));
        assert!(window(10, 20).contains(EventTime(19_999)));
    }
}

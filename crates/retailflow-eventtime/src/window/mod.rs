//! Event-time windows aligned to the epoch, as Spark's `window()` assigns them: a window of length
//! `L` sliding every `S` is every half-open interval `[k·S, k·S + L)` for an integer `k`, so a 10 s
//! window starts at a multiple of 10 s since 1970-01-01T00:00:00Z. An instant exactly at a window's
//! end belongs to the next window, not to that one.
//!
//! One window kind per file: [`tumbling`] (slide = length, one window per instant) and [`sliding`]
//! (overlapping windows). [`Windowing`] picks between them from a length and a slide.

pub mod sliding;
pub mod tumbling;

use serde::{Deserialize, Serialize};

pub use sliding::SlidingWindows;
pub use tumbling::TumblingWindows;

use crate::error::ConfigError;
use crate::time::{EventTime, TimeSpan};

/// Most windows one record may fall into (length ÷ slide); more would make every record cost
/// thousands of state updates.
pub const MAX_WINDOWS_PER_RECORD: i64 = 10_000;

/// A half-open interval of event time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Window {
    /// First instant in the window.
    pub start: EventTime,
    /// First instant after the window.
    pub end: EventTime,
}

impl Window {
    /// Whether `t` lies in `[start, end)`.
    pub fn contains(&self, t: EventTime) -> bool {
        self.start <= t && t < self.end
    }
}

/// How records are assigned to windows: tumbling or sliding, fixed at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Windowing {
    /// Back-to-back windows, one per instant.
    Tumbling(TumblingWindows),
    /// Overlapping windows, several per instant.
    Sliding(SlidingWindows),
}

impl Windowing {
    /// Windows of `length` starting every `slide`: tumbling when the two are equal, sliding when
    /// the slide is shorter.
    pub fn new(length: TimeSpan, slide: TimeSpan) -> Result<Self, ConfigError> {
        if length.millis() > 0 && slide == length {
            Ok(Windowing::Tumbling(TumblingWindows::new(length)?))
        } else {
            Ok(Windowing::Sliding(SlidingWindows::new(length, slide)?))
        }
    }

    /// Length of every window.
    pub fn length(&self) -> TimeSpan {
        match self {
            Windowing::Tumbling(tumbling) => tumbling.length(),
            Windowing::Sliding(sliding) => sliding.length(),
        }
    }

    /// Distance between the starts of consecutive windows.
    pub fn slide(&self) -> TimeSpan {
        match self {
            Windowing::Tumbling(tumbling) => tumbling.length(),
            Windowing::Sliding(sliding) => sliding.slide(),
        }
    }

    /// The pane length: the largest span that divides both length and slide. Every window is a
    /// whole number of consecutive panes, so per-pane totals can be merged into window totals.
    pub fn pane(&self) -> TimeSpan {
        let (mut a, mut b) = (self.length().millis(), self.slide().millis());
        while b != 0 {
            (a, b) = (b, a % b);
        }
        TimeSpan(a)
    }

    /// The windows that contain `t`, earliest first.
    #[inline]
    pub fn windows_of(&self, t: EventTime) -> WindowRange {
        match self {
            Windowing::Tumbling(tumbling) => tumbling.windows_of(t),
            Windowing::Sliding(sliding) => sliding.windows_of(t),
        }
    }
}

/// The windows containing one instant: `count` windows whose starts are `slide` apart, earliest
/// first. A plain value (no allocation); iterate it for the windows themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRange {
    first_start: i64,
    count: i64,
    slide: i64,
    length: i64,
}

impl WindowRange {
    fn new(first_start: i64, last_start: i64, slide: i64, length: i64) -> Self {
        let count = last_start.saturating_sub(first_start) / slide + 1;
        WindowRange {
            first_start,
            count,
            slide,
            length,
        }
    }

    /// How many windows there are (at least one).
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Always false: every instant is in at least one window.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `index`-th window, earliest first.
    fn nth_window(&self, index: i64) -> Window {
        let start = self
            .first_start
            .saturating_add(index.saturating_mul(self.slide));
        Window {
            start: EventTime(start),
            end: EventTime(start.saturating_add(self.length)),
        }
    }

    /// The earliest window.
    pub fn first(&self) -> Window {
        self.nth_window(0)
    }

    /// The latest window: the one that closes last.
    pub fn last(&self) -> Window {
        self.nth_window(self.count - 1)
    }

    /// The windows, earliest first.
    pub fn iter(&self) -> impl Iterator<Item = Window> + '_ {
        (0..self.count).map(|index| self.nth_window(index))
    }
}

/// The largest multiple of `step` at or before `t` (clamped to `i64::MIN` at the far past).
pub(crate) fn floor_to_multiple(t: i64, step: i64) -> i64 {
    t.div_euclid(step).checked_mul(step).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: i64) -> TimeSpan {
        TimeSpan::from_secs(s)
    }

    #[test]
    fn equal_length_and_slide_is_tumbling() {
        assert!(matches!(
            Windowing::new(secs(10), secs(10)).unwrap(),
            Windowing::Tumbling(_)
        ));
        assert!(matches!(
            Windowing::new(secs(10), secs(2)).unwrap(),
            Windowing::Sliding(_)
        ));
    }

    #[test]
    fn panes_divide_both_length_and_slide() {
        let pane = |length, slide| Windowing::new(secs(length), secs(slide)).unwrap().pane();
        assert_eq!(pane(10, 10), secs(10));
        assert_eq!(pane(10, 2), secs(2));
        assert_eq!(pane(10, 3), secs(1));
        assert_eq!(pane(10, 4), secs(2));
    }

    #[test]
    fn invalid_windows_are_refused_with_the_setting_named() {
        let zero = Windowing::new(secs(0), secs(0)).unwrap_err();
        assert_eq!(zero, ConfigError::WindowNotPositive { length: secs(0) });
        assert_eq!(zero.to_string(), "window length must be positive, got 0s");
        assert_eq!(
            Windowing::new(secs(10), TimeSpan::from_millis(-1)).unwrap_err(),
            ConfigError::SlideNotPositive {
                slide: TimeSpan::from_millis(-1)
            }
        );
        let gap = Windowing::new(secs(10), secs(20)).unwrap_err();
        assert_eq!(
            gap.to_string(),
            "window slide 20s must not be longer than the window length 10s"
        );
        let many = Windowing::new(TimeSpan::from_secs(86_400), secs(1)).unwrap_err();
        assert_eq!(
            many.to_string(),
            "a 86400s window every 1s puts each record into 86400 windows; at most 10000 are supported"
        );
    }

    #[test]
    fn extreme_instants_do_not_overflow() {
        for windowing in [
            Windowing::new(secs(10), secs(10)).unwrap(),
            Windowing::new(secs(10), secs(3)).unwrap(),
        ] {
            for t in [
                EventTime::MIN,
                EventTime(i64::MIN + 1),
                EventTime::MAX,
                EventTime(i64::MAX - 1),
            ] {
                let range = windowing.windows_of(t);
                assert!(!range.is_empty());
                assert!(range.first().start <= t);
                assert!(range.last().end >= t);
            }
        }
    }
}

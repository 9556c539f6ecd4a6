//! Sliding (hopping) windows: windows of length `L` starting every `S ≤ L`, `[k·S, k·S + L)`. An
//! instant belongs to every such window that contains it: `L / S` of them when `S` divides `L`,
//! otherwise `⌊L/S⌋` or `⌈L/S⌉` depending on where it falls.

use crate::error::ConfigError;
use crate::time::{EventTime, TimeSpan};
use crate::window::{MAX_WINDOWS_PER_RECORD, WindowRange, floor_to_multiple};

/// Overlapping windows of a fixed length and slide, aligned to the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingWindows {
    length: i64,
    slide: i64,
}

impl SlidingWindows {
    /// Windows of `length` starting every `slide`; both positive, `slide ≤ length`, and at most
    /// [`MAX_WINDOWS_PER_RECORD`] windows per instant.
    pub fn new(length: TimeSpan, slide: TimeSpan) -> Result<Self, ConfigError> {
        if length.millis() <= 0 {
            return Err(ConfigError::WindowNotPositive { length });
        }
        if slide.millis() <= 0 {
            return Err(ConfigError::SlideNotPositive { slide });
        }
        if slide > length {
            return Err(ConfigError::SlideLongerThanWindow { slide, length });
        }
        let windows =
            length.millis() / slide.millis() + i64::from(length.millis() % slide.millis() != 0);
        if windows > MAX_WINDOWS_PER_RECORD {
            return Err(ConfigError::TooManyWindowsPerRecord {
                length,
                slide,
                windows,
                max: MAX_WINDOWS_PER_RECORD,
            });
        }
        Ok(SlidingWindows {
            length: length.millis(),
            slide: slide.millis(),
        })
    }

    /// Length of every window.
    pub fn length(&self) -> TimeSpan {
        TimeSpan(self.length)
    }

    /// Distance between consecutive window starts.
    pub fn slide(&self) -> TimeSpan {
        TimeSpan(self.slide)
    }

    /// Every window that contains `t`, earliest first: starts `k·S` with `t − L < k·S ≤ t`.
    #[inline]
    pub fn windows_of(&self, t: EventTime) -> WindowRange {
        let t = t.millis();
        let last_start = floor_to_multiple(t, self.slide);
        let first_start = match t.checked_sub(self.length) {
            Some(before) => floor_to_multiple(before, self.slide).saturating_add(self.slide),
            None => self.first_start_far_past(t),
        };
        WindowRange::new(first_start, last_start, self.slide, self.length)
    }

    /// The first start for instants within one window length of `i64::MIN`, in wide arithmetic.
    #[cold]
    fn first_start_far_past(&self, t: i64) -> i64 {
        let (length, slide) = (i128::from(self.length), i128::from(self.slide));
        let first = (i128::from(t) - length).div_euclid(slide) * slide + slide;
        i64::try_from(first).unwrap_or(i64::MIN)
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

    fn sliding(length_s: i64, slide_ms: i64) -> SlidingWindows {
        SlidingWindows::new(
            TimeSpan::from_secs(length_s),
            TimeSpan::from_millis(slide_ms),
        )
        .unwrap()
    }

    #[test]
    fn ten_seconds_every_two_puts_a_record_in_five_windows() {
        let windows: Vec<_> = sliding(10, 2_000)
            .windows_of(EventTime(13_500))
            .iter()
            .collect();
        assert_eq!(
            windows,
            vec![
                window(4, 14),
                window(6, 16),
                window(8, 18),
                window(10, 20),
                window(12, 22)
            ]
        );
        assert!(windows.iter().all(|w| w.contains(EventTime(13_500))));
    }

    #[test]
    fn an_instant_at_a_slide_boundary_starts_a_window_and_leaves_one() {
        let windows: Vec<_> = sliding(10, 2_000)
            .windows_of(EventTime::from_secs(14))
            .iter()
            .collect();
        // [4, 14) ends exactly at 14 s, so it does not contain it; [14, 24) starts there.
        assert_eq!(
            windows,
            vec![
                window(6, 16),
                window(8, 18),
                window(10, 20),
                window(12, 22),
                window(14, 24)
            ]
        );
    }

    #[test]
    fn a_slide_that_does_not_divide_the_length_gives_every_containing_window() {
        let sliding = sliding(10, 3_000);
        for ms in (-25_000..25_000).step_by(250) {
            let t = EventTime(ms);
            let got: Vec<_> = sliding.windows_of(t).iter().collect();
            let expected: Vec<_> = (-20..20)
                .map(|k| window(3 * k, 3 * k + 10))
                .filter(|w| w.contains(t))
                .collect();
            assert_eq!(got, expected, "t = {ms} ms");
            assert!(got.len() == 3 || got.len() == 4);
        }
    }

    #[test]
    fn negative_instants_use_floor_alignment() {
        let windows: Vec<_> = sliding(10, 5_000)
            .windows_of(EventTime(-1))
            .iter()
            .collect();
        assert_eq!(windows, vec![window(-10, 0), window(-5, 5)]);
    }
}

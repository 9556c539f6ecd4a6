//! Where generated event times come from: the seed clock (`--start-time T --events-per-second R`:
//! message i happens at T + i/R, whatever the wall clock says, so runs are repeatable) or the wall
//! clock (live runs and the demo).

use crate::time::EventTime;

/// The clock that stamps generated messages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventClock {
    /// Message `i` happens at `start + i / events_per_second`.
    Seeded {
        /// Event time of the first message.
        start: EventTime,
        /// Messages per second of event time.
        events_per_second: f64,
    },
    /// Messages happen when they are generated.
    Wall,
}

impl EventClock {
    /// The event time of message `index`, given the wall clock now.
    pub fn time_of(&self, index: u64, wall_time: EventTime) -> EventTime {
        match *self {
            EventClock::Seeded {
                start,
                events_per_second,
            } => {
                let offset_ms = (index as f64 * 1000.0 / events_per_second).floor() as i64;
                EventTime(start.millis().saturating_add(offset_ms))
            }
            EventClock::Wall => wall_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_clock_spaces_events_evenly() {
        let clock = EventClock::Seeded {
            start: EventTime(1_000_000),
            events_per_second: 4.0,
        };
        let times: Vec<i64> = (0..5)
            .map(|i| clock.time_of(i, EventTime(0)).millis())
            .collect();
        assert_eq!(
            times,
            vec![1_000_000, 1_000_250, 1_000_500, 1_000_750, 1_001_000]
        );
        assert_eq!(EventClock::Wall.time_of(9, EventTime(42)), EventTime(42));
    }
}

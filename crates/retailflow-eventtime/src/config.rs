//! Engine settings: windows, lateness, idle timeout, big-receipt threshold, output mode and ranking
//! sizes, with the defaults of `retailflow stream` and their validation.

use std::fmt;
use std::str::FromStr;

use crate::error::ConfigError;
use crate::money::Money;
use crate::time::TimeSpan;
use crate::window::Windowing;

/// When window results are emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputMode {
    /// Once per window, final, when the watermark passes its end.
    #[default]
    Append,
    /// Also provisionally at each trigger for windows that changed (flagged not final), then
    /// finally when the watermark passes the end.
    Update,
}

impl FromStr for OutputMode {
    type Err = ConfigError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        match given {
            "append" => Ok(OutputMode::Append),
            "update" => Ok(OutputMode::Update),
            _ => Err(ConfigError::UnknownOutputMode {
                given: given.to_owned(),
            }),
        }
    }
}

impl fmt::Display for OutputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputMode::Append => "append",
            OutputMode::Update => "update",
        })
    }
}

/// Everything that shapes the engine's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Window length (`--window`, default 10 s).
    pub window_length: TimeSpan,
    /// Distance between window starts (`--slide`, default = length: tumbling).
    pub window_slide: TimeSpan,
    /// How far behind its partition's newest record a record may be and still count
    /// (`--allowed-lateness`, default 5 s).
    pub allowed_lateness: TimeSpan,
    /// Processing time after which a silent partition stops holding the watermark back
    /// (`--idle-timeout`, default 10 s).
    pub idle_timeout: TimeSpan,
    /// Receipts with a total strictly over this are big (`--big-receipt`, default 500.00).
    pub big_receipt_threshold: Money,
    /// Append (default) or update.
    pub output_mode: OutputMode,
    /// Stores in each top-stores ranking (default 5).
    pub top_stores: usize,
    /// Items per category in each popular-items ranking (default 3).
    pub top_items: usize,
    /// How far ahead of processing time a record's event time may be (`--max-future`); further
    /// is refused as [`Future`](crate::refusal::Future). `None` (the engine's default, for callers
    /// whose processing time is not the wall clock) checks nothing; the command line's default is
    /// one hour.
    pub max_future: Option<TimeSpan>,
    /// Count each receipt id once within the watermark's horizon (`--dedupe`, default off).
    pub dedupe: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            window_length: TimeSpan::from_secs(10),
            window_slide: TimeSpan::from_secs(10),
            allowed_lateness: TimeSpan::from_secs(5),
            idle_timeout: TimeSpan::from_secs(10),
            big_receipt_threshold: Money::from_hundredths(50_000),
            output_mode: OutputMode::Append,
            top_stores: 5,
            top_items: 3,
            max_future: None,
            dedupe: false,
        }
    }
}

impl EngineConfig {
    /// Checks every setting; returns the window assignment they describe.
    pub fn validate(&self) -> Result<Windowing, ConfigError> {
        let windowing = Windowing::new(self.window_length, self.window_slide)?;
        if self.allowed_lateness.millis() < 0 {
            return Err(ConfigError::NegativeLateness {
                lateness: self.allowed_lateness,
            });
        }
        if self.idle_timeout.millis() <= 0 {
            return Err(ConfigError::IdleTimeoutNotPositive {
                timeout: self.idle_timeout,
            });
        }
        if self.big_receipt_threshold < Money::ZERO {
            return Err(ConfigError::NegativeBigReceiptThreshold {
                threshold: self.big_receipt_threshold,
            });
        }
        if let Some(max_future) = self.max_future
            && max_future.millis() < 0
        {
            return Err(ConfigError::NegativeMaxFuture { max_future });
        }
        if self.top_stores == 0 {
            return Err(ConfigError::EmptyRanking {
                ranking: "top stores",
            });
        }
        if self.top_items == 0 {
            return Err(ConfigError::EmptyRanking {
                ranking: "popular items per category",
            });
        }
        Ok(windowing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_valid() {
        let config = EngineConfig::default();
        assert_eq!(config.window_length, TimeSpan::from_secs(10));
        assert_eq!(config.window_slide, TimeSpan::from_secs(10));
        assert_eq!(config.allowed_lateness, TimeSpan::from_secs(5));
        assert_eq!(config.idle_timeout, TimeSpan::from_secs(10));
        assert_eq!(config.big_receipt_threshold.to_string(), "500.00");
        assert_eq!(
            (config.output_mode, config.top_stores, config.top_items),
            (OutputMode::Append, 5, 3)
        );
        assert!(config.validate().is_ok());
    }

    #[test]
    fn each_bad_setting_is_named() {
        let base = EngineConfig::default();
        let cases = [
            (
                EngineConfig {
                    allowed_lateness: TimeSpan::from_millis(-1),
                    ..base
                },
                "allowed lateness must not be negative, got -1ms",
            ),
            (
                EngineConfig {
                    idle_timeout: TimeSpan::from_secs(0),
                    ..base
                },
                "idle timeout must be positive, got 0s",
            ),
            (
                EngineConfig {
                    big_receipt_threshold: Money::from_hundredths(-100),
                    ..base
                },
                "big-receipt threshold must not be negative, got -1.00",
            ),
            (
                EngineConfig {
                    top_stores: 0,
                    ..base
                },
                "top stores must keep at least one entry, got 0",
            ),
            (
                EngineConfig {
                    top_items: 0,
                    ..base
                },
                "popular items per category must keep at least one entry, got 0",
            ),
            (
                EngineConfig {
                    window_slide: TimeSpan::from_secs(20),
                    ..base
                },
                "window slide 20s must not be longer than the window length 10s",
            ),
        ];
        for (config, message) in cases {
            assert_eq!(config.validate().unwrap_err().to_string(), message);
        }
        assert_eq!(zero_lateness_is_allowed(), Ok(()));
    }

    fn zero_lateness_is_allowed() -> Result<(), ConfigError> {
        EngineConfig {
            allowed_lateness: TimeSpan::from_secs(0),
            ..EngineConfig::default()
        }
        .validate()
        .map(|_| ())
    }

    #[test]
    fn output_mode_parses_and_prints() {
        assert_eq!("append".parse::<OutputMode>().unwrap(), OutputMode::Append);
        assert_eq!("update".parse::<OutputMode>().unwrap(), OutputMode::Update);
        assert_eq!(OutputMode::Update.to_string(), "update");
        assert_eq!(
            "complete".parse::<OutputMode>().unwrap_err().to_string(),
            "output mode must be `append` or `update`, got `complete`"
        );
    }
}

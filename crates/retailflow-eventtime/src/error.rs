//! Errors of the event-time core, sorted by who is at fault: the user's configuration
//! ([`ConfigError`]) or a checkpoint that does not fit ([`RestoreError`]).

use thiserror::Error;

use crate::time::TimeSpan;

/// A windowing or engine setting that cannot work. Each message is one line, naming the setting.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    /// The window length is zero or negative.
    #[error("window length must be positive, got {length}")]
    WindowNotPositive { length: TimeSpan },
    /// The slide is zero or negative.
    #[error("window slide must be positive, got {slide}")]
    SlideNotPositive { slide: TimeSpan },
    /// Windows would leave gaps between them (Spark refuses this too).
    #[error("window slide {slide} must not be longer than the window length {length}")]
    SlideLongerThanWindow { slide: TimeSpan, length: TimeSpan },
    /// Every record would fall into too many overlapping windows.
    #[error(
        "a {length} window every {slide} puts each record into {windows} windows; at most {max} are supported"
    )]
    TooManyWindowsPerRecord {
        length: TimeSpan,
        slide: TimeSpan,
        windows: i64,
        max: i64,
    },
    /// Allowed lateness below zero.
    #[error("allowed lateness must not be negative, got {lateness}")]
    NegativeLateness { lateness: TimeSpan },
    /// Max future below zero.
    #[error("max future must not be negative, got {max_future}")]
    NegativeMaxFuture {
        /// The span given.
        max_future: TimeSpan,
    },
    /// Idle timeout of zero or less.
    #[error("idle timeout must be positive, got {timeout}")]
    IdleTimeoutNotPositive { timeout: TimeSpan },
    /// A big-receipt threshold below zero.
    #[error("big-receipt threshold must not be negative, got {threshold}")]
    NegativeBigReceiptThreshold { threshold: crate::money::Money },
    /// An output mode other than `append` or `update`.
    #[error("output mode must be `append` or `update`, got `{given}`")]
    UnknownOutputMode { given: String },
    /// A top-N of zero would print empty rankings.
    #[error("{ranking} must keep at least one entry, got 0")]
    EmptyRanking { ranking: &'static str },
    /// An analysis name that is not one of the engine's.
    #[error("unknown analysis `{given}`: use {known}")]
    UnknownAnalysis {
        /// The name given.
        given: String,
        /// The names there are, `a, b or c`.
        known: String,
    },
    /// An anomaly weight outside (0, 1].
    #[error("anomaly alpha must be above 0 and at most 1, got {alpha}")]
    AnomalyAlpha { alpha: f64 },
    /// An anomaly threshold that is not a positive number.
    #[error("anomaly z must be a positive number, got {z}")]
    AnomalyZ { z: f64 },
    /// A count of zero where one is needed.
    #[error("{setting} must be at least 1, got 0")]
    NotPositive { setting: &'static str },
    /// A cashier alert needs at least two receipts to be a pattern.
    #[error("cashier alert count must be at least 2, got {count}")]
    CashierAlertCount { count: u32 },
    /// A negative span for the cashier alerts.
    #[error("cashier alert span must not be negative, got {within}")]
    NegativeCashierAlertWithin { within: TimeSpan },
    /// A basket limit under two items can hold no pair.
    #[error("max basket must be at least 2 items, got {max_basket}")]
    MaxBasket { max_basket: usize },
}

/// A checkpointed engine state that cannot be restored under the given configuration.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RestoreError {
    /// The configuration itself is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The checkpoint was taken with other windows; its open windows would not line up.
    #[error(
        "the checkpoint was taken with a {snapshot_length} window every {snapshot_slide}, \
         but this run uses a {length} window every {slide}; use the same windows or a new checkpoint"
    )]
    WindowsChanged {
        snapshot_length: TimeSpan,
        snapshot_slide: TimeSpan,
        length: TimeSpan,
        slide: TimeSpan,
    },
    /// The checkpoint was written by an incompatible version of the state format.
    #[error(
        "checkpoint state format {found} is not supported (this build reads format {supported})"
    )]
    UnsupportedFormat { found: u32, supported: u32 },
    /// The checkpoint is internally inconsistent (e.g. refers to a name it does not contain).
    #[error("checkpoint state is corrupt: {reason}")]
    Corrupt { reason: String },
}

//! Errors of the batch windows, sorted by who is at fault: the user's settings or input path, the
//! file while it is read, or retailflow itself. Lines that do not parse are not errors: they are
//! left out and counted by reason, as the stream dead-letters them.

use std::path::PathBuf;

use datafusion::error::DataFusionError;
use retailflow_core::fault::{Fault, one_line};
use retailflow_core::values::RulesError;
use retailflow_eventtime::ConfigError;

/// Everything that can stop the batch windows.
#[derive(Debug, thiserror::Error)]
pub enum WindowsError {
    // ---- user input ----
    /// A window, threshold or ranking setting the stream would refuse too.
    #[error(transparent)]
    Setting(#[from] ConfigError),
    /// The size limit is zero, so every line would be rejected.
    #[error("the maximum message size must be above 0")]
    MaxMessageSizeZero,
    /// The input cannot be opened (or is a directory).
    #[error("cannot open {}: {cause}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause, written into the message (not a separate source, so the message is said
        /// once).
        cause: std::io::Error,
    },
    /// `--max-quantity` or `--max-price` cannot be used.
    #[error(transparent)]
    Rules(#[from] RulesError),

    // ---- data ----
    /// The input failed while being read (e.g. an I/O error midway).
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause, written into the message (not a separate source, so the message is said
        /// once).
        cause: std::io::Error,
    },
    /// A window's totals went beyond what can be written exactly.
    #[error(
        "a window's {what} is beyond the exact range: lower --max-quantity or --max-price, or use shorter windows"
    )]
    BeyondExactRange {
        /// The figure.
        what: String,
    },

    // ---- internal ----
    /// The query engine failed.
    #[error("internal error: {}", one_line(&.0.to_string()))]
    Engine(#[from] DataFusionError),
    /// An invariant of the plans did not hold.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WindowsError {
    /// A result column of an unexpected type.
    pub(crate) fn column_type(name: &str, expected: &str) -> Self {
        WindowsError::Internal(format!("result column {name} is not {expected}"))
    }

    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        match self {
            WindowsError::Setting(_)
            | WindowsError::MaxMessageSizeZero
            | WindowsError::Open { .. }
            | WindowsError::Rules(_) => Fault::UserInput,
            WindowsError::Read { .. } | WindowsError::BeyondExactRange { .. } => Fault::Data,
            WindowsError::Engine(_) | WindowsError::Internal(_) => Fault::Internal,
        }
    }

    /// Whether the user's settings or input path are at fault (as opposed to the data or
    /// retailflow).
    pub fn is_user_input(&self) -> bool {
        self.fault() == Fault::UserInput
    }
}

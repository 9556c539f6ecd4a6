//! Errors of the cluster commands, sorted by who is at fault: an address the user gave that cannot
//! be used, or the environment (a port taken, a scheduler that cannot be reached, a cluster that
//! fails).

use retailflow_batch::Fault;

/// Everything that can stop a scheduler, an executor or a cluster client.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    // ---- user input ----
    /// An address that is not `HOST:PORT`, or a cluster URL that is not `df://HOST:PORT`.
    #[error("invalid {what} {given:?}: {reason}")]
    InvalidAddress {
        what: &'static str,
        given: String,
        reason: String,
    },

    // ---- environment ----
    /// The address cannot be listened on.
    #[error("cannot listen on {address}: {reason}")]
    CannotListen { address: String, reason: String },
    /// The scheduler or executor stopped with an error.
    #[error("the {role} stopped: {reason}")]
    Stopped { role: &'static str, reason: String },
    /// The scheduler cannot be reached or refused the session.
    #[error("cannot use the cluster at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

impl ClusterError {
    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        match self {
            ClusterError::InvalidAddress { .. } => Fault::UserInput,
            ClusterError::CannotListen { .. }
            | ClusterError::Stopped { .. }
            | ClusterError::Unreachable { .. } => Fault::Environment,
        }
    }
}

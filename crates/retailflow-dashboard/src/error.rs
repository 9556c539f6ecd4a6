//! Why the dashboard cannot run, sorted by who is at fault.

use retailflow_core::fault::Fault;
use retailflow_stream::StreamError;

/// A dashboard error.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The dashboard's address (`--dashboard ADDR`, `--bind ADDR`) is not an address to listen on.
    #[error(
        "dashboard: {addr} is not an address to listen on (expected HOST:PORT, e.g. 127.0.0.1:8080)"
    )]
    Address {
        /// What was given.
        addr: String,
    },
    /// The address cannot be listened on (most often: the port is in use).
    #[error("dashboard: cannot listen on {addr}: {source}{hint}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
        /// What to do about it.
        hint: &'static str,
    },
    /// The server's threads could not be started.
    #[error("dashboard: cannot start its server: {0}")]
    Start(std::io::Error),
    /// The brokers did not answer for the topic's metadata at the start (none running there, or
    /// unreachable).
    #[error(
        "dashboard: cannot read the metadata of {topic} from {brokers}: {reason}; is a broker \
         running there (--brokers)?"
    )]
    Metadata {
        /// The topic.
        topic: String,
        /// The bootstrap servers as given.
        brokers: String,
        /// Why, in librdkafka's words.
        reason: String,
    },
    /// Reading a Kafka output topic failed (`retailflow dashboard --from kafka:TOPIC`).
    #[error(transparent)]
    Stream(#[from] StreamError),
}

impl DashboardError {
    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        match self {
            DashboardError::Address { .. } => Fault::UserInput,
            DashboardError::Listen { source, .. } => match source.kind() {
                std::io::ErrorKind::AddrInUse | std::io::ErrorKind::AddrNotAvailable => {
                    Fault::UserInput
                }
                _ => Fault::Environment,
            },
            DashboardError::Start(_) | DashboardError::Metadata { .. } => Fault::Environment,
            DashboardError::Stream(error) => error.fault(),
        }
    }
}

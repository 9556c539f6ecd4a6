//! An executor: Ballista's, decoding tasks with retailflow's codecs and asking the scheduler for
//! work (pull scheduling). It serves the results of its tasks to the client and to other executors
//! on one port (Arrow Flight) and keeps shuffle files in its work directory.

use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};

use crate::codec;
use crate::connections::Connections;
use crate::error::ClusterError;
use crate::gather::GatherThroughOneReader;

/// Seconds an executor keeps trying to reach its scheduler when it starts.
const CONNECT_SECONDS: u16 = 30;

/// How often an executor tells the scheduler it is alive, in seconds.
pub(crate) const HEARTBEAT_SECONDS: u64 = 5;

/// Where an executor runs and whom it works for.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler, `HOST:PORT`.
    pub scheduler: String,
    /// Where it serves results, `HOST:PORT`; the host is also how the scheduler and the other
    /// executors reach it.
    pub bind: String,
    /// Where it keeps shuffle files (a new temporary directory when not given).
    pub work_dir: Option<PathBuf>,
    /// Tasks it runs at once (all cores when not given).
    pub cores: Option<usize>,
}

/// A host and a port.
pub type HostPort = (String, u16);

/// `HOST:PORT` as its parts, or a user error naming the option.
fn host_port(what: &'static str, given: &str) -> Result<HostPort, ClusterError> {
    let invalid = |reason: &str| ClusterError::InvalidAddress {
        what,
        given: given.to_string(),
        reason: reason.to_string(),
    };
    let (host, port) = given
        .rsplit_once(':')
        .ok_or_else(|| invalid("expected HOST:PORT"))?;
    if host.is_empty() {
        return Err(invalid("the host is empty"));
    }
    let port = port
        .parse()
        .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
    Ok((host.to_string(), port))
}

impl ExecutorOptions {
    /// The scheduler's host and port and the executor's, or a user error naming the option.
    pub fn addresses(&self) -> Result<(HostPort, HostPort), ClusterError> {
        let scheduler = host_port("--scheduler", &self.scheduler)?;
        let bind = host_port("--bind", &self.bind)?;
        if bind.1 == 0 {
            return Err(ClusterError::InvalidAddress {
                what: "--bind",
                given: self.bind.clone(),
                reason: "an executor needs a fixed port, which it tells the scheduler".to_string(),
            });
        }
        Ok((scheduler, bind))
    }
}

/// Runs an executor until the process is stopped (Ctrl+C or SIGTERM) or it fails.
pub async fn run_executor(options: &ExecutorOptions) -> Result<(), ClusterError> {
    let ((scheduler_host, scheduler_port), (bind_host, port)) = options.addresses()?;
    let stopped = |reason: String| ClusterError::Stopped {
        role: "executor",
        reason,
    };
    // Kept until the executor stops; a temporary directory is removed then.
    let temporary;
    let work_dir = match &options.work_dir {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::Builder::new()
                .prefix("retailflow-executor-")
                .tempdir()
                .map_err(|e| stopped(e.to_string()))?;
            temporary.path().to_path_buf()
        }
    };
    let connections = Connections::closing_idle();
    let config = ExecutorProcessConfig {
        external_host: Some(bind_host.clone()),
        bind_host,
        port,
        scheduler_host,
        scheduler_port,
        scheduler_connect_timeout_seconds: CONNECT_SECONDS,
        vcores: options.cores.unwrap_or(0),
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        work_dir: Some(work_dir.to_string_lossy().into_owned()),
        print_thread_info: false,
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        override_logical_codec: Some(codec::logical()),
        override_physical_codec: Some(codec::physical()),
        override_execution_engine: Some(Arc::new(GatherThroughOneReader::new(connections))),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| stopped(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_host_and_port() {
        assert_eq!(
            host_port("--bind", "127.0.0.1:50051").unwrap(),
            ("127.0.0.1".to_string(), 50051)
        );
        for bad in ["50051", ":50051", "host:port", "host:70000"] {
            let error = host_port("--bind", bad).unwrap_err();
            assert!(
                matches!(error, ClusterError::InvalidAddress { .. }),
                "{bad}"
            );
        }
    }
}

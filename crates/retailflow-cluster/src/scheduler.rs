//! The scheduler: Ballista's, reading and writing plans with retailflow's codecs, with its state in
//! memory, handing tasks to executors that ask for them (pull scheduling, so an executor needs one
//! port only).

use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tokio::net::TcpListener;

use crate::codec;
use crate::error::ClusterError;

/// Seconds without a heartbeat after which an executor counts as lost and its tasks run again
/// elsewhere (executors send one every [`crate::executor::HEARTBEAT_SECONDS`]).
const EXECUTOR_TIMEOUT_SECONDS: u64 = 30;

/// How often the scheduler looks for lost executors, in seconds.
const EXPIRY_CHECK_SECONDS: u64 = 5;

/// Listens on `address` (`HOST:PORT`; port 0 picks a free one) for the scheduler.
pub async fn bind_scheduler(address: &str) -> Result<TcpListener, ClusterError> {
    if address.rsplit_once(':').is_none() {
        return Err(ClusterError::InvalidAddress {
            what: "--bind",
            given: address.to_string(),
            reason: "expected HOST:PORT, e.g. 0.0.0.0:50050".to_string(),
        });
    }
    TcpListener::bind(address)
        .await
        .map_err(|e| ClusterError::CannotListen {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

/// Runs the scheduler on `listener` until the process ends or the service fails.
pub async fn run_scheduler(listener: TcpListener) -> Result<(), ClusterError> {
    let stopped = |reason: String| ClusterError::Stopped {
        role: "scheduler",
        reason,
    };
    let address = listener.local_addr().map_err(|e| stopped(e.to_string()))?;
    let mut config = SchedulerConfig::default()
        .with_hostname(address.ip().to_string())
        .with_port(address.port())
        .with_scheduler_policy(TaskSchedulingPolicy::PullStaged);
    config.bind_host = address.ip().to_string();
    config.executor_timeout_seconds = EXECUTOR_TIMEOUT_SECONDS;
    config.expire_dead_executor_interval_seconds = EXPIRY_CHECK_SECONDS;
    config.override_logical_codec = Some(codec::logical());
    config.override_physical_codec = Some(codec::physical());
    let config = Arc::new(config);
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| stopped(e.to_string()))?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .map_err(|e| stopped(e.to_string()))?;
    start_grpc_service_with_listener(listener, scheduler)
        .await
        .map_err(|e| stopped(e.to_string()))
}

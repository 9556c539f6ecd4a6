//! The client side: a DataFusion session whose plans run on a Ballista cluster, written with
//! retailflow's codecs.

use ballista::extension::{SessionConfigExt, SessionContextExt};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use retailflow_batch::{Sessions, session_config};

use crate::codec;
use crate::error::ClusterError;

/// Input bytes per partition of a job on a cluster, at most: the plan's partitions are fixed here, by
/// the client, so a large input is cut into enough tasks to spread over the executors whatever their
/// number and cores.
const PART_BYTES: u64 = 32 * 1024 * 1024;

/// Partitions for a job over `input_bytes` on a cluster: `local` (one per core here), or more so
/// that no part is over 32 MiB.
pub fn cluster_partitions(input_bytes: u64, local: usize) -> usize {
    let parts = usize::try_from(input_bytes.div_ceil(PART_BYTES)).unwrap_or(usize::MAX);
    local.max(parts).max(1)
}

/// The clean job's sessions on the scheduler at `url` (`df://HOST:PORT`), the parallel one over
/// `partitions` partitions; their jobs are named `job_name` in the scheduler's job status.
pub async fn cluster_sessions(
    url: &str,
    partitions: usize,
    job_name: &str,
) -> Result<Sessions, ClusterError> {
    let config = |partitions| session_config(partitions).with_ballista_job_name(job_name);
    Ok(Sessions {
        parallel: remote_context(url, config(partitions)).await?,
        ordered: remote_context(url, config(1)).await?,
        cluster: Some(url.to_string()),
    })
}

/// A session on the scheduler at `url` (`df://HOST:PORT`), starting from `config` (partitions,
/// batch size), whose plans carry retailflow's functions.
pub async fn remote_context(
    url: &str,
    config: SessionConfig,
) -> Result<SessionContext, ClusterError> {
    scheduler_address(url)?;
    // Ballista's adaptive planner does not recover from a lost executor whose shuffle output a
    // later stage was reading: the map stage runs again but its new output is never attached, and
    // the job waits forever. Its static planner runs the lost parts again and finishes. The
    // scheduler turns round-robin repartitioning off in any case (and warns of it for each job).
    let config = config
        .with_ballista_logical_extension_codec(codec::logical())
        .with_ballista_physical_extension_codec(codec::physical())
        .with_ballista_adaptive_query_planner(false)
        .with_round_robin_repartition(false);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(url, state)
        .await
        .map_err(|e| ClusterError::Unreachable {
            url: url.to_string(),
            reason: e.to_string(),
        })
}

/// The scheduler's host and port in `url` (`df://HOST:PORT`).
pub(crate) fn scheduler_address(url: &str) -> Result<(String, u16), ClusterError> {
    let invalid = || ClusterError::InvalidAddress {
        what: "--cluster",
        given: url.to_string(),
        reason: "expected df://HOST:PORT, e.g. df://localhost:50050".to_string(),
    };
    let (host, port) = url
        .strip_prefix("df://")
        .and_then(|address| address.rsplit_once(':'))
        .ok_or_else(invalid)?;
    let port = port.parse().map_err(|_| invalid())?;
    if host.is_empty() {
        return Err(invalid());
    }
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_at_most_32_mib_and_never_fewer_than_the_cores() {
        assert_eq!(cluster_partitions(600_000, 2), 2);
        assert_eq!(cluster_partitions(0, 0), 1);
        assert_eq!(cluster_partitions(PART_BYTES * 10, 2), 10);
        assert_eq!(cluster_partitions(PART_BYTES * 10 + 1, 2), 11);
        assert_eq!(cluster_partitions(PART_BYTES * 10, 16), 16);
    }

    #[test]
    fn the_scheduler_address_is_host_and_port_after_df() {
        assert_eq!(
            scheduler_address("df://localhost:50050").unwrap(),
            ("localhost".to_string(), 50050)
        );
        for bad in [
            "localhost:50050",
            "df://localhost",
            "df://:1",
            "df://h:port",
            "http://x:1",
        ] {
            assert!(scheduler_address(bad).is_err(), "{bad}");
        }
    }
}

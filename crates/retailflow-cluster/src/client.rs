//! The client side: a DataFusion session whose plans run on a Ballista cluster, written with
//! retailflow's codecs.

use ballista::extension::{SessionConfigExt, SessionContextExt};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use retailflow_batch::{Sessions, session_config};

use crate::codec;
use crate::error::ClusterError;

/// The clean job's sessions on the scheduler at `url` (`df://HOST:PORT`), the parallel one over
/// `partitions` partitions.
pub async fn cluster_sessions(url: &str, partitions: usize) -> Result<Sessions, ClusterError> {
    Ok(Sessions {
        parallel: remote_context(url, session_config(partitions)).await?,
        ordered: remote_context(url, session_config(1)).await?,
    })
}

/// A session on the scheduler at `url` (`df://HOST:PORT`), starting from `config` (partitions,
/// batch size), whose plans carry retailflow's functions.
pub async fn remote_context(
    url: &str,
    config: SessionConfig,
) -> Result<SessionContext, ClusterError> {
    if !url.starts_with("df://") || url["df://".len()..].rsplit_once(':').is_none() {
        return Err(ClusterError::InvalidAddress {
            what: "--cluster",
            given: url.to_string(),
            reason: "expected df://HOST:PORT, e.g. df://localhost:50050".to_string(),
        });
    }
    let config = config
        .with_ballista_logical_extension_codec(codec::logical())
        .with_ballista_physical_extension_codec(codec::physical());
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

//! An executor's connections to the other executors, for fetching the parts of shuffles they hold:
//! a connection is kept after a fetch and reused by the next one to the same executor, closed once
//! unused for [`IDLE_SECONDS`], and dropped after an error (Ballista discards it then).
//! Ballista's executor has a pool like it, but keeps it private and gives it only to its own
//! execution engine, so the engine of [`crate::gather`] brings this one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ballista_core::client::BallistaClient;
use ballista_core::client_pool::{BallistaClientPool, PooledClient};
use ballista_core::error::Result;
use ballista_core::extension::BallistaConfigGrpcEndpoint;
use ballista_core::utils::GrpcClientConfig;

/// Seconds a connection may stay unused before it is closed.
const IDLE_SECONDS: u64 = 30;

type Key = (String, u16, GrpcClientConfig);
type Idle = HashMap<Key, Vec<(BallistaClient, Instant)>>;

/// Idle connections by executor address and client settings.
#[derive(Default)]
pub(crate) struct Connections {
    idle: Arc<Mutex<Idle>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self
            .idle
            .lock()
            .map_or(0, |idle| idle.values().map(Vec::len).sum());
        f.debug_struct("Connections").field("idle", &idle).finish()
    }
}

impl Connections {
    /// An empty set of connections, with a task on the current Tokio runtime that closes those
    /// left unused (it ends with the runtime).
    pub(crate) fn closing_idle() -> Arc<Self> {
        let connections = Arc::new(Connections::default());
        let evicting = Arc::clone(&connections);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(IDLE_SECONDS)).await;
                evicting.evict_idle().await;
            }
        });
        connections
    }
}

/// Drops the entries of `list` unused for [`IDLE_SECONDS`] at `now`.
fn drop_stale<T>(list: &mut Vec<(T, Instant)>, now: Instant) {
    list.retain(|(_, since)| now.duration_since(*since) < Duration::from_secs(IDLE_SECONDS));
}

/// The most recently used entry of `list` still fresh at `now`; the stale ones are dropped.
fn take_fresh<T>(list: &mut Vec<(T, Instant)>, now: Instant) -> Option<T> {
    drop_stale(list, now);
    list.pop().map(|(entry, _)| entry)
}

#[async_trait::async_trait]
impl BallistaClientPool for Connections {
    async fn acquire(
        &self,
        host: &str,
        port: u16,
        config: &GrpcClientConfig,
        customize_endpoint: Option<Arc<BallistaConfigGrpcEndpoint>>,
    ) -> Result<PooledClient> {
        let key = (host.to_string(), port, config.clone());
        let reused = self.idle.lock().ok().and_then(|mut idle| {
            idle.get_mut(&key)
                .and_then(|list| take_fresh(list, Instant::now()))
        });
        let client = match reused {
            Some(client) => client,
            None => {
                BallistaClient::try_new(
                    host,
                    port,
                    config.max_message_size,
                    config.use_tls,
                    customize_endpoint,
                    config.io_retries_times,
                    config.io_retry_wait_time_ms,
                    config.initial_connection_window_size,
                    config.initial_stream_window_size,
                )
                .await?
            }
        };
        let idle = Arc::clone(&self.idle);
        Ok(PooledClient::new(
            client,
            Box::new(move |client| {
                if let Ok(mut idle) = idle.lock() {
                    idle.entry(key).or_default().push((client, Instant::now()));
                }
            }),
        ))
    }

    async fn evict_idle(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            let now = Instant::now();
            idle.retain(|_, list| {
                drop_stale(list, now);
                !list.is_empty()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_connection_returned_is_reused_and_stale_ones_are_closed() {
        let start = Instant::now();
        let later = start + Duration::from_secs(IDLE_SECONDS - 1);
        let mut list = vec![("first", start), ("second", later)];
        assert_eq!(take_fresh(&mut list, later), Some("second"));
        assert_eq!(take_fresh(&mut list, later), Some("first"));
        assert_eq!(take_fresh(&mut list, later), None);

        let mut list = vec![("stale", start), ("fresh", later)];
        let now = start + Duration::from_secs(IDLE_SECONDS);
        assert_eq!(take_fresh(&mut list, now), Some("fresh"));
        list.push(("stale", start));
        assert_eq!(take_fresh(&mut list, now), None);
        assert!(list.is_empty());
    }
}

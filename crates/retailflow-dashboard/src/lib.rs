//! The live web dashboard of a stream: one page embedded in the binary (no CDN, nothing fetched at
//! run time), `GET /api/snapshot` and `GET /api/events` (server-sent events), served from a thread
//! of its own.
//!
//! [`Dashboard::start`] binds the address at once (a port in use is an error before the run
//! starts) and returns; its [`Dashboard::monitor`] is handed to the pipeline, which tells it of
//! every batch. The monitor copies the batch's results and health into a bounded channel and
//! returns: when the dashboard cannot keep up an update is left out and counted, never waited
//! for, so the dashboard can neither slow nor stop the stream. Of a batch's big receipts and
//! alerts it copies only the newest that the page keeps (`NewestOfFeeds`), so a large
//! batch costs the pipeline and the clients no more than a small one. [`from_topic`] feeds the same page
//! from the result objects a `--output kafka:TOPIC` run writes, so one dashboard serves a job of
//! several processes.

mod board;
#[cfg(test)]
mod endpoint_tests;
mod entry;
mod error;
pub mod from_topic;
mod health;
mod server;
#[cfg(test)]
mod test_data;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use retailflow_stream::monitor::{Monitor, RunHealth};
use retailflow_stream::output::ResultSet;
use tokio::sync::{mpsc, oneshot};

pub use error::DashboardError;

use board::NewestOfFeeds;
use entry::{Entry, Slot};
use health::{HealthTracker, HealthView};
use server::Hub;

/// The address the dashboard listens on unless told otherwise: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Updates queued between the stream and the dashboard's thread.
const UPDATES_QUEUED: usize = 256;

/// What the dashboard's thread is told.
#[derive(Debug)]
enum Update {
    /// One batch of this process's stream.
    Run {
        entries: Vec<Entry>,
        health: RunHealth,
    },
    /// Results read from a Kafka output topic, with the health worked out there.
    Topic {
        entries: Vec<Entry>,
        health: HealthView,
    },
}

/// A running dashboard server.
#[derive(Debug)]
pub struct Dashboard {
    address: SocketAddr,
    updates: mpsc::Sender<Update>,
    dropped: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Dashboard {
    /// Listens on `addr` (`HOST:PORT`; port 0 picks a free one) and serves the page for the job
    /// described by `job`.
    pub fn start(addr: &str, job: impl Into<String>) -> Result<Dashboard, DashboardError> {
        let address: SocketAddr = addr.parse().map_err(|_| DashboardError::Address {
            addr: addr.to_string(),
        })?;
        let listener =
            std::net::TcpListener::bind(address).map_err(|source| DashboardError::Listen {
                addr: addr.to_string(),
                hint: match source.kind() {
                    std::io::ErrorKind::AddrInUse => {
                        " (another program, perhaps another dashboard, uses that port; choose \
                         another HOST:PORT)"
                    }
                    _ => "",
                },
                source,
            })?;
        Self::serve(listener, job.into())
    }

    /// [`Dashboard::start`] on `addr`, or on a free port of the same host if that port is taken.
    pub fn start_or_any_port(
        addr: &str,
        job: impl Into<String>,
    ) -> Result<Dashboard, DashboardError> {
        let job = job.into();
        match Self::start(addr, job.clone()) {
            Err(DashboardError::Listen { source, .. })
                if source.kind() == std::io::ErrorKind::AddrInUse =>
            {
                let mut address: SocketAddr =
                    addr.parse().map_err(|_| DashboardError::Address {
                        addr: addr.to_string(),
                    })?;
                address.set_port(0);
                Self::start(&address.to_string(), job)
            }
            other => other,
        }
    }

    fn serve(listener: std::net::TcpListener, job: String) -> Result<Dashboard, DashboardError> {
        listener
            .set_nonblocking(true)
            .map_err(DashboardError::Start)?;
        let address = listener.local_addr().map_err(DashboardError::Start)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(DashboardError::Start)?;
        let (updates, mut received) = mpsc::channel(UPDATES_QUEUED);
        let (stop, stopped) = oneshot::channel::<()>();
        let dropped = Arc::new(AtomicU64::new(0));
        let mut tracker = HealthTracker::new(job);
        let hub = Arc::new(Hub::new(tracker.starting()));
        let seen_dropped = dropped.clone();
        let thread = std::thread::Builder::new()
            .name("dashboard".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let feeding = {
                        let hub = hub.clone();
                        async move {
                            while let Some(update) = received.recv().await {
                                let dropped = seen_dropped.load(Ordering::Relaxed);
                                match update {
                                    Update::Run { entries, health } => {
                                        hub.apply(entries, tracker.view(&health, dropped));
                                    }
                                    Update::Topic {
                                        entries,
                                        mut health,
                                    } => {
                                        health.dropped_updates = dropped;
                                        hub.apply(entries, health);
                                    }
                                }
                            }
                        }
                    };
                    let serving = axum::serve(listener, server::router(hub.clone()));
                    tokio::select! {
                        _ = serving => {}
                        _ = feeding => {}
                        _ = stopped => {}
                    }
                });
                // Open event streams end with the runtime.
            })
            .map_err(DashboardError::Start)?;
        Ok(Dashboard {
            address,
            updates,
            dropped,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// The monitor to hand the pipeline.
    pub fn monitor(&self) -> Arc<dyn Monitor> {
        Arc::new(DashboardMonitor {
            updates: self.updates.clone(),
            dropped: self.dropped.clone(),
        })
    }

    /// Updates left out so far because the dashboard could not keep up.
    pub fn dropped_updates(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn send_topic(&self, entries: Vec<Entry>, health: HealthView) {
        // Reading a topic has nothing else to do: waiting here only slows the reading.
        let _ = self
            .updates
            .blocking_send(Update::Topic { entries, health });
    }

    /// Stops serving.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// The pipeline's side of the dashboard.
struct DashboardMonitor {
    updates: mpsc::Sender<Update>,
    dropped: Arc<AtomicU64>,
}

impl Monitor for DashboardMonitor {
    fn on_batch(&self, results: &[Box<dyn ResultSet>], health: &RunHealth) {
        let outputs = || {
            results
                .iter()
                .flat_map(|set| (0..set.row_count()).map(move |row| (set, row)))
                .filter_map(|(set, row)| set.output(row).map(|output| (set, row, output)))
        };
        let mut newest = NewestOfFeeds::new(outputs().map(|(_, _, output)| Slot::of(output)));
        let mut entries = Vec::new();
        for (set, row, output) in outputs() {
            if newest.keep(Slot::of(output)) {
                let mut json = Vec::new();
                set.write_json(row, &mut json);
                entries.push(Entry::from_output(output, json));
            }
        }
        let update = Update::Run {
            entries,
            health: health.clone(),
        };
        if self.updates.try_send(update).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

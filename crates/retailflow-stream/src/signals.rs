//! Ctrl-C and SIGTERM turned into a [`Shutdown`] request: the first signal asks for a clean stop
//! (finish the batch, commit, close), a second one ends the process at once.

use std::io;

use tokio::runtime::Runtime;

use crate::shutdown::Shutdown;
use crate::status::StatusLog;

/// Listens for stop signals while it is alive (on a small runtime of its own).
#[derive(Debug)]
pub struct SignalListener {
    _runtime: Runtime,
}

impl SignalListener {
    /// Starts listening: the first Ctrl-C or SIGTERM requests `shutdown`, the second exits with
    /// status 130.
    pub fn install(shutdown: Shutdown, status: StatusLog) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("retailflow-signals")
            .enable_all()
            .build()?;
        let mut signals = runtime.block_on(async { StopSignals::register() })?;
        runtime.spawn(async move {
            signals.recv().await;
            status
                .line("stopping: finishing the current batch (press Ctrl-C again to stop at once)");
            shutdown.request();
            signals.recv().await;
            status.line("stopped at once");
            std::process::exit(130);
        });
        Ok(Self { _runtime: runtime })
    }
}

#[cfg(unix)]
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn register() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn register() -> io::Result<Self> {
        Ok(Self)
    }

    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

//! The HTTP side: the embedded page and its files, `GET /api/snapshot` and `GET /api/events`
//! (server-sent events: `hello` with the snapshot, then one `results` event per batch). Nothing
//! but GET; no CORS headers, so other sites' pages cannot read it; every response says what it
//! is (`nosniff`) and the page may load nothing but its own files.
//!
//! Events reach clients through a bounded broadcast channel: a client that falls behind by more
//! than [`EVENTS_QUEUED`] batches is dropped (its browser reconnects and starts from a fresh
//! `hello`), so no client is ever waited for.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;

use crate::board::{Board, event_json};
use crate::entry::Entry;
use crate::health::HealthView;

/// `results` events held for clients that have not read them yet.
pub(crate) const EVENTS_QUEUED: usize = 32;

const INDEX_HTML: &[u8] = include_bytes!("../assets/index.html");
const APP_JS: &[u8] = include_bytes!("../assets/app.js");
const STYLE_CSS: &[u8] = include_bytes!("../assets/style.css");
const CHART_JS: &[u8] = include_bytes!("../assets/vendor/chart.umd.js");
const CHART_LICENSE: &[u8] = include_bytes!("../assets/vendor/chart.js.LICENSE.md");

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'none'";

/// The board and the clients listening for its events.
#[derive(Debug)]
pub(crate) struct Hub {
    board: Mutex<Board>,
    events: broadcast::Sender<Arc<str>>,
}

impl Hub {
    pub(crate) fn new(health: HealthView) -> Self {
        let mut board = Board::default();
        board.set_health(health);
        Hub {
            board: Mutex::new(board),
            events: broadcast::channel(EVENTS_QUEUED).0,
        }
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        // A panic while filing a result leaves a board that is still well-formed.
        self.board
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Files a batch's results and health, and tells every client.
    pub(crate) fn apply(&self, entries: Vec<Entry>, health: HealthView) {
        let mut board = self.board();
        let event = event_json(&entries, &health);
        for entry in entries {
            board.add(entry);
        }
        board.set_health(health);
        // Sent while the board is locked, so a client subscribing now sees the batch once: in
        // its `hello` or as this event. No receiver is not an error.
        let _ = self.events.send(event.into());
    }

    pub(crate) fn snapshot_json(&self) -> String {
        self.board().snapshot_json()
    }

    fn subscribe(&self) -> (String, broadcast::Receiver<Arc<str>>) {
        let board = self.board();
        (board.snapshot_json(), self.events.subscribe())
    }
}

/// The routes.
pub(crate) fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/index.html",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route(
            "/vendor/chart.umd.js",
            get(|| async { asset("text/javascript; charset=utf-8", CHART_JS) }),
        )
        .route(
            "/vendor/chart.js.LICENSE.md",
            get(|| async { asset("text/plain; charset=utf-8", CHART_LICENSE) }),
        )
        .route("/api/snapshot", get(snapshot))
        .route("/api/events", get(events))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(axum::middleware::map_response(secure))
        .with_state(hub)
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn snapshot(State(hub): State<Arc<Hub>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        hub.snapshot_json(),
    )
        .into_response()
}

async fn events(State(hub): State<Arc<Hub>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (hello, receiver) = hub.subscribe();
    let first = stream::once(async move { Ok(Event::default().event("hello").data(hello)) });
    let rest = stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok(event) => Some((
                Ok(Event::default().event("results").data(&*event)),
                receiver,
            )),
            // Fell behind, or the server is stopping: end this client's stream.
            Err(broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed) => {
                None
            }
        }
    });
    Sse::new(first.chain(rest)).keep_alive(KeepAlive::default())
}

async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

//! The receipt contract of retailflow, shared by the stream, the event-time engine and the batch
//! windows: event time and spans ([`time`]), exact money ([`money`]), the typed receipt with its
//! exact totals ([`receipt`]), RFC 3339 timestamps as receipts and results carry them
//! ([`timestamp`]), the message schemas that parse receipts ([`schema`]), the message size limit
//! ([`size`]), how a file of messages splits into lines ([`lines`]), the reasons a message is refused ([`reason`]) and deterministic receipts for tests
//! and demos ([`generate`]).

pub mod generate;
pub mod lines;
pub mod money;
pub mod reason;
pub mod receipt;
pub mod schema;
pub mod size;
pub mod time;
pub mod timestamp;

pub use money::Money;
pub use reason::{Reason, ReasonCounts, Rejection};
pub use receipt::{LineItem, Receipt, ReceiptTotals, receipt_totals};
pub use schema::{ReceiptFormat, RecordFormat};
pub use size::{DEFAULT_MAX_MESSAGE_SIZE, check_message_size};
pub use time::{EventTime, ProcessingTime, TimeSpan};

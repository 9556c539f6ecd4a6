//! The receipt contract of retailflow, shared by the stream, the event-time engine and the batch
//! windows: event time and spans ([`time`]), exact money ([`money`]), the typed receipt with its
//! exact totals ([`receipt`]) and RFC 3339 timestamps as receipts and results carry them
//! ([`timestamp`]).

pub mod money;
pub mod receipt;
pub mod time;
pub mod timestamp;

pub use money::Money;
pub use receipt::{LineItem, Receipt, ReceiptTotals, receipt_totals};
pub use time::{EventTime, ProcessingTime, TimeSpan};

//! Message schemas: turning a payload into a typed record, or into a
//! [`Rejection`](retailflow_receipts::Rejection) that says why not.
//!
//! The receipt schema and the [`RecordFormat`] trait are the receipt contract of
//! `retailflow-receipts`; this crate adds [`value`] (`{"value": n}`, the classic example), which is
//! read the same way. The size limit is checked by the pipeline before a payload ever reaches a
//! parser.

pub mod value;

pub use retailflow_receipts::schema::{ReceiptFormat, RecordFormat, recycle_receipt};
pub use value::{ValueFormat, ValueRecord};

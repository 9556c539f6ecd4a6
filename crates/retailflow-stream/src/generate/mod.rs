//! Deterministic test and demo data: the store receipts of `retailflow_receipts::generate`, and
//! `{"value": n}` messages ([`values`]), with the same fault injection.

pub mod values;

pub use retailflow_receipts::generate::*;
pub use values::ValueGenerator;

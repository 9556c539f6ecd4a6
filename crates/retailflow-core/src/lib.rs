//! Shared pieces of retailflow, used by both the batch and the streaming half: the compressions an
//! input may be stored in ([`compression`]),
//! the value rules for quantities, prices and totals ([`values`]), the retail product catalog ([`catalog`]), a small seeded random source ([`rng`]) and
//! Spark-style console tables ([`table`]).

pub mod catalog;
pub mod compression;
pub mod fault;
pub mod rng;
pub mod table;
pub mod values;

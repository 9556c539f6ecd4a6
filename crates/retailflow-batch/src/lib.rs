//! The batch half of retailflow: load a retail sales CSV, normalise and cast it, repair what can be
//! repaired, drop what cannot, and analyse the result, all as DataFusion plans.

pub mod generate;

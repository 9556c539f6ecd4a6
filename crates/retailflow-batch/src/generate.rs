//! Deterministic dirty retail sales CSVs with the same columns and damage as the real file.

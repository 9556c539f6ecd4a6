//! Integration tests of `retailflow stream`.

#[allow(unused_imports)]
use crate::support;

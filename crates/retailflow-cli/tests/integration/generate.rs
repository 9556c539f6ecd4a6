//! Integration tests of `retailflow generate`.

#[allow(unused_imports)]
use crate::support;

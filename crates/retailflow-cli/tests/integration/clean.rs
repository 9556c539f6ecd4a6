//! Integration tests of `retailflow clean`.

#[allow(unused_imports)]
use crate::support;

//! Helpers the crate's unit tests share.

use std::io::Write as _;

/// `bytes` compressed with gzip, as `gzip` writes them.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

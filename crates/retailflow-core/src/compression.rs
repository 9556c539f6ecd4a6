//! The compressions an input file may be stored in, told by its first bytes whatever its name: one
//! list for the batch job's CSV and the stream's JSONL alike.

/// How a file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (`.gz`).
    Gzip,
    /// bzip2 (`.bz2`).
    Bzip2,
    /// xz (`.xz`).
    Xz,
    /// Zstandard (`.zst`).
    Zstd,
}

impl Compression {
    /// The file name extensions of the compressions, without the dot.
    pub const EXTENSIONS: [&str; 4] = ["gz", "bz2", "xz", "zst"];

    /// The longest magic number, in bytes: how many of a file's first bytes [`Compression::detect`]
    /// needs.
    pub const MAGIC_BYTES: usize = 6;

    /// The compression whose magic number `head` starts with.
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// Its name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain text",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_is_told_by_the_first_bytes() {
        assert_eq!(
            Compression::detect(&[0x1f, 0x8b, 0x08, 0x00]),
            Compression::Gzip
        );
        assert_eq!(Compression::detect(b"BZh91AY&SY"), Compression::Bzip2);
        assert_eq!(
            Compression::detect(b"\xFD7zXZ\x00\x00\x04"),
            Compression::Xz
        );
        assert_eq!(
            Compression::detect(b"\x28\xB5\x2F\xFD\x24"),
            Compression::Zstd
        );
        assert_eq!(Compression::detect(b"a,b\n1,2\n"), Compression::None);
        assert_eq!(Compression::detect(b""), Compression::None);
    }
}

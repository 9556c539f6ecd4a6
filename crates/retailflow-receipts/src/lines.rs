//! A file of messages split into lines, one rule for the stream's file source and the batch
//! windows alike: a line ends in `\n` or `\r\n` (the last one needs neither), and a line too long
//! for the size limit is not held in memory: only its start is kept and the rest skipped, its
//! real size still measured, so that both refuse it as `too_large` the same way. A UTF-8 byte order
//! mark at the start of a file is not part of its first line. A gzip-compressed file (told by its
//! first bytes, whatever its name) is read as the text it holds ([`open_text`]), its byte offsets
//! counted in that text.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use retailflow_core::compression::Compression;

/// What [`read_line`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRead {
    /// The line's size in bytes without its line end (a line skipped for its size may count the
    /// `\r` of its `\r\n`: it is over the limit either way).
    pub size: usize,
    /// Bytes of the input it took, its line end included.
    pub consumed: u64,
    /// Whether it was too long to read whole: only its first bytes were kept.
    pub skipped: bool,
}

/// Appends the next line of `reader` to `out`, without its line end; `None` at the end of the
/// input. A line longer than `max_message_size` plus a line end is read only that far: of it
/// `keep_of_skipped` bytes at most stay in `out`, and the rest of it is consumed without being
/// stored.
pub fn read_line(
    reader: &mut impl BufRead,
    max_message_size: usize,
    keep_of_skipped: usize,
    out: &mut Vec<u8>,
) -> std::io::Result<Option<LineRead>> {
    let start = out.len();
    // Room for the limit plus one byte (to notice a line over it) and a `\r\n`.
    let limit = max_message_size.saturating_add(3) as u64;
    let read = reader.take(limit).read_until(b'\n', out)?;
    if read == 0 {
        return Ok(None);
    }
    if out.last() != Some(&b'\n') && read as u64 == limit {
        let (rest, newline) = skip_line(reader)?;
        out.truncate(start + keep_of_skipped.min(read));
        return Ok(Some(LineRead {
            size: read + rest,
            consumed: (read + rest + usize::from(newline)) as u64,
            skipped: true,
        }));
    }
    if out.last() == Some(&b'\n') {
        out.pop();
        if out.len() > start && out.last() == Some(&b'\r') {
            out.pop();
        }
    }
    Ok(Some(LineRead {
        size: out.len() - start,
        consumed: read as u64,
        skipped: false,
    }))
}

/// A file of messages opened as text.
pub struct Text {
    /// Its text, from the offset asked for.
    pub reader: Box<dyn Read + Send>,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Text").field("gzip", &self.gzip).finish()
    }
}

/// Opens the file at `path` as text, `offset` bytes into that text: a plain file is sought there, a
/// gzip-compressed one decompressed up to there. A file compressed another way (bzip2, xz, zstd) is
/// refused as invalid data, naming the compression.
pub fn open_text(path: &Path, offset: u64) -> std::io::Result<Text> {
    let mut file = File::open(path)?;
    let mut magic = [0; Compression::MAGIC_BYTES];
    let mut seen = 0;
    while seen < magic.len() {
        match file.read(&mut magic[seen..])? {
            0 => break,
            read => seen += read,
        }
    }
    match Compression::detect(&magic[..seen]) {
        Compression::None => {}
        Compression::Gzip => {
            file.seek(SeekFrom::Start(0))?;
            let mut reader: Box<dyn Read + Send> =
                Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)));
            let skipped = std::io::copy(&mut (&mut reader).take(offset), &mut std::io::sink())?;
            if skipped < offset {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("its text ends at byte {skipped}, before byte {offset}"),
                ));
            }
            return Ok(Text { reader, gzip: true });
        }
        other @ (Compression::Bzip2 | Compression::Xz | Compression::Zstd) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "it is {}-compressed, and of compressed files only gzip ones are read: \
                     decompress it first",
                    other.name()
                ),
            ));
        }
    }
    file.seek(SeekFrom::Start(offset))?;
    Ok(Text {
        reader: Box::new(file),
        gzip: false,
    })
}

/// The length in bytes of the text of the file at `path`: its size, or for a gzip-compressed file
/// the size of what it decompresses to (read through once).
pub fn text_length(path: &Path) -> std::io::Result<u64> {
    let mut text = open_text(path, 0)?;
    if text.gzip {
        std::io::copy(&mut text.reader, &mut std::io::sink())
    } else {
        Ok(std::fs::metadata(path)?.len())
    }
}

/// The UTF-8 byte order mark some editors write at the start of a file.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Consumes a UTF-8 byte order mark at the start of `reader`, if there is one; returns the bytes
/// consumed (3 or 0). Call it before the first line of a file, not at a later position.
pub fn skip_byte_order_mark(reader: &mut impl BufRead) -> std::io::Result<u64> {
    if reader.fill_buf()?.starts_with(BYTE_ORDER_MARK) {
        reader.consume(BYTE_ORDER_MARK.len());
        return Ok(BYTE_ORDER_MARK.len() as u64);
    }
    Ok(0)
}

/// Consumes the rest of the current line and its newline; returns how many bytes came before it
/// and whether a newline ended it (not the end of the input).
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<(usize, bool)> {
    let mut skipped = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok((skipped, false));
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(at) => {
                reader.consume(at + 1);
                return Ok((skipped + at, true));
            }
            None => {
                let length = buffer.len();
                skipped += length;
                reader.consume(length);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Write as _};

    use super::*;

    #[test]
    fn a_gzip_file_is_read_as_its_text_from_any_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"one\ntwo\n").unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        let read_from = |offset| {
            let mut text = open_text(&path, offset).unwrap();
            assert!(text.gzip);
            let mut read = String::new();
            text.reader.read_to_string(&mut read).unwrap();
            read
        };
        assert_eq!(read_from(0), "one\ntwo\n");
        assert_eq!(read_from(4), "two\n");
        assert_eq!(read_from(8), "");
        assert_eq!(text_length(&path).unwrap(), 8);
        let past = open_text(&path, 9).unwrap_err();
        assert_eq!(past.kind(), std::io::ErrorKind::UnexpectedEof);

        let plain = dir.path().join("receipts.jsonl");
        std::fs::write(&plain, b"one\ntwo\n").unwrap();
        let mut text = open_text(&plain, 4).unwrap();
        assert!(!text.gzip);
        let mut read = String::new();
        text.reader.read_to_string(&mut read).unwrap();
        assert_eq!(read, "two\n");
        assert_eq!(text_length(&plain).unwrap(), 8);

        let xz = dir.path().join("receipts.jsonl.xz");
        std::fs::write(&xz, b"\xFD7zXZ\x00\x00\x04").unwrap();
        let refused = open_text(&xz, 0).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(
            refused.to_string(),
            "it is xz-compressed, and of compressed files only gzip ones are read: decompress it \
             first"
        );
    }

    /// Every line of `input` as (kept bytes, what was read), through a small buffer so that long
    /// lines span several fills.
    fn lines(input: &[u8], max: usize, keep: usize) -> Vec<(Vec<u8>, LineRead)> {
        let mut reader = BufReader::with_capacity(4, input);
        let mut all = Vec::new();
        loop {
            let mut out = Vec::new();
            match read_line(&mut reader, max, keep, &mut out).unwrap() {
                Some(read) => all.push((out, read)),
                None => return all,
            }
        }
    }

    fn read(size: usize, consumed: u64, skipped: bool) -> LineRead {
        LineRead {
            size,
            consumed,
            skipped,
        }
    }

    #[test]
    fn line_ends_are_dropped_and_counted() {
        assert_eq!(
            lines(b"ab\r\nc\n\nd", 100, 0),
            vec![
                (b"ab".to_vec(), read(2, 4, false)),
                (b"c".to_vec(), read(1, 2, false)),
                (Vec::new(), read(0, 1, false)),
                (b"d".to_vec(), read(1, 1, false)),
            ]
        );
        assert!(lines(b"", 100, 0).is_empty());
    }

    #[test]
    fn a_line_too_long_keeps_its_start_and_its_real_size() {
        let mut input = vec![b'x'; 20];
        input.extend_from_slice(b"\nok\n");
        assert_eq!(
            lines(&input, 5, 3),
            vec![
                (b"xxx".to_vec(), read(20, 21, true)),
                (b"ok".to_vec(), read(2, 3, false))
            ]
        );
        // At the end of the input, without a newline.
        assert_eq!(
            lines(&[b'y'; 12], 5, 0),
            vec![(Vec::new(), read(12, 12, true))]
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped_only_at_the_start() {
        let mut reader = BufReader::new(&b"\xEF\xBB\xBF{\"a\":1}\n"[..]);
        assert_eq!(skip_byte_order_mark(&mut reader).unwrap(), 3);
        assert_eq!(skip_byte_order_mark(&mut reader).unwrap(), 0);
        let mut out = Vec::new();
        let read = read_line(&mut reader, 100, 0, &mut out).unwrap().unwrap();
        assert_eq!((out.as_slice(), read.size), (&b"{\"a\":1}"[..], 7));

        let mut plain = BufReader::new(&b"\xEFx\n"[..]);
        assert_eq!(skip_byte_order_mark(&mut plain).unwrap(), 0);
        assert_eq!(
            skip_byte_order_mark(&mut BufReader::new(&b""[..])).unwrap(),
            0
        );
    }

    #[test]
    fn a_line_just_over_the_limit_is_read_whole() {
        // The limit leaves room for one byte more and a `\r\n`: the caller measures and refuses it.
        assert_eq!(
            lines(b"123456\r\n", 5, 0),
            vec![(b"123456".to_vec(), read(6, 8, false))]
        );
    }
}

//! The receipts file line by line, as the stream's file source splits it: lines end in `\n` or
//! `\r\n`, the last one needs no newline, and lines are numbered from 1. A line over the size
//! limit is not kept in memory: it is skipped and only its size is recorded, so the caller refuses
//! it as `too_large` exactly as the stream does. A gzip-compressed file is read as the text it
//! holds, as the stream reads it.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use retailflow_receipts::lines::{open_text, read_line, skip_byte_order_mark};

use crate::WindowsError;

/// Bytes read from the file at a time.
const READ_BUFFER: usize = 1 << 20;

/// One line of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// Its 1-based number.
    pub(crate) number: i64,
    /// Its length in bytes without the line end, as the stream's file source measures it (a line
    /// over the limit may count the `\r` of its `\r\n`: it is over the limit either way).
    pub(crate) size: usize,
    /// Its bytes without the line end; empty for a line over the size limit.
    pub(crate) text: &'a [u8],
}

/// Reads a file line by line.
pub(crate) struct Lines {
    path: PathBuf,
    reader: BufReader<Box<dyn Read + Send>>,
    max_message_size: usize,
    number: i64,
    line: Vec<u8>,
}

impl std::fmt::Debug for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lines")
            .field("path", &self.path)
            .field("number", &self.number)
            .finish()
    }
}

impl Lines {
    /// Opens `path`; lines over `max_message_size` bytes are skipped, not kept.
    pub(crate) fn open(path: &Path, max_message_size: usize) -> Result<Self, WindowsError> {
        let open_error = |cause| WindowsError::Open {
            path: path.to_path_buf(),
            cause,
        };
        if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(open_error(std::io::Error::other("it is a directory")));
        }
        let text = open_text(path, 0).map_err(open_error)?;
        let mut reader = BufReader::with_capacity(READ_BUFFER, text.reader);
        skip_byte_order_mark(&mut reader).map_err(|cause| WindowsError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Ok(Lines {
            path: path.to_path_buf(),
            reader,
            max_message_size,
            number: 0,
            line: Vec::new(),
        })
    }

    /// The next line, or `None` at the end of the file.
    pub(crate) fn next_line(&mut self) -> Result<Option<Line<'_>>, WindowsError> {
        self.line.clear();
        let read = read_line(&mut self.reader, self.max_message_size, 0, &mut self.line)
            .map_err(|cause| self.read_error(cause))?;
        let Some(read) = read else {
            return Ok(None);
        };
        self.number += 1;
        let text = if read.size > self.max_message_size {
            &[][..]
        } else {
            &self.line[..]
        };
        Ok(Some(Line {
            number: self.number,
            size: read.size,
            text,
        }))
    }

    fn read_error(&self, cause: std::io::Error) -> WindowsError {
        WindowsError::Read {
            path: self.path.clone(),
            cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn read_all(content: &[u8], max: usize) -> Vec<(i64, usize, Vec<u8>)> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        let mut lines = Lines::open(file.path(), max).unwrap();
        let mut all = Vec::new();
        while let Some(line) = lines.next_line().unwrap() {
            all.push((line.number, line.size, line.text.to_vec()));
        }
        assert_eq!(lines.next_line().unwrap(), None);
        all
    }

    #[test]
    fn lines_end_in_lf_or_crlf_and_are_numbered_from_one() {
        assert_eq!(
            read_all(b"{\"value\":1}\r\n\n{\"value\":3}", 100),
            [
                (1, 11, b"{\"value\":1}".to_vec()),
                (2, 0, Vec::new()),
                (3, 11, b"{\"value\":3}".to_vec()),
            ]
        );
        assert!(read_all(b"", 100).is_empty());
        assert_eq!(read_all(b"\xff\xfe\n", 100), [(1, 2, b"\xff\xfe".to_vec())]);
        // A byte order mark is not part of the first line, as for the stream's file source.
        assert_eq!(
            read_all(b"\xEF\xBB\xBF{}\n{}", 100),
            [(1, 2, b"{}".to_vec()), (2, 2, b"{}".to_vec())]
        );
    }

    #[test]
    fn lines_over_the_limit_keep_only_their_size() {
        let mut content = b"short\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 5000));
        content.extend(b"\r\nafter\n");
        content.extend(std::iter::repeat_n(b'y', 3000));
        assert_eq!(
            read_all(&content, 2000),
            [
                (1, 5, b"short".to_vec()),
                (2, 5001, Vec::new()),
                (3, 5, b"after".to_vec()),
                (4, 3000, Vec::new()),
            ]
        );
    }

    #[test]
    fn sizes_at_the_limit() {
        let at_limit = [
            vec![b'a'; 10],
            b"\r\n".to_vec(),
            vec![b'b'; 11],
            b"\n".to_vec(),
            vec![b'c'; 12],
            b"\r\n".to_vec(),
            vec![b'd'; 13],
        ]
        .concat();
        let lines = read_all(&at_limit, 10);
        let sizes: Vec<usize> = lines.iter().map(|(_, size, _)| *size).collect();
        assert_eq!(sizes, [10, 11, 13, 13]);
        assert_eq!(lines[0].2, vec![b'a'; 10]);
        assert!(lines[1..].iter().all(|(_, _, text)| text.is_empty()));
    }

    #[test]
    fn a_missing_file_or_a_directory_cannot_be_opened() {
        let missing = Lines::open(Path::new("/no/such/file.jsonl"), 10).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("cannot open /no/such/file.jsonl: "),
            "{missing}"
        );
        let dir = tempfile::tempdir().unwrap();
        let error = Lines::open(dir.path(), 10).unwrap_err().to_string();
        assert!(error.ends_with(": it is a directory"), "{error}");
    }
}

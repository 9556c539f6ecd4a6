//! The input: checks that it can be used (exists, is a file or a folder of them, is not empty, has a
//! header line of UTF-8 text, the same in every file of a folder), tells whether it is compressed
//! (gzip, bzip2, xz or zstd, by its first bytes, whatever its name) and reads its header row. DataFusion reads the rows; this module reads only the first
//! record, so that the job can name its columns and give clear errors before any plan runs. The
//! header is read through the session's object store at the table URL the plans scan, so a client
//! reads it the way the engine (local, or a cluster's executors) reads the rows.

use std::path::{Path, PathBuf};

use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::object_store::{ObjectStoreExt, path::Path as StorePath};
use datafusion::prelude::SessionContext;
pub use retailflow_core::compression::Compression;

use crate::error::BatchError;

/// How many bytes the header row may take.
const HEADER_LIMIT: usize = 1 << 20;

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses `--delimiter`: one ASCII character other than a quote or a line end, or `tab`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    let byte = match text {
        "tab" | "\\t" => b'\t',
        _ => match text.as_bytes() {
            [byte] if byte.is_ascii() => *byte,
            _ => {
                return Err(format!(
                    "`{text}`: expected one ASCII character, e.g. `;` or `|`, or `tab`"
                ));
            }
        },
    };
    if matches!(byte, b'"' | b'\n' | b'\r') {
        return Err(format!(
            "`{text}`: a quote or a line end cannot separate fields"
        ));
    }
    Ok(byte)
}

/// A checked input, a file or a folder of files with the same header row, and that header row.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The path as the user gave it (for messages).
    pub path: PathBuf,
    /// The absolute path (for the engine).
    pub absolute: PathBuf,
    /// The files read, absolute: the input itself, or those of a folder (see [`is_data_file`]), in
    /// name order.
    pub files: Vec<PathBuf>,
    /// The size in bytes (of every file, for a folder).
    pub size: u64,
    /// The header fields as written (byte-order mark removed, quotes resolved, not trimmed), the
    /// same in every file of a folder.
    pub headers: Vec<String>,
    /// How its text is laid out.
    pub layout: TextLayout,
    /// How the file is compressed (every file of a folder alike).
    pub compression: Compression,
}

/// What the batch job does with a compression: the engine's decoder for it, and how much text a
/// compressed file is taken to hold.
pub(crate) trait CompressionExt {
    /// The engine's name for it.
    fn file_compression_type(self) -> FileCompressionType;
    /// How many bytes of text a file of `size` bytes is taken to hold.
    fn text_size_estimate(self, size: u64) -> u64;
    /// The start of the text in `head`, the first bytes of a file compressed this way.
    fn text_head(self, path: &Path, head: Vec<u8>) -> Result<Vec<u8>, BatchError>;
}

impl CompressionExt for Compression {
    /// The engine's name for it.
    fn file_compression_type(self) -> FileCompressionType {
        match self {
            Compression::None => FileCompressionType::UNCOMPRESSED,
            Compression::Gzip => FileCompressionType::GZIP,
            Compression::Bzip2 => FileCompressionType::BZIP2,
            Compression::Xz => FileCompressionType::XZ,
            Compression::Zstd => FileCompressionType::ZSTD,
        }
    }

    /// How many bytes of text a file of `size` bytes is taken to hold, to decide whether its
    /// parsed columns fit in memory: compressed CSV of this shape is 4 to 8 times smaller, so ten
    /// times its size errs on the side of the disk.
    fn text_size_estimate(self, size: u64) -> u64 {
        match self {
            Compression::None => size,
            Compression::Gzip | Compression::Bzip2 | Compression::Xz | Compression::Zstd => {
                size.saturating_mul(10)
            }
        }
    }

    /// The start of the text in `head`, the first bytes of a file compressed this way: as much as
    /// they decompress to, up to [`HEADER_LIMIT`] bytes.
    fn text_head(self, path: &Path, head: Vec<u8>) -> Result<Vec<u8>, BatchError> {
        if self == Compression::None {
            return Ok(head);
        }
        let corrupt = |detail: String| BatchError::Undecompressible {
            path: path.to_path_buf(),
            compression: self.name(),
            detail,
        };
        let mut reader = self
            .file_compression_type()
            .convert_read(std::io::Cursor::new(head))
            .map_err(|e| corrupt(e.to_string()))?;
        let mut text = vec![0; HEADER_LIMIT];
        let mut filled = 0;
        while filled < text.len() {
            match std::io::Read::read(&mut reader, &mut text[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                // The first bytes of a larger file end mid-stream.
                Err(_) if filled > 0 => break,
                Err(error) => return Err(corrupt(error.to_string())),
            }
        }
        text.truncate(filled);
        Ok(text)
    }
}

/// How an input's text is laid out: the byte between its fields, and the decimal mark of its
/// numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLayout {
    /// The byte between fields (`--delimiter`).
    pub delimiter: u8,
    /// Whether the numeric columns write decimals with a comma, `18,5` (`--decimal-comma`).
    pub decimal_comma: bool,
}

impl Default for TextLayout {
    /// Comma-separated, decimal points.
    fn default() -> Self {
        TextLayout {
            delimiter: b',',
            decimal_comma: false,
        }
    }
}

impl InputFile {
    /// `error`, raised while reading this file, with a compressed file's I/O failure named as the
    /// damaged stream it is (the decoder reports one as an I/O error).
    pub(crate) fn reading(&self, error: BatchError) -> BatchError {
        if self.compression != Compression::None
            && let BatchError::Engine(engine) = &error
            && let Some(detail) = crate::error::io_problem(engine)
        {
            return BatchError::Undecompressible {
                path: self.path.clone(),
                compression: self.compression.name(),
                detail,
            };
        }
        error
    }

    /// Checks `path`, laid out as `layout` says, and reads its header row through `context`'s
    /// object store.
    pub async fn open(
        path: &Path,
        layout: TextLayout,
        context: &SessionContext,
    ) -> Result<Self, BatchError> {
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(BatchError::InputMissing {
                    path: path.to_path_buf(),
                });
            }
            Err(error) => return Err(unreadable(path, &error)),
        };
        let absolute = std::fs::canonicalize(path).map_err(|e| unreadable(path, &e))?;
        let delimiter = layout.delimiter;
        let (files, size, compression, headers) = if metadata.is_dir() {
            read_folder(path, &absolute, delimiter, context).await?
        } else if metadata.is_file() {
            let (size, compression, headers) =
                read_header(path, &absolute, delimiter, context).await?;
            (vec![absolute.clone()], size, compression, headers)
        } else {
            return Err(BatchError::InputNotAFile {
                path: path.to_path_buf(),
            });
        };
        Ok(Self {
            path: path.to_path_buf(),
            absolute,
            files,
            size,
            headers,
            layout,
            compression,
        })
    }
}

/// The bytes of the input at `path` as stored: a file's size, or the sizes of the files of a
/// folder that a job reads, added up; 0 if it cannot be told (the job reports why).
pub fn input_bytes(path: &Path) -> u64 {
    let Ok(metadata) = std::fs::metadata(path) else {
        return 0;
    };
    if !metadata.is_dir() {
        return metadata.len();
    }
    folder_files(path).map_or(0, |files| {
        files
            .iter()
            .filter_map(|file| std::fs::metadata(file).ok())
            .map(|metadata| metadata.len())
            .sum()
    })
}

/// The files of the folder at `path` that a job reads (see [`is_data_file`]), in name order.
fn folder_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let file = entry?.path();
        if file.is_file() && is_data_file(&file) {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// Whether a file of a folder is one to read: not hidden (`.` or `_` first, as Spark's markers
/// are), named `.csv`, `.tsv` or `.txt`, compressed or not (`sales.csv.gz`).
fn is_data_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') || name.starts_with('_') {
        return false;
    }
    let name = name.to_ascii_lowercase();
    let name = Compression::EXTENSIONS
        .iter()
        .find_map(|extension| name.strip_suffix(extension)?.strip_suffix('.'))
        .unwrap_or(&name);
    [".csv", ".tsv", ".txt"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// The files of the folder `path` (at `absolute`) to read, in name order, with their total size,
/// their compression and header row, which every file must share.
async fn read_folder(
    path: &Path,
    absolute: &Path,
    delimiter: u8,
    context: &SessionContext,
) -> Result<(Vec<PathBuf>, u64, Compression, Vec<String>), BatchError> {
    let files = folder_files(absolute).map_err(|e| unreadable(path, &e))?;
    let mut total = 0;
    let mut first: Option<(PathBuf, Compression, Vec<String>)> = None;
    for file in &files {
        let shown = path.join(file.file_name().unwrap_or_default());
        let (size, compression, headers) = read_header(&shown, file, delimiter, context).await?;
        total += size;
        match &first {
            None => first = Some((shown, compression, headers)),
            Some((first_file, first_compression, first_headers)) => {
                if compression != *first_compression {
                    return Err(BatchError::FolderMixed {
                        first: first_file.clone(),
                        first_compression: first_compression.name(),
                        other: shown,
                        other_compression: compression.name(),
                    });
                }
                if headers != *first_headers {
                    return Err(BatchError::FolderHeadersDiffer {
                        first: first_file.clone(),
                        other: shown,
                    });
                }
            }
        }
    }
    match first {
        Some((_, compression, headers)) => Ok((files, total, compression, headers)),
        None => Err(BatchError::FolderEmpty {
            path: path.to_path_buf(),
        }),
    }
}

/// The size, compression and header row of the file `path` (at `absolute`).
async fn read_header(
    path: &Path,
    absolute: &Path,
    delimiter: u8,
    context: &SessionContext,
) -> Result<(u64, Compression, Vec<String>), BatchError> {
    let (size, head) = read_head(path, absolute, context).await?;
    let compression = Compression::detect(&head);
    let head = compression.text_head(path, head)?;
    let headers = header_fields(path, &head, delimiter)?;
    Ok((size, compression, headers))
}

/// The size of the file at `absolute` and its first bytes (at most [`HEADER_LIMIT`]), read from
/// the object store that `context` scans it with.
async fn read_head(
    path: &Path,
    absolute: &Path,
    context: &SessionContext,
) -> Result<(u64, Vec<u8>), BatchError> {
    let unreadable = |reason: String| BatchError::InputUnreadable {
        path: path.to_path_buf(),
        reason,
    };
    let url = ListingTableUrl::parse(absolute.to_string_lossy())
        .map_err(|e| unreadable(e.to_string()))?;
    let store = context
        .runtime_env()
        .object_store(url.object_store())
        .map_err(|e| unreadable(e.to_string()))?;
    let location: &StorePath = url.prefix();
    let not_found = |error: datafusion::object_store::Error| match error {
        datafusion::object_store::Error::NotFound { .. } => BatchError::InputMissing {
            path: path.to_path_buf(),
        },
        other => unreadable(other.to_string()),
    };
    let size = store.head(location).await.map_err(not_found)?.size;
    if size == 0 {
        return Ok((0, Vec::new()));
    }
    let head = store
        .get_range(location, 0..size.min(HEADER_LIMIT as u64))
        .await
        .map_err(not_found)?;
    Ok((size, head.to_vec()))
}

fn unreadable(path: &Path, error: &std::io::Error) -> BatchError {
    BatchError::InputUnreadable {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// Parses the first CSV record of `head` (RFC 4180: `delimiter` separates, `"` quotes, `""` is a
/// quote inside quotes; the record ends at an unquoted `\n`, `\r\n` or `\r`).
pub(crate) fn header_fields(
    path: &Path,
    head: &[u8],
    delimiter: u8,
) -> Result<Vec<String>, BatchError> {
    let body = head.strip_prefix(BOM).unwrap_or(head);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(BatchError::InputEmpty {
            path: path.to_path_buf(),
        });
    }
    if matches!(body.first(), Some(b'\n' | b'\r')) {
        return Err(BatchError::NoHeader {
            path: path.to_path_buf(),
        });
    }
    let mut fields: Vec<Vec<u8>> = vec![Vec::new()];
    let mut in_quotes = false;
    let mut ended = false;
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        let field = fields
            .last_mut()
            .ok_or_else(|| BatchError::Internal("no field".into()))?;
        if in_quotes {
            if byte == b'"' {
                if body.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(byte);
            }
        } else {
            match byte {
                b'"' => in_quotes = true,
                b if b == delimiter => fields.push(Vec::new()),
                b'\n' | b'\r' => {
                    ended = true;
                    break;
                }
                _ => field.push(byte),
            }
        }
        i += 1;
    }
    if !ended && head.len() >= HEADER_LIMIT {
        return Err(BatchError::MalformedCsv {
            path: path.to_path_buf(),
            detail: format!("the header line is longer than {HEADER_LIMIT} bytes"),
        });
    }
    fields
        .into_iter()
        .enumerate()
        .map(|(index, bytes)| {
            String::from_utf8(bytes).map_err(|_| BatchError::NotUtf8 {
                path: path.to_path_buf(),
                detail: format!("invalid UTF-8 in the header of column {}", index + 1),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::gzip;

    fn parse(bytes: &[u8]) -> Result<Vec<String>, BatchError> {
        header_fields(Path::new("in.csv"), bytes, b',')
    }

    #[test]
    fn reads_plain_crlf_bom_and_quoted_headers() {
        assert_eq!(parse(b"a,b,c\n1,2,3\n").unwrap(), ["a", "b", "c"]);
        assert_eq!(parse(b"a,b\r\n1,2\r\n").unwrap(), ["a", "b"]);
        assert_eq!(parse(b"\xEF\xBB\xBFa,b\r\n").unwrap(), ["a", "b"]);
        assert_eq!(
            parse(b"\"a, x\",\"say \"\"hi\"\"\",c").unwrap(),
            ["a, x", "say \"hi\"", "c"]
        );
        assert_eq!(parse(b"\"multi\nline\",b\n").unwrap(), ["multi\nline", "b"]);
        assert_eq!(parse(b"a,,b\n").unwrap(), ["a", "", "b"]);
    }

    #[test]
    fn another_delimiter_separates_and_a_comma_is_text() {
        let read = |bytes: &[u8], delimiter| header_fields(Path::new("in.csv"), bytes, delimiter);
        assert_eq!(read(b"a;b,c;\"d;e\"\n", b';').unwrap(), ["a", "b,c", "d;e"]);
        assert_eq!(read(b"a\tb\r\n", b'\t').unwrap(), ["a", "b"]);
    }

    #[test]
    fn delimiters_are_one_ascii_character_or_tab() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("|"), Ok(b'|'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        for refused in ["", ";;", "é", "\"", "\n"] {
            assert!(parse_delimiter(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn empty_blank_and_headerless_inputs_are_errors() {
        assert!(matches!(parse(b""), Err(BatchError::InputEmpty { .. })));
        assert!(matches!(
            parse(b"\xEF\xBB\xBF"),
            Err(BatchError::InputEmpty { .. })
        ));
        assert!(matches!(
            parse(b"\n\n  \r\n"),
            Err(BatchError::InputEmpty { .. })
        ));
        assert!(matches!(
            parse(b"\na,b\n1,2\n"),
            Err(BatchError::NoHeader { .. })
        ));
    }

    #[test]
    fn the_header_of_a_compressed_file_is_read_from_its_first_bytes() {
        let mut text = b"Transaction ID,Customer ID\r\n".to_vec();
        for row in 0..50_000 {
            text.extend_from_slice(format!("TXN_{row},CUST_{}\r\n", row % 97).as_bytes());
        }
        let compressed = gzip(&text);
        let path = Path::new("in.csv.gz");
        // Only the start of a larger file, cut mid-stream.
        let head = compressed[..compressed.len() / 2].to_vec();
        let head = Compression::Gzip.text_head(path, head).unwrap();
        assert!(head.len() > 1000 && text.starts_with(&head));
        assert_eq!(
            header_fields(path, &head, b',').unwrap(),
            ["Transaction ID", "Customer ID"]
        );

        let error = Compression::Gzip
            .text_head(path, vec![0x1f, 0x8b, 0, 0, 0])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("in.csv.gz: cannot decompress it as gzip: "),
            "{error}"
        );
        assert_eq!(error.fault(), crate::Fault::Data);
    }

    #[test]
    fn input_bytes_add_up_the_files_a_folder_is_read_as() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), [b'x'; 100]).unwrap();
        std::fs::write(dir.path().join("b.csv.gz"), [b'x'; 20]).unwrap();
        std::fs::write(dir.path().join("_SUCCESS"), [b'x'; 7]).unwrap();
        std::fs::write(dir.path().join("notes.md"), [b'x'; 5]).unwrap();
        std::fs::create_dir(dir.path().join("c.csv")).unwrap();
        assert_eq!(input_bytes(dir.path()), 120);
        assert_eq!(input_bytes(&dir.path().join("a.csv")), 100);
        assert_eq!(input_bytes(&dir.path().join("missing.csv")), 0);
    }

    #[test]
    fn non_utf8_header_is_a_data_error() {
        let error = parse(b"a,b\xff\xfe,c\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "in.csv: unreadable bytes: invalid UTF-8 in the header of column 2 (the file must be UTF-8 text)"
        );
    }
}

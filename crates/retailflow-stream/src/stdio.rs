//! The name `-`: as a file to read, standard input (`stream --source file:-`); as a file to write,
//! standard output (`produce --out -`, `--output -`).

use std::path::Path;

/// The file name that stands for the standard stream.
pub(crate) const STANDARD_STREAM: &str = "-";

/// Whether `path` names the standard stream rather than a file.
pub(crate) fn is_standard_stream(path: &Path) -> bool {
    path == Path::new(STANDARD_STREAM)
}

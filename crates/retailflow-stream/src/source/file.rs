//! A JSONL file as a source: each line is a message whose offset is its 1-based line number.
//! Lines may end in `\n` or `\r\n`; the last line needs no newline. A line longer than the size
//! limit is not kept whole in memory: only its start is kept (for the dead letter) and its real
//! size is recorded. For a checkpoint the source reports the next line and the byte where it
//! starts, and [`FileSource::resume`] seeks back there.
//!
//! **Parts.** So that several workers can share a large file, it is read as up to [`FILE_PARTS`]
//! partitions, one per [`FILE_BLOCK`] bytes of its size: its lines are dealt to them in turn in runs
//! of [`FILE_RUN`] (line n to part ((n − 1) / run) mod parts), so every part moves through the
//! file's event time at the same pace and the watermark they give trails the file by a few runs
//! only, while consecutive lines mostly update the same part's state (which keeps it in the
//! processor's caches). A file of up to one block
//! is partition 0 alone. The parts depend on the file's size only, never on how many workers read
//! it, so neither do the results.
//!
//! **Compressed files.** A gzip-compressed file is read as the text it holds (see
//! [`retailflow_receipts::lines::open_text`]): the same parts, offsets and results as the file
//! decompressed.
//!
//! **Standard input.** The path `-` reads standard input (`produce --out - | stream --source
//! file:-`): one part, as its size is not known beforehand, and no resuming, as it cannot be read
//! again from a position.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::checkpoint::SourcePosition;
use crate::dead_letter::OVERSIZED_PAYLOAD_PREVIEW;
use crate::error::StreamError;
use crate::message::{MessageBatch, MessageMeta, Positions};
use crate::source::{Polled, Source};
use crate::stdio::is_standard_stream;
use retailflow_receipts::lines::{open_text, read_line, skip_byte_order_mark, text_length};

/// Bytes in one block of a file (see the module docs).
pub const FILE_BLOCK: u64 = 8 << 20;

/// Most partitions a file is read as.
pub const FILE_PARTS: u64 = 16;

/// Consecutive lines dealt to one part.
pub const FILE_RUN: i64 = 1000;

/// How many partitions a file of `length` bytes is read as.
pub fn file_parts(length: u64) -> u64 {
    length.div_ceil(FILE_BLOCK).clamp(1, FILE_PARTS)
}

/// Lines read ahead in one chunk: at most one run, and no more once it holds this many bytes.
const CHUNK_BYTES: usize = 1 << 20;

/// Chunks the reading thread may be ahead of the pipeline.
const CHUNKS_AHEAD: usize = 4;

/// Reads a JSONL file line by line. A thread of its own reads the file and splits its lines ahead
/// of the pipeline (a few chunks of up to a run of lines), so that reading overlaps the work on the
/// lines already handed out; what the source reports as read is only what it handed out.
#[derive(Debug)]
pub struct FileSource {
    name: String,
    path: PathBuf,
    line_number: i64,
    /// Bytes consumed by the lines handed out: where the next line starts.
    bytes_read: u64,
    /// The chunk lines are handed out from, and the index of its next line.
    chunk: Chunk,
    next: usize,
    ahead: ReadAhead,
    finished: bool,
    /// Partitions the file is read as.
    parts: u64,
}

/// Consecutive lines of the file: their kept bytes one after the other.
#[derive(Debug, Default)]
struct Chunk {
    bytes: Vec<u8>,
    lines: Vec<ChunkLine>,
}

#[derive(Debug, Clone, Copy)]
struct ChunkLine {
    /// Where the line's kept bytes end in the chunk (they start where the previous line's end).
    end: usize,
    /// The line's real size without its line ending.
    size: usize,
    /// Bytes of the file the line took, its line ending included.
    consumed: u64,
}

/// The reading thread and the chunks it sends: `Ok` with at least one line, or the read error
/// that stopped it; the channel closes at the end of the file. Chunks whose lines are all handed
/// out go back to the thread (`spent`), which fills them again instead of allocating new ones.
#[derive(Debug)]
struct ReadAhead {
    chunks: Option<Receiver<std::io::Result<Chunk>>>,
    spent: SyncSender<Chunk>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Closing the channel first makes a thread blocked on a full channel stop.
        self.chunks = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl FileSource {
    /// Opens `path`; lines over `max_message_size` bytes are kept only in part.
    pub fn open(path: &Path, max_message_size: usize) -> Result<Self, StreamError> {
        Self::open_at(path, max_message_size, 1, 0)
    }

    /// Opens `path` at a checkpoint's position: `next_line` is the number of the line starting at
    /// `byte_offset`.
    pub fn resume(
        path: &Path,
        max_message_size: usize,
        next_line: i64,
        byte_offset: u64,
    ) -> Result<Self, StreamError> {
        Self::open_at(path, max_message_size, next_line, byte_offset)
    }

    fn open_at(
        path: &Path,
        max_message_size: usize,
        next_line: i64,
        byte_offset: u64,
    ) -> Result<Self, StreamError> {
        let read_error = |source| StreamError::ReadInput {
            path: path.to_path_buf(),
            source,
        };
        let (input, parts) = if is_standard_stream(path) {
            open_stdin(path, byte_offset)?
        } else {
            open_file(path, byte_offset)?
        };
        let (sender, chunks) = sync_channel(CHUNKS_AHEAD);
        let (spent, spent_chunks) = sync_channel(CHUNKS_AHEAD);
        let reader = LineReader {
            reader: BufReader::with_capacity(1 << 20, input),
            max_message_size,
            spent: spent_chunks,
            at_start: byte_offset == 0,
            skipped: 0,
        };
        let thread = std::thread::Builder::new()
            .name("retailflow-file-reader".to_string())
            .spawn(move || reader.run(&sender))
            .map_err(read_error)?;
        Ok(Self {
            name: if is_standard_stream(path) {
                "standard input".to_string()
            } else {
                format!("file:{}", path.display())
            },
            path: path.to_path_buf(),
            line_number: next_line - 1,
            bytes_read: byte_offset,
            chunk: Chunk::default(),
            next: 0,
            ahead: ReadAhead {
                chunks: Some(chunks),
                spent,
                thread: Some(thread),
            },
            finished: false,
            parts,
        })
    }

    /// Makes the current chunk hold a line not handed out yet; `false` at the end of the file.
    fn next_chunk(&mut self) -> Result<bool, StreamError> {
        let received = match &self.ahead.chunks {
            Some(chunks) => chunks.recv().ok(),
            None => None,
        };
        match received {
            Some(Ok(chunk)) => {
                let spent = std::mem::replace(&mut self.chunk, chunk);
                // A full channel or a finished thread: the chunk is simply dropped.
                let _ = self.ahead.spent.try_send(spent);
                self.next = 0;
                Ok(true)
            }
            Some(Err(source)) => {
                self.finished = true;
                Err(StreamError::ReadInput {
                    path: self.path.clone(),
                    source,
                })
            }
            None => Ok(false),
        }
    }
}

impl Source for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(
        &mut self,
        _timeout: Duration,
        batch: &mut MessageBatch,
    ) -> Result<Polled, StreamError> {
        if self.finished {
            return Ok(Polled::End);
        }
        if self.next == self.chunk.lines.len() && !self.next_chunk()? {
            self.finished = true;
            return Ok(Polled::End);
        }
        let start = match self.next {
            0 => 0,
            next => self.chunk.lines[next - 1].end,
        };
        let line = self.chunk.lines[self.next];
        self.next += 1;
        self.bytes_read += line.consumed;
        self.line_number += 1;
        let meta = MessageMeta {
            partition: (((self.line_number - 1) / FILE_RUN) % self.parts as i64) as i32,
            offset: self.line_number,
            timestamp: None,
            size: line.size,
        };
        batch.push(&self.chunk.bytes[start..line.end], None, meta);
        Ok(Polled::Message)
    }

    fn partitions(&self) -> Option<Vec<i32>> {
        Some((0..self.parts as i32).collect())
    }

    fn checkpoint_position(&self, _positions: &Positions) -> SourcePosition {
        SourcePosition::File {
            next_line: self.line_number + 1,
            byte_offset: self.bytes_read,
        }
    }

    fn commit(&mut self, _positions: &Positions) -> Result<(), StreamError> {
        Ok(())
    }

    fn close(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
}

/// Standard input, from its start only: it cannot be read again from a position.
fn open_stdin(path: &Path, byte_offset: u64) -> Result<(Box<dyn Read + Send>, u64), StreamError> {
    if byte_offset > 0 {
        return Err(StreamError::ResumeOutput {
            path: path.to_path_buf(),
            reason: "standard input cannot be read again from a position; stream a file to resume \
                     from a checkpoint"
                .to_string(),
        });
    }
    Ok((Box::new(std::io::stdin()), 1))
}

/// The file's text at `byte_offset`, and the parts it is read as. A gzip-compressed file is read
/// as the text it holds: its parts and offsets are those of that text, so it gives the results of
/// the file decompressed (at the cost of decompressing it once more to measure it).
fn open_file(path: &Path, byte_offset: u64) -> Result<(Box<dyn Read + Send>, u64), StreamError> {
    let open_error = |source| StreamError::OpenInput {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(open_error)?;
    if metadata.is_dir() {
        return Err(open_error(std::io::Error::other("it is a directory")));
    }
    let length = text_length(path).map_err(open_error)?;
    if length < byte_offset {
        return Err(StreamError::ResumeOutput {
            path: path.to_path_buf(),
            reason: format!(
                "the checkpoint was taken at byte {byte_offset} but the file now has {length} \
                 bytes: the input changed; start over with a new checkpoint directory"
            ),
        });
    }
    let text = open_text(path, byte_offset).map_err(|source| StreamError::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((text.reader, file_parts(length)))
}

/// The reading thread's side: splits the file into lines, keeping only the start of a line over
/// the size limit.
struct LineReader {
    reader: BufReader<Box<dyn Read + Send>>,
    max_message_size: usize,
    spent: Receiver<Chunk>,
    /// Whether it reads from the start of the file, where a byte order mark is skipped.
    at_start: bool,
    /// Bytes skipped before the next line (the byte order mark), counted in what that line took.
    skipped: u64,
}

impl LineReader {
    /// Sends chunks until the end of the file, a read error, or the source going away.
    fn run(mut self, chunks: &SyncSender<std::io::Result<Chunk>>) {
        if self.at_start {
            match skip_byte_order_mark(&mut self.reader) {
                Ok(skipped) => self.skipped = skipped,
                Err(error) => {
                    let _ = chunks.send(Err(error));
                    return;
                }
            }
        }
        loop {
            let mut chunk = match self.spent.try_recv() {
                Ok(mut spent) => {
                    spent.bytes.clear();
                    spent.lines.clear();
                    spent
                }
                Err(_) => Chunk::default(),
            };
            let (message, more) = match self.fill(&mut chunk) {
                Ok(more) => (Ok(chunk), more),
                Err(error) => (Err(error), false),
            };
            let empty = matches!(&message, Ok(chunk) if chunk.lines.is_empty());
            if empty || chunks.send(message).is_err() || !more {
                return;
            }
        }
    }

    /// Fills `chunk` with up to a run of lines; `false` once the file has ended.
    fn fill(&mut self, chunk: &mut Chunk) -> std::io::Result<bool> {
        while chunk.lines.len() < FILE_RUN as usize && chunk.bytes.len() < CHUNK_BYTES {
            if !self.read_line(chunk)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Appends the next line to `chunk`; `false` at the end of the file.
    fn read_line(&mut self, chunk: &mut Chunk) -> std::io::Result<bool> {
        let Some(line) = read_line(
            &mut self.reader,
            self.max_message_size,
            OVERSIZED_PAYLOAD_PREVIEW,
            &mut chunk.bytes,
        )?
        else {
            return Ok(false);
        };
        chunk.lines.push(ChunkLine {
            end: chunk.bytes.len(),
            size: line.size,
            consumed: line.consumed + std::mem::take(&mut self.skipped),
        });
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn read_all(content: &[u8], max: usize) -> Vec<(Vec<u8>, MessageMeta)> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        let mut source = FileSource::open(file.path(), max).unwrap();
        let mut batch = MessageBatch::new();
        while source.poll(Duration::ZERO, &mut batch).unwrap() == Polled::Message {}
        assert_eq!(
            source.poll(Duration::ZERO, &mut batch).unwrap(),
            Polled::End
        );
        batch.iter().map(|m| (m.payload.to_vec(), m.meta)).collect()
    }

    #[test]
    fn lines_become_messages_numbered_from_one() {
        let messages = read_all(b"{\"value\":1}\r\n\n{\"value\":3}", 100);
        let payloads: Vec<&[u8]> = messages.iter().map(|(p, _)| p.as_slice()).collect();
        assert_eq!(payloads, vec![&b"{\"value\":1}"[..], b"", b"{\"value\":3}"]);
        let offsets: Vec<i64> = messages.iter().map(|(_, m)| m.offset).collect();
        assert_eq!(offsets, vec![1, 2, 3]);
        assert!(
            messages
                .iter()
                .all(|(p, m)| m.partition == 0 && m.size == p.len())
        );
    }

    #[test]
    fn an_oversized_line_keeps_its_start_and_real_size() {
        let mut content = b"short\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 5000));
        content.extend(b"\nafter\n");
        let messages = read_all(&content, 2000);
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[1].1.size, 5000);
        assert_eq!(messages[1].0.len(), OVERSIZED_PAYLOAD_PREVIEW);
        assert_eq!(messages[2].0, b"after");
        assert_eq!(messages[2].1.offset, 3);
    }

    #[test]
    fn sizes_at_the_limit() {
        let at_limit = [
            vec![b'a'; 10],
            b"\r\n".to_vec(),
            vec![b'b'; 11],
            b"\n".to_vec(),
            vec![b'c'; 12],
        ]
        .concat();
        let messages = read_all(&at_limit, 10);
        let sizes: Vec<usize> = messages.iter().map(|(_, m)| m.size).collect();
        assert_eq!(sizes, vec![10, 11, 12]);
        assert_eq!(messages[0].0, vec![b'a'; 10]);
        assert_eq!(messages[1].0, vec![b'b'; 11]);
    }

    /// Plain or gzip-compressed: the same messages, positions and resumptions, in the text's bytes.
    #[test]
    fn resuming_at_every_checkpoint_position_reads_the_rest() {
        // Behind a byte order mark, which is not part of the first line but counts in its bytes.
        let mut content = b"\xEF\xBB\xBFone\r\n\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 50));
        content.extend(b"\nlast");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&content).unwrap();
        let compressed = encoder.finish().unwrap();
        for stored in [&content, &compressed] {
            resume_everywhere(&content, stored);
        }
    }

    /// Reads `stored` (holding the text `content`) from every checkpoint position it passes.
    fn resume_everywhere(content: &[u8], stored: &[u8]) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(stored).unwrap();
        let whole = read_all(stored, 20);
        assert_eq!(whole, read_all(content, 20));
        assert_eq!((whole[0].0.as_slice(), whole[0].1.size), (&b"one"[..], 3));
        let mut source = FileSource::open(file.path(), 20).unwrap();
        let mut batch = MessageBatch::new();
        let mut positions = vec![source.checkpoint_position(&Positions::new())];
        while source.poll(Duration::ZERO, &mut batch).unwrap() == Polled::Message {
            positions.push(source.checkpoint_position(&Positions::new()));
        }
        assert_eq!(
            positions.last(),
            Some(&SourcePosition::File {
                next_line: 5,
                byte_offset: content.len() as u64
            })
        );
        for (done, position) in positions.iter().enumerate() {
            let SourcePosition::File {
                next_line,
                byte_offset,
            } = *position
            else {
                panic!("{position:?}");
            };
            let mut resumed = FileSource::resume(file.path(), 20, next_line, byte_offset).unwrap();
            let mut rest = MessageBatch::new();
            while resumed.poll(Duration::ZERO, &mut rest).unwrap() == Polled::Message {}
            let rest: Vec<_> = rest.iter().map(|m| (m.payload.to_vec(), m.meta)).collect();
            assert_eq!(rest, whole[done..], "resumed after {done} lines");
        }
        let error = FileSource::resume(file.path(), 20, 1, 10_000)
            .unwrap_err()
            .to_string();
        assert!(error.contains("the input changed"), "{error}");
    }

    #[test]
    fn non_utf8_lines_are_kept_as_bytes() {
        let messages = read_all(b"\xff\xfe\n", 100);
        assert_eq!(messages[0].0, b"\xff\xfe");
    }

    #[test]
    fn a_missing_file_is_an_open_error() {
        let error = FileSource::open(Path::new("/no/such/file.jsonl"), 10).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot open /no/such/file.jsonl"),
            "{error}"
        );
    }
}

//! The reader thread: drains the instance's `trace_pipe` into a
//! [`Builder`] while the run goes.
//!
//! The pipe is opened non-blocking: a blocking read could not be told to
//! stop. When it is empty the thread sleeps 10 ms, which bounds the work
//! per event batch (the kernel buffers 4 MiB per CPU meanwhile) and keeps
//! an idle reader at about 100 wake-ups a second, on a CPU that is not a
//! task CPU (the thread inherits its creator's affinity).

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::builder::Builder;
use crate::live::clock;

/// Sleep when the pipe is empty, ns.
const IDLE_NS: u64 = 10_000_000;

/// Read buffer, bytes (the kernel hands out at most a page per read; the
/// rest holds a partial line).
const BUFFER: usize = 64 * 1024;

/// The running reader.
#[derive(Debug)]
pub(super) struct Reader {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Builder>,
}

/// Starts the `rtlab-ktrace` thread reading `pipe` into `builder`.
pub(super) fn spawn(pipe: File, builder: Builder) -> std::io::Result<Reader> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handle = std::thread::Builder::new()
        .name("rtlab-ktrace".to_string())
        .spawn(move || read(pipe, builder, &flag))?;
    Ok(Reader { stop, handle })
}

impl Reader {
    /// Drains what is left and stops; tracing must be off already, so
    /// that the pipe runs dry. `Err` if the thread panicked.
    pub(super) fn stop(self) -> Result<Builder, String> {
        self.stop.store(true, Ordering::Release);
        self.handle
            .join()
            .map_err(|_| "the trace reader thread panicked".to_string())
    }
}

fn read(mut pipe: File, mut builder: Builder, stop: &AtomicBool) -> Builder {
    let mut lines = Lines::new(BUFFER);
    loop {
        // Read the flag before the read: an empty pipe seen after the stop
        // request (tracing already off) means nothing more will come.
        let stopping = stop.load(Ordering::Acquire);
        match pipe.read(lines.spare()) {
            Ok(n) if n > 0 => lines.filled(n, |line| builder.line(line)),
            // 0: tracing is off and the pipe is empty.
            Ok(_) => {
                if stopping {
                    break;
                }
                clock::sleep_until(clock::now() + IDLE_NS);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if stopping {
                    break;
                }
                clock::sleep_until(clock::now() + IDLE_NS);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                builder.fail(clock::now(), format!("reading trace_pipe: {e}"));
                break;
            }
        }
    }
    lines.rest(|line| builder.line(line));
    builder
}

/// Splits a byte stream into lines, keeping a partial last line for the
/// next read.
#[derive(Debug)]
struct Lines {
    buf: Vec<u8>,
    filled: usize,
}

impl Lines {
    fn new(capacity: usize) -> Lines {
        Lines {
            buf: vec![0; capacity],
            filled: 0,
        }
    }

    /// Room for the next read. A line longer than the whole buffer is not
    /// a trace line: it is dropped.
    fn spare(&mut self) -> &mut [u8] {
        if self.filled == self.buf.len() {
            self.filled = 0;
        }
        &mut self.buf[self.filled..]
    }

    /// `n` more bytes arrived: hands each complete line to `f`.
    fn filled(&mut self, n: usize, mut f: impl FnMut(&[u8])) {
        let old = self.filled;
        self.filled += n;
        // Only the new bytes can hold the newline ending the partial line.
        let Some(last) = self.buf[old..self.filled].iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let end = old + last + 1;
        for line in self.buf[..end - 1].split(|&b| b == b'\n') {
            f(line);
        }
        self.buf.copy_within(end..self.filled, 0);
        self.filled -= end;
    }

    /// The partial line at the end, if any.
    fn rest(&mut self, mut f: impl FnMut(&[u8])) {
        if self.filled > 0 {
            f(&self.buf[..self.filled]);
            self.filled = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &mut Lines, chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for chunk in chunks {
            let spare = lines.spare();
            spare[..chunk.len()].copy_from_slice(chunk);
            lines.filled(chunk.len(), |l| {
                out.push(String::from_utf8_lossy(l).into_owned())
            });
        }
        out
    }

    #[test]
    fn lines_split_across_reads_are_joined() {
        let mut lines = Lines::new(64);
        let out = feed(&mut lines, &[b"ab", b"c\nde", b"f\n", b"g\nh\ni"]);
        assert_eq!(out, ["abc", "def", "g", "h"]);
        let mut rest = Vec::new();
        lines.rest(|l| rest.push(l.to_vec()));
        assert_eq!(rest, [b"i".to_vec()]);
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_dropped_not_looped_on() {
        let mut lines = Lines::new(8);
        let out = feed(&mut lines, &[b"12345678", b"9\nok\n"]);
        assert_eq!(out, ["9", "ok"]);
    }
}

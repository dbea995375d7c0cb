//! Reading one request line from a client, bounded: a line longer than
//! [`MAX_REQUEST_LINE`] is refused once that much has been read, so a client
//! that never sends a newline costs goalie at most that much memory.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The longest request line goalie reads: 1 MiB (a request is a few hundred
/// bytes; an objective in one is at most 16 KiB).
pub const MAX_REQUEST_LINE: usize = 1024 * 1024;

/// What reading a line gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line, without its newline (invalid UTF-8 replaced).
    Text(String),
    /// More than the cap before a newline.
    TooLong,
    /// The client closed its end.
    End,
}

/// Reads the next line into `buf` (which keeps a partial line, so a read
/// cancelled by `select!` loses nothing), holding at most `cap` bytes.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Line> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            if buf.is_empty() {
                return Ok(Line::End);
            }
            return Ok(Line::Text(take(buf)));
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(newline) if buf.len() + newline <= cap => {
                buf.extend_from_slice(&available[..newline]);
                reader.consume(newline + 1);
                return Ok(Line::Text(take(buf)));
            }
            None if buf.len() + available.len() <= cap => {
                let n = available.len();
                buf.extend_from_slice(available);
                reader.consume(n);
            }
            _ => {
                buf.clear();
                return Ok(Line::TooLong);
            }
        }
    }
}

fn take(buf: &mut Vec<u8>) -> String {
    let line = String::from_utf8_lossy(buf).into_owned();
    buf.clear();
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of `total` bytes with no newline, which counts what was read.
    struct Endless {
        left: usize,
        read: usize,
        chunk: Vec<u8>,
    }

    impl tokio::io::AsyncRead for Endless {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            out: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let this = self.get_mut();
            let n = this.left.min(out.remaining()).min(this.chunk.len());
            out.put_slice(&this.chunk[..n]);
            this.left -= n;
            this.read += n;
            std::task::Poll::Ready(Ok(()))
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn two_hundred_megabytes_without_a_newline_are_refused_after_the_cap() {
        let endless = Endless {
            left: 200 * 1024 * 1024,
            read: 0,
            chunk: vec![b'a'; 8192],
        };
        let mut reader = tokio::io::BufReader::with_capacity(8192, endless);
        let mut buf = Vec::new();
        let line = block_on(read_line(&mut reader, &mut buf, MAX_REQUEST_LINE)).unwrap();
        assert_eq!(line, Line::TooLong);
        // What was read: the cap and at most one more buffer's worth.
        let read = reader.get_ref().read;
        assert!(read <= MAX_REQUEST_LINE + 8192, "{read}");
        assert!(buf.capacity() <= 2 * MAX_REQUEST_LINE, "{}", buf.capacity());
    }

    #[test]
    fn lines_are_split_and_a_last_line_without_newline_counts() {
        let mut reader: &[u8] = b"{\"a\":1}\n\n\xff\xfe\nlast";
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        loop {
            match block_on(read_line(&mut reader, &mut buf, 16)).unwrap() {
                Line::End => break,
                line => lines.push(line),
            }
        }
        assert_eq!(
            lines,
            [
                Line::Text("{\"a\":1}".into()),
                Line::Text(String::new()),
                Line::Text("\u{fffd}\u{fffd}".into()),
                Line::Text("last".into()),
            ]
        );
        let mut long: &[u8] = b"0123456789abcdefg\n";
        assert_eq!(
            block_on(read_line(&mut long, &mut buf, 16)).unwrap(),
            Line::TooLong
        );
    }
}

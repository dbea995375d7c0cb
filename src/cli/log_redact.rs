//! The log's writer hides secrets: every formatted log event goes through a
//! [`Redactor`] built from goalie's environment before it reaches the file
//! or stderr.

use std::io::Write;
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;

use crate::core::redact::Redactor;

/// A [`MakeWriter`] whose writers redact what they are given.
pub struct Redacting<M> {
    inner: M,
    redactor: Arc<Redactor>,
}

impl<M> Redacting<M> {
    pub fn new(inner: M, redactor: Redactor) -> Redacting<M> {
        Redacting {
            inner,
            redactor: Arc::new(redactor),
        }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.inner.make_writer(),
            redactor: self.redactor.clone(),
        }
    }
}

/// One writer of [`Redacting`]: the formatter hands it a whole event at once.
pub struct RedactingWriter<W> {
    inner: W,
    redactor: Arc<Redactor>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner
            .write_all(self.redactor.redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_in_a_log_line_is_hidden() {
        let sink = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let redactor = Redactor::from_vars([("GH_TOKEN", "plain-looking-value")]);
        let mut writer = RedactingWriter {
            inner: Sink(sink.clone()),
            redactor: Arc::new(redactor),
        };
        writer
            .write_all(b"reply: AKIAIOSFODNN7EXAMPLQ and plain-looking-value\n")
            .unwrap();
        let written = String::from_utf8(sink.lock().unwrap().clone()).unwrap();
        assert_eq!(
            written,
            "reply: [redacted:aws-key] and [redacted:env:GH_TOKEN]\n"
        );
    }
}

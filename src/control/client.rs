//! The command line's end of the control socket (blocking: a command sends a
//! request or two, or streams notifications until the goal's run ends).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::error::ControlError;
use super::protocol::RpcError;

/// How long a request may take to be answered.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// A notification from the supervisor.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub method: String,
    pub params: Value,
}

pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: u64,
}

impl Client {
    pub fn connect(path: &Path) -> std::io::Result<Client> {
        let writer = UnixStream::connect(path)?;
        writer.set_read_timeout(Some(ANSWER_WITHIN))?;
        let reader = BufReader::new(writer.try_clone()?);
        Ok(Client {
            reader,
            writer,
            next_id: 1,
        })
    }

    /// Sends a request and waits for its answer; notifications on the way are dropped.
    pub fn call(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<Result<Value, RpcError>, ControlError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = serde_json::json!({ "id": id, "method": method, "params": params });
        writeln!(self.writer, "{line}").map_err(io_error)?;
        loop {
            let message = self.read()?.ok_or_else(|| {
                ControlError::Protocol("the supervisor closed the connection".into())
            })?;
            // An error with a null id is about the connection (a refused peer).
            let ours = message.get("id").and_then(Value::as_u64) == Some(id)
                || (message.get("id") == Some(&Value::Null) && message.get("error").is_some());
            if !ours {
                continue;
            }
            if let Some(error) = message.get("error") {
                let error: RpcError = serde_json::from_value(error.clone())
                    .map_err(|err| ControlError::Protocol(err.to_string()))?;
                return Ok(Err(error));
            }
            return Ok(Ok(message.get("result").cloned().unwrap_or(Value::Null)));
        }
    }

    /// The next notification; `None` once the supervisor has closed the socket.
    pub fn notification(&mut self) -> Result<Option<Notification>, ControlError> {
        self.writer.set_read_timeout(None).map_err(io_error)?;
        loop {
            let Some(message) = self.read()? else {
                return Ok(None);
            };
            if let Some(error) = message.get("error") {
                return Err(ControlError::Protocol(error.to_string()));
            }
            if let Some(method) = message.get("method").and_then(Value::as_str) {
                return Ok(Some(Notification {
                    method: method.to_string(),
                    params: message.get("params").cloned().unwrap_or(Value::Null),
                }));
            }
        }
    }

    fn read(&mut self) -> Result<Option<Value>, ControlError> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).map_err(io_error)?;
        if n == 0 {
            return Ok(None);
        }
        serde_json::from_str(&line)
            .map(Some)
            .map_err(|err| ControlError::Protocol(format!("{err}: {}", line.trim())))
    }
}

fn io_error(err: std::io::Error) -> ControlError {
    ControlError::Protocol(format!("the connection failed: {err}"))
}

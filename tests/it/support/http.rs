//! A minimal HTTP/1.1 client over `std::net` for talking to the fake model in tests (no
//! client library needed). Every call has a read timeout.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The read stopped at the timeout rather than at the end of the response.
    pub timed_out: bool,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// `(event name, data)` of each server-sent event; data parsed as JSON when it is.
    pub fn events(&self) -> Vec<(Option<String>, Value)> {
        let mut out = Vec::new();
        for block in self.body.split("\n\n") {
            let mut name = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push(d);
                }
            }
            if name.is_none() && data.is_empty() {
                continue;
            }
            let data = data.join("\n");
            let value = serde_json::from_str(&data).unwrap_or(Value::String(data));
            out.push((name, value));
        }
        out
    }

    /// Data of the events named (or, for unnamed events, typed) `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|(n, v)| n.as_deref() == Some(kind) || v["type"] == kind)
            .map(|(_, v)| v)
            .collect()
    }
}

/// Sends one request (`Connection: close`) and reads the whole response, or what arrived
/// before `timeout`.
pub fn request(
    method: &str,
    base_url: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> io::Result<HttpResponse> {
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::other("base url must be http://"))?;
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(payload.as_bytes())?;

    let mut raw = Vec::new();
    let mut timed_out = false;
    if let Err(e) = stream.read_to_end(&mut raw) {
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            timed_out = true;
        } else {
            return Err(e);
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            io::Error::other(format!(
                "no response head: {:?}",
                String::from_utf8_lossy(&raw)
            ))
        })?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let rest = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line: {head:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    Ok(HttpResponse {
        status,
        headers,
        body,
        timed_out,
    })
}

pub fn post(base_url: &str, path: &str, body: &Value) -> HttpResponse {
    request(
        "POST",
        base_url,
        path,
        Some(body),
        &[],
        Duration::from_secs(10),
    )
    .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size_line = String::from_utf8_lossy(&s[..eol]).into_owned();
        let Ok(size) = usize::from_str_radix(size_line.trim(), 16) else {
            break;
        };
        let rest = &s[eol + 2..];
        if size == 0 || rest.len() < size {
            out.extend_from_slice(&rest[..rest.len().min(size)]);
            break;
        }
        out.extend_from_slice(&rest[..size]);
        s = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
    }
    out
}

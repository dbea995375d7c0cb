//! The simulated agent as an MCP client, as a real agent CLI is one: given
//! `--mcp-config '{"command": …, "args": […]}'` (what its adapter registers
//! for the run, `goalie mcp` for the goal), it starts that server at its own
//! start, does the handshake, and lists the tools `mcp_list_ms` after its
//! start (Claude Code lists them while it starts, and a prompt submitted
//! before that reaches the model without them). The answer is logged
//! (`mcp tools listed: get_goal, update_goal`) in the scenario's
//! `input_log`, beside the turns it starts, so a test sees which came first.
//! It answers the server's pings after that. The server is ended when the
//! sim ends.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A started MCP server, ended on drop.
pub(crate) struct McpClient {
    child: Child,
}

/// The server to start, as an agent's MCP config names it.
#[derive(serde::Deserialize)]
struct ServerConfig {
    command: String,
    #[serde(default)]
    args: Vec<String>,
}

impl McpClient {
    /// Starts the server `config` names and, on a thread, lists its tools
    /// `list_after` after `started`.
    pub(crate) fn start(
        config: &str,
        started: Instant,
        list_after: Duration,
        log: Option<PathBuf>,
    ) -> std::io::Result<McpClient> {
        let config: ServerConfig = serde_json::from_str(config)
            .map_err(|err| std::io::Error::other(format!("--mcp-config: {err}")))?;
        let mut child = Command::new(&config.command)
            .args(&config.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        std::thread::Builder::new()
            .name("sim-mcp".into())
            .spawn(move || {
                let mut stdin = stdin;
                let mut stdout = stdout;
                let listed = talk(&mut stdin, &mut stdout, started + list_after);
                let line = match listed {
                    Ok(names) => format!("mcp tools listed: {}", names.join(", ")),
                    Err(err) => format!("mcp failed: {err}"),
                };
                if let Some(path) = log
                    && let Ok(mut file) = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                {
                    let _ = writeln!(file, "{line}");
                }
                // Connected until the sim ends, as an agent stays: a ping is
                // answered, anything else the server says is let go.
                let _ = answer_pings(&mut stdin, &mut stdout);
            })?;
        Ok(McpClient { child })
    }
}

impl Drop for McpClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The handshake, then `tools/list` at `list_at`: the tools' names.
fn talk(
    stdin: &mut ChildStdin,
    stdout: &mut BufReader<std::process::ChildStdout>,
    list_at: Instant,
) -> std::io::Result<Vec<String>> {
    let mut send = |message: Value| -> std::io::Result<()> {
        writeln!(stdin, "{message}")?;
        stdin.flush()
    };
    send(json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2024-11-05",
            "capabilities": {},
            "clientInfo": { "name": "goalie-sim", "version": env!("CARGO_PKG_VERSION") },
        },
    }))?;
    answer(stdout, 1)?;
    send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))?;
    std::thread::sleep(list_at.saturating_duration_since(Instant::now()));
    send(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {} }))?;
    let tools = answer(stdout, 2)?;
    Ok(tools["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| tool["name"].as_str().map(str::to_string))
        .collect())
}

/// Answers the server's pings until it closes its output.
fn answer_pings(stdin: &mut ChildStdin, stdout: &mut impl BufRead) -> std::io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if stdout.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if message["method"] == "ping"
            && let Some(id) = message.get("id")
        {
            writeln!(
                stdin,
                "{}",
                json!({ "jsonrpc": "2.0", "id": id, "result": {} })
            )?;
            stdin.flush()?;
        }
    }
}

/// The result of the answer to request `id` (other messages are skipped).
fn answer(stdout: &mut impl BufRead, id: u64) -> std::io::Result<Value> {
    let mut line = String::new();
    loop {
        line.clear();
        if stdout.read_line(&mut line)? == 0 {
            return Err(std::io::Error::other("the MCP server closed its output"));
        }
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if message["id"] == json!(id) {
            if let Some(error) = message.get("error") {
                return Err(std::io::Error::other(error.to_string()));
            }
            return Ok(message["result"].clone());
        }
    }
}

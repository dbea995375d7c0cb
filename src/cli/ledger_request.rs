//! A control command for a goal whose supervisor runs on another host: its
//! socket is out of reach, so the command is written in the ledger (a
//! `control_requested` row) and the supervisor's answer (a
//! `control_answered` row) is waited for, up to `GOALIE_CONTROL_TIMEOUT`
//! seconds (10 unless set). See `runtime/run/ledger_control.rs`.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::core::row::{Row, RowKind};
use crate::error::Error;
use crate::goal::change::Refusal;
use crate::ledger::host::{Remote, this_host};
use crate::ledger::{Goal, Ledger};

/// How long a command waits for the other host's supervisor.
fn timeout() -> Duration {
    let seconds = std::env::var("GOALIE_CONTROL_TIMEOUT")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .unwrap_or(10);
    Duration::from_secs(seconds)
}

/// How often the ledger is looked at for the answer.
const POLL: Duration = Duration::from_millis(100);

/// Writes the request and waits for the supervisor on `remote`'s host to
/// answer: what it said, or its refusal. With `until_ended` (`clear`), it
/// then waits for the run to end too, as `clear` over the socket does.
pub fn request(
    ledger: &Ledger,
    goal: &Goal,
    remote: &Remote,
    command: &str,
    params: Value,
    until_ended: bool,
) -> Result<Vec<String>, Error> {
    let limit = timeout();
    let asked = ledger.append(
        &goal.id,
        &Row::ControlRequested {
            command: command.to_string(),
            params,
            host: this_host(),
        },
    )?;
    let started = Instant::now();
    let not_answered = |what: &str| {
        Error::io(
            format!(
                "goal {}'s supervisor on {} {what} within {} s; the request stays in the ledger (row {}), and the supervisor carries it out if it reads it later: see `goalie status {}`",
                goal.id,
                remote.host,
                limit.as_secs(),
                asked.seq,
                goal.id
            ),
            std::io::Error::from(std::io::ErrorKind::TimedOut),
        )
    };
    let answer = loop {
        let answered = ledger
            .entries_after(&goal.id, RowKind::ControlAnswered, asked.seq)?
            .into_iter()
            .map(|entry| entry.row())
            .find(
                |row| matches!(row, Row::ControlAnswered { request, .. } if *request == asked.seq),
            );
        if let Some(answer) = answered {
            break answer;
        }
        if started.elapsed() >= limit {
            return Err(not_answered("did not answer"));
        }
        std::thread::sleep(POLL);
    };
    let Row::ControlAnswered {
        ok,
        messages,
        error,
        ..
    } = answer
    else {
        unreachable!("found as an answer");
    };
    if !ok {
        return Err(Refusal(error.unwrap_or_else(|| "refused".into())).into());
    }
    while until_ended && ledger.goal(&goal.id)?.supervisor_pid.is_some() {
        if started.elapsed() >= limit {
            return Err(not_answered("answered but its run did not end"));
        }
        std::thread::sleep(POLL);
    }
    Ok(messages)
}

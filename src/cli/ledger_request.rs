//! A control command for a goal whose supervisor runs on another host: its
//! socket is out of reach, so the command is written in the ledger (a
//! `control_requested` row) and the supervisor's answer (a
//! `control_answered` row) is waited for, up to `GOALIE_CONTROL_TIMEOUT`
//! seconds (10 unless set). See `runtime/run/ledger_control.rs`. `goalie
//! watch` of such a goal follows its rows in the ledger.

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

/// `goalie watch` of a goal whose supervisor runs on another host: its rows
/// after `since` (else from now on), read from the ledger as they come,
/// until its run ends or its supervisor is lost. `emit` prints one
/// notification; false when the reader went away.
pub fn watch(
    ledger: &Ledger,
    goal: &Goal,
    remote: &Remote,
    since: Option<i64>,
    emit: &mut dyn FnMut(&str, &Value) -> bool,
) -> Result<i32, Error> {
    let note = |text: String| serde_json::json!({ "goal": goal.id, "text": text });
    if !emit(
        "watching",
        &note(format!(
            "goal {} {}: watching its rows in the ledger (its supervisor runs on {})",
            goal.id, goal.state, remote.host
        )),
    ) {
        return Ok(0);
    }
    let mut seen = match since {
        Some(since) => since,
        None => ledger.last_seq(&goal.id)?,
    };
    loop {
        for entry in ledger.entries_since(&goal.id, seen)? {
            seen = entry.seq;
            if !emit("event", &serde_json::to_value(&entry).unwrap_or_default()) {
                return Ok(0);
            }
        }
        let now = ledger.goal(&goal.id)?;
        if now.supervisor_pid.is_none() {
            emit("ended", &note(format!("goal {}: its run ended", goal.id)));
            return Ok(0);
        }
        match crate::ledger::host::remote_supervisor(
            now.supervisor_pid,
            now.host.as_deref(),
            now.heartbeat_at.as_deref(),
        ) {
            Some(remote) if remote.lost => {
                emit(
                    "lost",
                    &note(format!(
                        "goal {}: supervisor lost on {} (last seen {})",
                        goal.id,
                        remote.host,
                        remote.last_seen.as_deref().unwrap_or("never")
                    )),
                );
                return Ok(0);
            }
            Some(_) => {}
            // Its supervisor is now on this host: its socket says the rest.
            None => {
                emit(
                    "moved",
                    &note(format!(
                        "goal {}: its supervisor is on this host now",
                        goal.id
                    )),
                );
                return Ok(0);
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

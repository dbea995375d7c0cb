//! The session tail in lived-in homes (`tests/support/lived_in.rs`): 5,000
//! earlier sessions of many projects, this project's on earlier days, files
//! with future and past times, and a session of this working directory that
//! another agent process keeps writing. For each of Codex, Claude Code,
//! gemini-cli and opencode, the tail must follow this run's own session and
//! count its tokens exactly, cost no more to start than in an empty home, and
//! do next to nothing while the agent is quiet: counted with its
//! [`TailStats`], never timed.

use crate::support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use goalie::agent::session_log::{LogFormat, claude_project_dir};
use goalie::agent::session_tail::{SessionTail, TailStats};
use goalie::core::log_event::LogEvent;
use support::lived_in;

const HISTORY: usize = 5000;
const WORKDIR: &str = "/home/user/src/work";

fn tokens(events: &[LogEvent]) -> Option<u64> {
    events.iter().rev().find_map(|event| match event {
        LogEvent::Tokens { total } => Some(*total),
        _ => None,
    })
}

fn append(path: &Path, lines: &[String]) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("session file");
    for line in lines {
        writeln!(file, "{line}").expect("append");
    }
}

/// What one run does to its tail, and what it costs.
struct Run {
    /// The work of starting the tail.
    start: TailStats,
    /// The work of the run until the end of its last reply (after the start).
    turns: TailStats,
    /// The work while the agent was quiet: nothing of its own written, the
    /// other process writing, many looks.
    quiet: TailStats,
    path: Option<PathBuf>,
    /// The run's own session file.
    own: PathBuf,
    total: Option<u64>,
}

/// Drives a tail through a run: the agent's session appears and grows by
/// three replies, with the concurrent session written in between, then a
/// quiet stretch of 50 looks on wake-ups and 2 slow fallback looks.
/// `write(n)` writes the run's n-th reply (creating its session at n = 1).
fn drive(
    own: &Path,
    mut tail: SessionTail,
    mut concurrent: Option<&mut lived_in::Concurrent>,
    mut write: impl FnMut(u32),
    report: impl Fn(&mut SessionTail),
) -> Run {
    let start = tail.stats();
    let mut total = None;
    for n in 1..=3 {
        write(n);
        if let Some(other) = concurrent.as_deref_mut() {
            other.append_turn();
        }
        total = tokens(&tail.poll(false)).or(total);
        if n == 1 {
            report(&mut tail);
        }
    }
    total = tokens(&tail.poll(true)).or(total);
    let turns = tail.stats().since(&start);
    let before = tail.stats();
    for i in 0..50 {
        if i % 10 == 0
            && let Some(other) = concurrent.as_deref_mut()
        {
            other.append_turn();
        }
        assert_eq!(tail.poll(false), vec![], "nothing of this run was written");
    }
    assert_eq!(tail.poll(true), vec![]);
    assert_eq!(tail.poll(true), vec![]);
    Run {
        start,
        turns,
        quiet: tail.stats().since(&before),
        path: tail.path().map(Path::to_path_buf),
        own: own.to_path_buf(),
        total,
    }
}

/// What a lived-in home must show against an empty one.
fn check(lived: &Run, empty: &Run, expected: u64) {
    for run in [lived, empty] {
        assert_eq!(run.path.as_ref(), Some(&run.own), "the run's own session");
        assert_eq!(run.total, Some(expected), "its tokens, exactly");
        // Quiet: no event reaches the tail, nothing is opened; the two slow
        // looks list the few session folders once each.
        assert_eq!(run.quiet.wakes, 0, "{:?}", run.quiet);
        assert_eq!(run.quiet.files_opened, 0, "{:?}", run.quiet);
        assert!(run.quiet.dir_scans <= 2 * 6, "{:?}", run.quiet);
        assert_eq!(run.quiet.rescans, 2, "{:?}", run.quiet);
    }
    // Starting costs a few listings and opens at most, whatever the history.
    assert!(lived.start.dir_scans <= 6, "{:?}", lived.start);
    assert!(lived.start.files_opened <= 1, "{:?}", lived.start);
    assert!(empty.start.dir_scans <= lived.start.dir_scans);
    // The run's own work does not grow with history either.
    assert!(
        lived.turns.files_opened <= empty.turns.files_opened + 1,
        "{:?} vs {:?}",
        lived.turns,
        empty.turns
    );
    assert!(lived.turns.files_opened <= 4, "{:?}", lived.turns);
    assert!(
        lived.turns.dir_scans <= empty.turns.dir_scans + 6,
        "{:?} vs {:?}",
        lived.turns,
        empty.turns
    );
}

fn codex_run(history: usize) -> Run {
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let mut generated = (history > 0).then(|| {
        let made = lived_in::codex(&sessions, Path::new(WORKDIR), history, 2000);
        assert!(
            made.sessions > history,
            "the history and a concurrent session"
        );
        assert!(made.this_project >= history / 20);
        made
    });
    let tail = SessionTail::new(
        LogFormat::CodexRollout,
        sessions.clone(),
        Path::new(WORKDIR),
        SystemTime::now(),
    );
    let now = jiff::Zoned::now();
    let id = "01a23109-a558-7560-8618-4ab1a9013a4e";
    let own = lived_in::codex_path(&sessions, &now, id);
    let other_project =
        lived_in::codex_path(&sessions, &now, "01a23109-0000-7560-8618-4ab1a9013a4e");
    drive(
        &own,
        tail,
        generated.as_mut().map(|g| &mut g.concurrent),
        |n| {
            if n == 1 {
                std::fs::create_dir_all(own.parent().unwrap()).unwrap();
                append(&own, &[lived_in::codex_meta(id, &now, WORKDIR, 2000)]);
                // Another project's session starts in the same day folder.
                append(
                    &other_project,
                    &[lived_in::codex_meta("x", &now, "/elsewhere", 2000)],
                );
            }
            append(&own, &[lived_in::codex_tokens(1000 * u64::from(n * n))]);
            append(&other_project, &[lived_in::codex_tokens(99_999)]);
        },
        |tail| tail.follow_reported(&serde_json::json!({ "thread-id": id })),
    )
}

#[test]
fn codex_follows_its_own_rollout_among_5000() {
    let lived = codex_run(HISTORY);
    let empty = codex_run(0);
    check(&lived, &empty, 9000);
}

fn claude_run(history: usize) -> Run {
    let home = tempfile::tempdir().unwrap();
    let projects = home.path().join("projects");
    let mut generated = (history > 0).then(|| {
        let made = lived_in::claude(&projects, Path::new(WORKDIR), history, 2000);
        assert!(
            made.sessions > history,
            "the history and a concurrent session"
        );
        assert!(made.this_project >= history / 20);
        made
    });
    let tail = SessionTail::new(
        LogFormat::ClaudeTranscript,
        projects.clone(),
        Path::new(WORKDIR),
        SystemTime::now(),
    );
    let session = "2a592877-041b-40ae-a0f5-4f07bd6689c4";
    let folder = projects.join(claude_project_dir(WORKDIR));
    let own = folder.join(format!("{session}.jsonl"));
    let later = folder.join("3b000000-041b-40ae-a0f5-4f07bd6689c4.jsonl");
    let transcript = own.display().to_string();
    drive(
        &own,
        tail,
        generated.as_mut().map(|g| &mut g.concurrent),
        |n| {
            std::fs::create_dir_all(&folder).unwrap();
            append(
                &own,
                &[lived_in::claude_reply(
                    session,
                    &format!("msg_{n}"),
                    1000,
                    50,
                )],
            );
            if n == 2 {
                // Another Claude Code of the same folder starts after this one:
                // the hook already named this run's transcript.
                append(&later, &[lived_in::claude_reply("x", "msg_x", 50_000, 1)]);
            }
        },
        |tail| {
            tail.follow_reported(&serde_json::json!({
                "session_id": session, "transcript_path": transcript,
            }))
        },
    )
}

#[test]
fn claude_follows_its_own_transcript_among_5000() {
    let lived = claude_run(HISTORY);
    let empty = claude_run(0);
    check(&lived, &empty, 3150);
}

fn gemini_run(history: usize) -> Run {
    let home = tempfile::tempdir().unwrap();
    let gemini = home.path().join(".gemini");
    std::fs::create_dir_all(&gemini).unwrap();
    let mut generated = (history > 0).then(|| {
        let made = lived_in::gemini(&gemini, Path::new(WORKDIR), history, 2000);
        assert!(
            made.sessions > history,
            "the history and a concurrent session"
        );
        assert!(made.this_project >= history / 20);
        made
    });
    let tmp = gemini.join("tmp");
    let tail = SessionTail::new(
        LogFormat::GeminiChat,
        tmp.clone(),
        Path::new(WORKDIR),
        SystemTime::now(),
    );
    let now = jiff::Zoned::now();
    let id = "17eba7f7-59e3-48b4-9f51-73c7bdfc56a5";
    // The lived-in registry already gives this project `work-1`; a first
    // run of gemini-cli in an empty home registers it as `work` now.
    let slug = if history > 0 { "work-1" } else { "work" };
    let chats = tmp.join(slug).join("chats");
    let own = lived_in::gemini_path(&chats, &now, id);
    drive(
        &own,
        tail,
        generated.as_mut().map(|g| &mut g.concurrent),
        |n| {
            if n == 1 {
                if history == 0 {
                    std::fs::create_dir_all(&chats).unwrap();
                    std::fs::write(
                        gemini.join("projects.json"),
                        format!(r#"{{"projects": {{"{WORKDIR}": "work"}}}}"#),
                    )
                    .unwrap();
                }
                let header = &lived_in::gemini_session(id, WORKDIR, &now, 2000)[..2];
                append(&own, header);
            }
            append(
                &own,
                &[lived_in::gemini_reply(
                    &format!("r{n}"),
                    1000 * u64::from(n),
                )],
            );
        },
        |_| {},
    )
}

#[test]
fn gemini_follows_its_own_chat_among_5000() {
    let lived = gemini_run(HISTORY);
    let empty = gemini_run(0);
    check(&lived, &empty, 6000);
}

#[test]
fn opencode_counts_its_own_replies_among_5000_sessions() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("opencode");
    let mut generated = lived_in::opencode(&data, Path::new(WORKDIR), HISTORY);
    let mut tail = SessionTail::new(
        LogFormat::OpencodeDb,
        data.clone(),
        Path::new(WORKDIR),
        SystemTime::now(),
    );
    let start = tail.stats();
    assert_eq!(start.dir_scans, 0);
    assert!(start.files_opened <= 1, "{start:?}");
    let db = rusqlite::Connection::open(data.join("opencode.db")).unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    lived_in::add_opencode_session(&db, "ses_this_run", WORKDIR, now);
    let mut total = None;
    for n in 1..=3 {
        lived_in::add_opencode_reply(
            &db,
            "ses_this_run",
            &format!("msg_{n}"),
            now + n,
            1000,
            true,
        );
        generated.concurrent.append_turn();
        total = tokens(&tail.poll(false)).or(total);
    }
    assert_eq!(total, Some(3000), "this run's replies only");
    let turns = tail.stats().since(&start);
    // A look per write at most (the run's and the other process's), each an
    // index range over the rows added since the start.
    assert!(turns.db_queries <= 6, "{turns:?}");
    assert_eq!(tail.path(), Some(data.join("opencode.db").as_path()));
    let before = tail.stats();
    for _ in 0..50 {
        assert_eq!(tail.poll(false), vec![]);
    }
    let quiet = tail.stats().since(&before);
    assert_eq!(quiet.db_queries, 0, "{quiet:?}");
    assert_eq!(quiet.wakes, 0, "{quiet:?}");
    assert_eq!(quiet.files_opened, 0, "{quiet:?}");
    // The other process goes on: each write is one cheap look, never counted.
    generated.concurrent.append_turn();
    assert_eq!(tail.poll(false), vec![]);
    assert!(tail.stats().since(&before).db_queries <= 1);
}

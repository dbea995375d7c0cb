//! The ledger's append-only log of events: appending a row (and telling
//! the observer), and reading a goal's rows back.

use super::backend::Conn;
use super::value::{Row as Stored, Value, params};
use super::{Entry, Ledger, LedgerError, now};
use crate::core::row::{Row, RowKind};

impl Ledger {
    /// Appends a ledger row and tells the observer. This is the one way a
    /// row is stored, so secrets are hidden here: the row's text is redacted
    /// before it is written, and the observer (control clients, the
    /// `--on-event` hook) is told the redacted row.
    pub fn append(&self, goal_id: &str, row: &Row) -> Result<Entry, LedgerError> {
        let (kind, mut data) = (row.kind(), row.data());
        self.redactor.redact_json(&mut data);
        let at = now();
        let insert =
            "INSERT INTO events (goal_id, at, kind, data) VALUES (?1, ?2, ?3, ?4) RETURNING seq";
        let text = data.to_string();
        let seq = if let Row::TurnEnded {
            turn, tokens_used, ..
        } = row
        {
            // A turn's row and the goal's count of turns and tokens are stored
            // together: a goalie killed between the two left a turn that its
            // resumed run counted again (the crash suite's turns 1, 2, 3, 3).
            self.conn.transaction(false, |conn| {
                let seq = conn
                    .query_one(insert, params![goal_id, at.as_str(), kind, text])?
                    .int(0)?;
                conn.execute(
                    "UPDATE goals SET turns = ?2, tokens_used = ?3 WHERE id = ?1",
                    params![
                        goal_id,
                        *turn,
                        i64::try_from(*tokens_used).unwrap_or(i64::MAX)
                    ],
                )?;
                Ok::<_, LedgerError>(seq)
            })?
        } else {
            self.conn
                .query_one(insert, params![goal_id, at.as_str(), kind, text])?
                .int(0)?
        };
        let entry = Entry {
            seq,
            goal_id: goal_id.to_string(),
            at,
            kind: kind.to_string(),
            data,
        };
        if let Some(observer) = &self.observer {
            observer(&entry);
        }
        Ok(entry)
    }

    /// Also hides the values of these variables' secrets (the agent's own
    /// environment, beyond goalie's, which is hidden from the start).
    pub fn add_secret_vars<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) {
        self.redactor.add_vars(vars);
    }

    /// What this ledger hides before it stores anything (for what else the
    /// run writes down: the recordings of the agent's screen).
    pub fn redactor(&self) -> &crate::core::redact::Redactor {
        &self.redactor
    }

    /// Calls `observer` with every row appended from now on (the control
    /// socket's `event` notifications, the `--on-event` hook).
    pub fn set_observer(&mut self, observer: impl Fn(&Entry) + 'static) {
        self.observer = Some(Box::new(observer));
    }

    /// The goal's rows of `kind` after `after_seq`, oldest first: a cheap query
    /// the running supervisor makes on each tick (claims that `goalie mcp` wrote).
    pub fn entries_after(
        &self,
        goal_id: &str,
        kind: RowKind,
        after_seq: i64,
    ) -> Result<Vec<Entry>, LedgerError> {
        self.select_entries(
            "SELECT seq, goal_id, at, kind, data FROM events
             WHERE goal_id = ?1 AND kind = ?2 AND seq > ?3 ORDER BY seq",
            params![goal_id, kind.as_str(), after_seq],
        )
    }

    /// The goal's rows of every kind after `after_seq`, oldest first (`goalie
    /// watch` of a goal whose supervisor runs on another host).
    pub fn entries_since(&self, goal_id: &str, after_seq: i64) -> Result<Vec<Entry>, LedgerError> {
        self.select_entries(
            "SELECT seq, goal_id, at, kind, data FROM events
             WHERE goal_id = ?1 AND seq > ?2 ORDER BY seq",
            params![goal_id, after_seq],
        )
    }

    /// A number that changes when another connection (another process:
    /// `goalie mcp`, `goalie hook`, a command on another host) may have
    /// added rows since the last time this one asked. On SQLite it is the
    /// connection's `PRAGMA data_version`, answered from the WAL index without
    /// reading a table, and it never moves for this connection's own writes.
    /// PostgreSQL has no such counter: there it is the newest row's sequence
    /// number (an index's last entry), which also moves for this connection's
    /// rows. The supervisor's looks for what others wrote ask it first and
    /// query only when it moved.
    pub fn data_version(&self) -> Result<i64, LedgerError> {
        match &self.conn {
            // Asked ten times a second by a running supervisor: prepared once.
            Conn::Sqlite(conn) => Ok(conn
                .prepare_cached("PRAGMA data_version")?
                .query_row([], |row| row.get(0))?),
            Conn::Postgres(_) => self
                .conn
                .query_one("SELECT COALESCE(MAX(seq), 0) FROM events", &[])?
                .int(0),
        }
    }

    /// The newest row's sequence number for the goal (0 when it has none).
    pub fn last_seq(&self, goal_id: &str) -> Result<i64, LedgerError> {
        self.conn
            .query_one(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE goal_id = ?1",
                params![goal_id],
            )?
            .int(0)
    }

    /// A goal's newest `n` rows, oldest first: what a stop's summary reads
    /// (the limit reached, the wrap-up reply), so that its cost does not
    /// grow with the goal's history (all of a 1,000-turn goal's rows, read
    /// whole, were 11 MB more at the end of the run).
    pub fn last_entries(&self, goal_id: &str, n: usize) -> Result<Vec<Entry>, LedgerError> {
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let mut entries = self.select_entries(
            "SELECT seq, goal_id, at, kind, data FROM events WHERE goal_id = ?1
             ORDER BY seq DESC LIMIT ?2",
            params![goal_id, limit],
        )?;
        entries.reverse();
        Ok(entries)
    }

    /// A goal's ledger, oldest first.
    pub fn entries(&self, goal_id: &str) -> Result<Vec<Entry>, LedgerError> {
        self.select_entries(
            "SELECT seq, goal_id, at, kind, data FROM events WHERE goal_id = ?1 ORDER BY seq",
            params![goal_id],
        )
    }
}

impl Ledger {
    /// The rows a query of events' `seq, goal_id, at, kind, data` finds.
    fn select_entries(&self, sql: &str, params: &[Value]) -> Result<Vec<Entry>, LedgerError> {
        self.conn
            .query(sql, params)?
            .iter()
            .map(entry_from_row)
            .collect()
    }
}

fn entry_from_row(row: &Stored) -> Result<Entry, LedgerError> {
    let data = row.text(4)?;
    Ok(Entry {
        seq: row.int(0)?,
        goal_id: row.text(1)?,
        at: row.text(2)?,
        kind: row.text(3)?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data)),
    })
}

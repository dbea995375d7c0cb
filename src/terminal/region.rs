//! The agent's output on its way to the person's terminal, read just enough
//! for goalie to draw its own things there: whether the stream is between
//! escape sequences (goalie's bytes never land inside one of the agent's),
//! and, with a status row, the agent's scroll regions kept above that row.
//!
//! With a status row the agent's PTY is one row shorter than the terminal
//! (`agent_rows`), and goalie sets the scroll region (DECSTBM) to those rows
//! so that scrolling never moves the status row. The agent may set its own
//! region: `CSI r` (the whole screen, which is the terminal's) becomes
//! `CSI 1;agent_rows r`, and a bottom margin past `agent_rows` is cut to it;
//! a cursor move to a row past `agent_rows` goes to `agent_rows`.
//! What can wipe the status row (clearing the screen, the alternate screen,
//! a full reset) marks it damaged, so it is drawn again.
//!
//! The recording gets the agent's bytes as it wrote them, never these.

use std::borrow::Cow;

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
/// A CSI sequence longer than this is passed on as it comes, never rewritten.
const MAX_CSI: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC.
    Escape,
    /// Inside `CSI …` (its bytes so far are in `csi`).
    Csi,
    /// Inside a CSI sequence too long to keep: passed on up to its final byte.
    CsiPass,
    /// Inside a string (OSC, DCS, APC, PM) up to BEL or ST.
    Str,
    /// ESC inside a string (maybe the start of ST).
    StrEscape,
}

/// Reads the agent's output stream as it goes to the person's terminal.
#[derive(Debug)]
pub struct OutputFilter {
    state: State,
    /// The CSI sequence being read (from its ESC), when it may be rewritten.
    csi: Vec<u8>,
    /// With a status row: the agent's rows (the scroll region's bottom).
    agent_rows: Option<u16>,
    /// Something the agent wrote may have wiped the status row.
    damaged: bool,
}

impl OutputFilter {
    /// A filter for a terminal whose top `agent_rows` rows are the agent's
    /// (`None`: the whole terminal is, there is no status row).
    pub fn new(agent_rows: Option<u16>) -> OutputFilter {
        OutputFilter {
            state: State::Ground,
            csi: Vec::new(),
            agent_rows,
            damaged: false,
        }
    }

    /// The terminal changed size: the agent now has `agent_rows` rows.
    pub fn set_agent_rows(&mut self, agent_rows: Option<u16>) {
        self.agent_rows = agent_rows;
    }

    /// Whether the stream is between escape sequences, where goalie may write.
    pub fn at_ground(&self) -> bool {
        self.state == State::Ground
    }

    /// Whether the status row may have been wiped since the last call.
    pub fn take_damage(&mut self) -> bool {
        std::mem::take(&mut self.damaged)
    }

    /// The bytes to write to the person's terminal for `chunk`. Without a
    /// status row they are `chunk` itself; with one, a CSI sequence the
    /// chunk ends inside waits for the next chunk (it may be rewritten).
    pub fn filter<'a>(&mut self, chunk: &'a [u8]) -> Cow<'a, [u8]> {
        if self.agent_rows.is_none() {
            self.run(chunk, None);
            return Cow::Borrowed(chunk);
        }
        let mut out = Vec::with_capacity(chunk.len() + 16);
        self.run(chunk, Some(&mut out));
        Cow::Owned(out)
    }

    fn run(&mut self, chunk: &[u8], mut out: Option<&mut Vec<u8>>) {
        let mut emit = |bytes: &[u8]| {
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(bytes);
            }
        };
        let mut i = 0;
        while i < chunk.len() {
            let byte = chunk[i];
            match self.state {
                State::Ground => {
                    let end = chunk[i..]
                        .iter()
                        .position(|b| *b == ESC)
                        .map_or(chunk.len(), |at| i + at);
                    emit(&chunk[i..end]);
                    if end < chunk.len() {
                        self.state = State::Escape;
                        self.csi.clear();
                        self.csi.push(ESC);
                    }
                    i = end + 1;
                    continue;
                }
                State::Escape => {
                    self.csi.push(byte);
                    self.state = match byte {
                        b'[' => State::Csi,
                        b']' | b'P' | b'_' | b'^' | b'X' => State::Str,
                        // An intermediate (`ESC ( B`): the final byte is still to come.
                        0x20..=0x2f if self.csi.len() <= MAX_CSI => State::Escape,
                        _ => State::Ground,
                    };
                    if byte == b'c' {
                        self.damaged = true;
                    }
                    if !matches!(self.state, State::Csi | State::Escape) {
                        emit(&self.csi);
                    }
                }
                State::Csi => {
                    self.csi.push(byte);
                    if (0x40..=0x7e).contains(&byte) {
                        self.state = State::Ground;
                        let seq = std::mem::take(&mut self.csi);
                        emit(&self.finished_csi(&seq));
                    } else if self.csi.len() > MAX_CSI {
                        self.state = State::CsiPass;
                        emit(&self.csi);
                    }
                }
                State::CsiPass => {
                    emit(&[byte]);
                    if (0x40..=0x7e).contains(&byte) {
                        self.state = State::Ground;
                    }
                }
                State::Str => {
                    emit(&[byte]);
                    match byte {
                        BEL => self.state = State::Ground,
                        ESC => self.state = State::StrEscape,
                        _ => {}
                    }
                }
                State::StrEscape => {
                    emit(&[byte]);
                    self.state = if byte == b'\\' {
                        State::Ground
                    } else {
                        State::Str
                    };
                }
            }
            i += 1;
        }
    }

    /// A whole CSI sequence `seq` (from its ESC) was read: what to write for it.
    fn finished_csi<'s>(&mut self, seq: &'s [u8]) -> Cow<'s, [u8]> {
        let body = &seq[2..seq.len() - 1];
        let last = seq[seq.len() - 1];
        let private = body.first() == Some(&b'?');
        match last {
            b'J' if !private => self.damaged = true,
            b'h' | b'l'
                if private
                    && body[1..]
                        .split(|b| *b == b';')
                        .any(|mode| matches!(mode, b"1049" | b"1047" | b"47")) =>
            {
                self.damaged = true;
            }
            _ => {}
        }
        let plain = body.iter().all(|b| b.is_ascii_digit() || *b == b';');
        let rows = self.agent_rows.filter(|_| plain);
        // A cursor move past the agent's rows (`CSI 999;999 H`, as a TUI
        // finds the screen's size) stops on its last row, not on goalie's.
        if let (Some(rows), b'H' | b'f' | b'd') = (rows, last) {
            let mut params = body.split(|b| *b == b';');
            let row = params.next().and_then(number);
            if row.is_some_and(|row| row > rows) {
                let rest: Vec<&[u8]> = params.collect();
                let mut out = format!("\x1b[{rows}").into_bytes();
                for param in rest {
                    out.push(b';');
                    out.extend_from_slice(param);
                }
                out.push(last);
                return Cow::Owned(out);
            }
            return Cow::Borrowed(seq);
        }
        let region = rows.filter(|_| last == b'r');
        match region {
            Some(rows) => {
                let mut params = body.split(|b| *b == b';').map(number);
                let top = params.next().flatten().unwrap_or(1).max(1);
                let bottom = params.next().flatten().filter(|b| *b > 0).unwrap_or(rows);
                let bottom = bottom.min(rows);
                let top = top.min(bottom);
                Cow::Owned(format!("\x1b[{top};{bottom}r").into_bytes())
            }
            None => Cow::Borrowed(seq),
        }
    }
}

/// A CSI parameter: digits as a number (`None` when empty or too large).
fn number(digits: &[u8]) -> Option<u16> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(filter: &mut OutputFilter, chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend_from_slice(&filter.filter(chunk));
        }
        out
    }

    #[test]
    fn without_a_status_row_bytes_pass_as_they_are_and_the_ground_is_known() {
        let mut filter = OutputFilter::new(None);
        let chunk = b"hello \x1b[1mbold\x1b[0m \x1b[r";
        assert!(matches!(filter.filter(chunk), Cow::Borrowed(b) if b == chunk));
        assert!(filter.at_ground());
        assert_eq!(&*filter.filter(b"a\x1b]2;tit"), b"a\x1b]2;tit");
        assert!(!filter.at_ground());
        filter.filter(b"le\x07");
        assert!(filter.at_ground());
        filter.filter(b"\x1b[3");
        assert!(!filter.at_ground());
        filter.filter(b"8;5;1m");
        assert!(filter.at_ground());
        filter.filter(b"\x1b(");
        assert!(!filter.at_ground(), "a charset designation is not over");
        filter.filter(b"B");
        assert!(filter.at_ground());
    }

    #[test]
    fn scroll_regions_stay_above_the_status_row_even_split_across_chunks() {
        let mut filter = OutputFilter::new(Some(29));
        assert_eq!(all(&mut filter, &[b"a\x1b[rb"]), b"a\x1b[1;29rb");
        assert_eq!(all(&mut filter, &[b"\x1b[5;40r"]), b"\x1b[5;29r");
        assert_eq!(all(&mut filter, &[b"\x1b[2;10r"]), b"\x1b[2;10r");
        assert_eq!(
            all(&mut filter, &[b"x\x1b[", b"1;", b"30r", b"y"]),
            b"x\x1b[1;29ry"
        );
        assert!(filter.at_ground());
        // The cursor never goes below the agent's rows.
        assert_eq!(all(&mut filter, &[b"\x1b[999;999H"]), b"\x1b[29;999H");
        assert_eq!(
            all(&mut filter, &[b"\x1b[30d\x1b[12;3f"]),
            b"\x1b[29d\x1b[12;3f"
        );
        assert_eq!(
            all(&mut filter, &[b"\x1b[H\x1b[29;1H"]),
            b"\x1b[H\x1b[29;1H"
        );
        // Private and other sequences pass as they are.
        let other = b"\x1b[?1049h\x1b[38;5;1m\x1b]0;t\x07\x1b7\x1b(B\x1b[?2004r";
        assert_eq!(all(&mut filter, &[other]), other);
        assert!(filter.take_damage(), "the alternate screen wipes the row");
        assert!(!filter.take_damage());
        assert_eq!(all(&mut filter, &[b"\x1b[2J"]), b"\x1b[2J");
        assert!(filter.take_damage());
        assert_eq!(all(&mut filter, &[b"\x1bc"]), b"\x1bc");
        assert!(filter.take_damage());
        // A run of plain text, split anywhere, is itself.
        let text: Vec<u8> = (0..2000).map(|i| b'a' + (i % 26) as u8).collect();
        assert_eq!(all(&mut filter, &[&text[..700], &text[700..]]), text);
    }
}

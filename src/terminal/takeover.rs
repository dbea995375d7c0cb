//! The takeover chord: Ctrl-] then `t`, typed in the mirrored terminal, hands
//! the agent to the person (goalie pauses and types nothing); the same chord
//! hands it back. The chord's bytes never reach the agent; a Ctrl-] followed by
//! anything else reaches it unchanged, both bytes.

/// Ctrl-]: the chord's first key (the byte a terminal sends for it).
pub const PREFIX: u8 = 0x1d;
/// The chord's second key.
pub const KEY: u8 = b't';

/// Splits the person's keys into what goes to the agent and chord presses.
/// A Ctrl-] at the end of a read waits for the next read to decide.
#[derive(Debug, Default)]
pub struct ChordFilter {
    pending: bool,
}

impl ChordFilter {
    /// Returns the bytes for the agent and how many chords were pressed.
    pub fn feed(&mut self, keys: &[u8]) -> (Vec<u8>, usize) {
        let mut pass = Vec::with_capacity(keys.len() + 1);
        let mut chords = 0;
        for &byte in keys {
            if self.pending {
                self.pending = false;
                if byte == KEY {
                    chords += 1;
                } else {
                    pass.push(PREFIX);
                    pass.push(byte);
                }
            } else if byte == PREFIX {
                self.pending = true;
            } else {
                pass.push(byte);
            }
        }
        (pass, chords)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chord_is_taken_out_and_counted() {
        let mut filter = ChordFilter::default();
        assert_eq!(filter.feed(b"ab\x1dtcd"), (b"abcd".to_vec(), 1));
        assert_eq!(filter.feed(b"\x1dt\x1dt"), (vec![], 2));
    }

    #[test]
    fn a_lone_ctrl_bracket_passes_with_the_next_key() {
        let mut filter = ChordFilter::default();
        assert_eq!(filter.feed(b"\x1dx"), (b"\x1dx".to_vec(), 0));
        // Ctrl-] Ctrl-]: both pass, and the second does not start a chord.
        assert_eq!(filter.feed(b"\x1d\x1dt"), (b"\x1d\x1dt".to_vec(), 0));
    }

    #[test]
    fn a_chord_split_across_reads_still_counts() {
        let mut filter = ChordFilter::default();
        assert_eq!(filter.feed(b"a\x1d"), (b"a".to_vec(), 0));
        assert_eq!(filter.feed(b"t"), (vec![], 1));
        assert_eq!(filter.feed(b"\x1d"), (vec![], 0));
        assert_eq!(filter.feed(b"q"), (b"\x1dq".to_vec(), 0));
    }
}

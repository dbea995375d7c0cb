//! Blockers the agent reported: the same one in [`BLOCKED_TURNS`] turns in a
//! row ends the goal unmet.

/// How many consecutive turns must report the same blocker for the goal to end unmet.
pub const BLOCKED_TURNS: u32 = 3;

/// The blocker reported in consecutive turns, and how many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blockers {
    last: Option<(String, u32)>,
}

impl Blockers {
    /// A turn reported the blocker `reason`: in how many turns in a row.
    pub fn report(&mut self, reason: &str) -> u32 {
        let key = blocker_key(reason);
        let count = match &self.last {
            Some((previous, count)) if *previous == key => count + 1,
            _ => 1,
        };
        self.last = Some((key, count));
        count
    }

    /// A turn reported no blocker: the count starts again.
    pub fn clear(&mut self) {
        self.last = None;
    }
}

/// Blockers are the same when their words are (case, spacing and punctuation aside).
fn blocker_key(reason: &str) -> String {
    reason
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_blocker_counts_up_in_consecutive_reports() {
        let mut blockers = Blockers::default();
        assert_eq!(blockers.report("The API key is missing."), 1);
        assert_eq!(
            blockers.report("the api key is   missing"),
            2,
            "case, spacing, punctuation aside"
        );
        assert_eq!(blockers.report("THE API KEY IS MISSING!"), 3);
    }

    #[test]
    fn another_blocker_or_none_starts_the_count_again() {
        let mut blockers = Blockers::default();
        blockers.report("no network");
        blockers.report("no network");
        assert_eq!(blockers.report("no disk space"), 1);
        blockers.clear();
        assert_eq!(blockers.report("no disk space"), 1);
    }

    #[test]
    fn a_blockers_words_are_its_key() {
        assert_eq!(blocker_key("  Tests: fail (3x)! "), "tests fail 3x");
        assert_eq!(blocker_key("...?"), "");
    }
}

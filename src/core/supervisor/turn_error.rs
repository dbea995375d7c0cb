//! The usage limits and API errors a turn showed ([`TurnError`] is defined with
//! the ledger rows that name it).

pub use crate::core::row::TurnError;

/// The usage limits and API errors that appeared during a turn, each noted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct TurnErrors {
    usage_limit: bool,
    api_error: bool,
}

impl TurnErrors {
    pub(super) fn has(self, error: TurnError) -> bool {
        match error {
            TurnError::UsageLimit => self.usage_limit,
            TurnError::ApiError => self.api_error,
        }
    }

    /// Notes `error`; whether it is new to the turn.
    pub(super) fn note(&mut self, error: TurnError) -> bool {
        let slot = match error {
            TurnError::UsageLimit => &mut self.usage_limit,
            TurnError::ApiError => &mut self.api_error,
        };
        !std::mem::replace(slot, true)
    }

    /// The turn's error: a usage limit when both showed.
    pub(super) fn the_error(self) -> Option<TurnError> {
        if self.usage_limit {
            Some(TurnError::UsageLimit)
        } else if self.api_error {
            Some(TurnError::ApiError)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_is_new_once_per_turn() {
        let mut errors = TurnErrors::default();
        assert_eq!(errors.the_error(), None);
        assert!(errors.note(TurnError::ApiError));
        assert!(!errors.note(TurnError::ApiError));
        assert!(errors.has(TurnError::ApiError));
        assert!(!errors.has(TurnError::UsageLimit));
        assert_eq!(errors.the_error(), Some(TurnError::ApiError));
    }

    #[test]
    fn a_usage_limit_is_the_turns_error_when_both_showed() {
        let mut errors = TurnErrors::default();
        errors.note(TurnError::ApiError);
        assert!(errors.note(TurnError::UsageLimit));
        assert_eq!(errors.the_error(), Some(TurnError::UsageLimit));
    }
}

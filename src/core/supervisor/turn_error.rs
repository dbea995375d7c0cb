//! What ended a turn instead of the model's reply.

/// What ended a turn instead of the model's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnError {
    UsageLimit,
    ApiError,
}

impl TurnError {
    /// Its place in a turn's `error` pair.
    pub(super) fn slot(self) -> usize {
        match self {
            TurnError::UsageLimit => 0,
            TurnError::ApiError => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TurnError::UsageLimit => "usage_limit",
            TurnError::ApiError => "api_error",
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            TurnError::UsageLimit => "a usage limit",
            TurnError::ApiError => "an API error",
        }
    }
}

//! The values that cross the ledger's storage interface: integers, text and
//! null (all the ledger stores), and the rows read back, whose columns are
//! read as the types the ledger keeps.

use super::error::LedgerError;

/// A value stored in, or read from, the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Value {
        Value::Int(i64::from(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_string())
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Value {
        Value::Text(value.clone())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

/// The values of a statement's parameters, in order: `params![a, b]`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::ledger::store::value::Value::from($value)),*][..]
    };
}
pub(crate) use params;

/// One row read back: its columns, in the order the query named them.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn value(&self, i: usize) -> Result<&Value, LedgerError> {
        self.0
            .get(i)
            .ok_or_else(|| LedgerError::Stored(format!("no column {i} in a row of the ledger")))
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
        match self.value(i)? {
            Value::Null => Ok(None),
            Value::Text(text) => Ok(Some(text.clone())),
            Value::Int(value) => Ok(Some(value.to_string())),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String, LedgerError> {
        self.opt_text(i)?
            .ok_or_else(|| LedgerError::Stored(format!("column {i} is null where text is kept")))
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        match self.value(i)? {
            Value::Null => Ok(None),
            Value::Int(value) => Ok(Some(*value)),
            Value::Text(text) => text.parse().map(Some).map_err(|_| {
                LedgerError::Stored(format!("column {i} holds `{text}` where a number is kept"))
            }),
        }
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64, LedgerError> {
        self.opt_int(i)?.ok_or_else(|| {
            LedgerError::Stored(format!("column {i} is null where a number is kept"))
        })
    }

    /// A count or id that fits in 32 bits (a pid, a number of turns).
    pub(crate) fn opt_u32(&self, i: usize) -> Result<Option<u32>, LedgerError> {
        self.opt_int(i)?
            .map(|value| {
                u32::try_from(value).map_err(|_| {
                    LedgerError::Stored(format!("column {i} holds {value}, out of range"))
                })
            })
            .transpose()
    }

    /// A number that is never negative (tokens, milliseconds).
    pub(crate) fn opt_u64(&self, i: usize) -> Result<Option<u64>, LedgerError> {
        Ok(self.opt_int(i)?.map(|value| value.max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_their_columns_as_the_ledger_keeps_them() {
        let row = Row(vec![
            Value::Int(7),
            Value::Null,
            Value::Text("12".into()),
            Value::Int(-3),
        ]);
        assert_eq!(row.int(0).unwrap(), 7);
        assert_eq!(row.opt_int(1).unwrap(), None);
        assert_eq!(row.opt_u32(2).unwrap(), Some(12));
        assert_eq!(row.opt_u64(3).unwrap(), Some(0));
        assert!(row.text(1).is_err());
        assert!(row.opt_u32(3).is_err());
        assert!(row.int(9).is_err());
    }
}

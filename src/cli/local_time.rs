//! Times as a person reads them: in the local time zone (`TZ`, else the
//! system's), with the offset. The ledger and every JSON output keep UTC.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The time zone people's times are shown in.
pub fn zone() -> TimeZone {
    TimeZone::system()
}

/// `2026-01-02T10:11:12.345Z` → `2026-01-02 11:11:12 +01:00` (in `tz`); a
/// text that is not a timestamp stays as it is.
pub fn local(at: &str, tz: &TimeZone) -> String {
    match at.parse::<Timestamp>() {
        Ok(ts) => ts
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S %:z")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

/// The clock time alone, `11:11:12` (in `tz`).
pub fn clock(at: &str, tz: &TimeZone) -> String {
    match at.parse::<Timestamp>() {
        Ok(ts) => ts.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string(),
        Err(_) => at.get(11..19).unwrap_or(at).to_string(),
    }
}

/// The offset of `tz` now, `+01:00`, to say once what the clock times are in.
pub fn offset_now(tz: &TimeZone) -> String {
    Timestamp::now()
        .to_zoned(tz.clone())
        .strftime("%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_rows_read_in_the_zone_with_its_offset() {
        let tz =
            TimeZone::get("Europe/Paris").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(1)));
        assert_eq!(
            local("2026-01-02T10:11:12.345Z", &tz),
            "2026-01-02 11:11:12 +01:00"
        );
        assert_eq!(clock("2026-01-02T10:11:12Z", &tz), "11:11:12");
        assert_eq!(local("soon", &tz), "soon");
        assert_eq!(
            local("2026-01-02T10:11:12Z", &TimeZone::UTC),
            "2026-01-02 10:11:12 +00:00"
        );
    }
}

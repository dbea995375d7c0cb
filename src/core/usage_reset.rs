//! When a usage limit the agent shows will reset, read off its screen with
//! the adapter's `screen.usage_limit_reset` pattern: a clock time (`hour`,
//! with `minute` and `ampm` optional), on a date when the pattern has one
//! (`month` as `Nov` or `11`, `day`, `year`; Codex: `try again at 3:35 PM.`,
//! `try again at Nov 30th, 2026 8:55 PM.`), or a delay (`in_hours`,
//! `in_minutes`, `in_seconds`). Pure: a clock time becomes a delay only
//! against a `now` the caller passes.

use regex::Regex;

/// Whether `pattern` names a clock time or a delay.
pub fn pattern_is_usable(pattern: &Regex) -> bool {
    let names: Vec<&str> = pattern.capture_names().flatten().collect();
    names.contains(&"hour") || names.iter().any(|name| name.starts_with("in_"))
}

/// When the limit resets, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetTime {
    /// At a time of day (24-hour), local to the machine: on `date` (year,
    /// month, day) when shown, else the next such time.
    At {
        date: Option<(i16, i8, i8)>,
        hour: u8,
        minute: u8,
        shown: String,
    },
    /// After a delay, from when it was shown.
    In { ms: u64, shown: String },
}

impl ResetTime {
    /// The reset `pattern` finds in `text`, if it names a valid time or delay.
    pub fn find(pattern: &Regex, text: &str) -> Option<ResetTime> {
        pattern
            .captures_iter(text)
            .find_map(|caps| ResetTime::from_captures(&caps))
    }

    fn from_captures(caps: &regex::Captures) -> Option<ResetTime> {
        let shown = caps.get(0)?.as_str().trim().to_string();
        let number = |name: &str| -> Option<u64> { caps.name(name)?.as_str().parse().ok() };
        if let Some(hour) = number("hour") {
            let minute = number("minute").unwrap_or(0);
            let hour = match caps.name("ampm").map(|m| m.as_str().to_ascii_lowercase()) {
                None => hour,
                Some(ampm) if (1..=12).contains(&hour) => match (ampm.starts_with('p'), hour) {
                    (false, 12) => 0,
                    (false, hour) => hour,
                    (true, 12) => 12,
                    (true, hour) => hour + 12,
                },
                Some(_) => return None,
            };
            if hour > 23 || minute > 59 {
                return None;
            }
            let date = match (caps.name("year"), caps.name("month"), number("day")) {
                (Some(year), Some(month), Some(day)) => {
                    let month = month_number(month.as_str())?;
                    let year: i16 = year.as_str().parse().ok()?;
                    jiff::civil::Date::new(year, month, i8::try_from(day).ok()?).ok()?;
                    Some((year, month, day as i8))
                }
                _ => None,
            };
            return Some(ResetTime::At {
                date,
                hour: hour as u8,
                minute: minute as u8,
                shown,
            });
        }
        let hours = number("in_hours");
        let minutes = number("in_minutes");
        let seconds = number("in_seconds");
        if hours.is_none() && minutes.is_none() && seconds.is_none() {
            return None;
        }
        let total = hours.unwrap_or(0).saturating_mul(3600)
            + minutes.unwrap_or(0).saturating_mul(60)
            + seconds.unwrap_or(0);
        Some(ResetTime::In {
            ms: total.saturating_mul(1000),
            shown,
        })
    }

    /// As a delay from `now`: a time of day that has passed today is
    /// tomorrow's (a reset is never in the past).
    pub fn from(self, now: &jiff::Zoned) -> ResetTime {
        match self {
            ResetTime::In { .. } => self,
            ResetTime::At {
                date: Some((year, month, day)),
                hour,
                minute,
                shown,
            } => {
                let ms = jiff::civil::date(year, month, day)
                    .at(hour as i8, minute as i8, 0, 0)
                    .to_zoned(now.time_zone().clone())
                    .ok()
                    .and_then(|at| at.duration_since(now).as_millis().try_into().ok())
                    .unwrap_or(0);
                ResetTime::In { ms, shown }
            }
            ResetTime::At {
                date: None,
                hour,
                minute,
                shown,
            } => {
                let today = now
                    .with()
                    .hour(hour as i8)
                    .minute(minute as i8)
                    .second(0)
                    .subsec_nanosecond(0)
                    .build();
                let at = match today {
                    Ok(at) if at > *now => Some(at),
                    Ok(at) => at.tomorrow().ok(),
                    Err(_) => None,
                };
                let ms = at
                    .and_then(|at| at.duration_since(now).as_millis().try_into().ok())
                    .unwrap_or(0);
                ResetTime::In { ms, shown }
            }
        }
    }
}

/// `Nov`, `november` or `11` as a month number.
fn month_number(text: &str) -> Option<i8> {
    if let Ok(number) = text.parse::<i8>() {
        return (1..=12).contains(&number).then_some(number);
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = text.to_ascii_lowercase();
    let at = MONTHS.iter().position(|m| lower.starts_with(m))?;
    Some(at as i8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codex() -> Regex {
        Regex::new(r"try again\s+at (?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AaPp][Mm])")
            .unwrap()
    }

    #[test]
    fn clock_times_read_in_twelve_and_twenty_four_hours() {
        let at = |text: &str| ResetTime::find(&codex(), text);
        assert_eq!(
            at("or try again at 3:35 PM."),
            Some(ResetTime::At {
                date: None,
                hour: 15,
                minute: 35,
                shown: "try again at 3:35 PM".into()
            })
        );
        assert!(matches!(
            at("try again at 12:05 am"),
            Some(ResetTime::At {
                hour: 0,
                minute: 5,
                ..
            })
        ));
        assert!(matches!(
            at("try again at 12:00 PM"),
            Some(ResetTime::At { hour: 12, .. })
        ));
        assert_eq!(at("try again at 13:00 PM"), None);
        assert_eq!(at("try again later"), None);
        let plain = Regex::new(r"resets (?P<hour>\d{1,2}):(?P<minute>\d{2})").unwrap();
        assert!(matches!(
            ResetTime::find(&plain, "resets 23:59"),
            Some(ResetTime::At {
                hour: 23,
                minute: 59,
                ..
            })
        ));
        assert_eq!(ResetTime::find(&plain, "resets 24:00"), None);
    }

    #[test]
    fn a_date_makes_it_that_day() {
        let codex = Regex::new(
            r"try again\s+at (?:(?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2})(?:st|nd|rd|th)?, (?P<year>\d{4}) )?(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AP]M)",
        )
        .unwrap();
        let reset = ResetTime::find(&codex, "or try again at Nov 30th, 2026 8:55 PM.").unwrap();
        assert_eq!(
            reset,
            ResetTime::At {
                date: Some((2026, 11, 30)),
                hour: 20,
                minute: 55,
                shown: "try again at Nov 30th, 2026 8:55 PM".into()
            }
        );
        let now: jiff::Zoned = "2026-11-29T17:10:00+00:00[UTC]".parse().unwrap();
        assert!(matches!(
            reset.from(&now),
            ResetTime::In { ms, .. } if ms == (27 * 3600 + 45 * 60) * 1000
        ));
        // A date already past is no wait; an impossible one is no reset.
        let past = ResetTime::find(&codex, "try again at Nov 1st, 2026 8:55 PM").unwrap();
        assert!(matches!(past.from(&now), ResetTime::In { ms: 0, .. }));
        assert_eq!(
            ResetTime::find(&codex, "try again at Feb 30th, 2026 8:55 PM"),
            None
        );
        assert_eq!(month_number("12"), Some(12));
        assert_eq!(month_number("September"), Some(9));
        assert_eq!(month_number("13"), None);
    }

    #[test]
    fn delays_add_up() {
        let re = Regex::new(
            r"in (?:(?P<in_hours>\d+)h)?\s*(?:(?P<in_minutes>\d+)m)?\s*(?:(?P<in_seconds>\d+)s)?",
        )
        .unwrap();
        assert!(matches!(
            ResetTime::find(&re, "try again in 2h 5m"),
            Some(ResetTime::In { ms: 7_500_000, .. })
        ));
        assert!(matches!(
            ResetTime::find(&re, "in 30s"),
            Some(ResetTime::In { ms: 30_000, .. })
        ));
        assert_eq!(ResetTime::find(&re, "in a while"), None);
    }

    #[test]
    fn a_time_of_day_is_the_next_one() {
        let now: jiff::Zoned = "2026-11-29T14:10:30+00:00[UTC]".parse().unwrap();
        let wait = |hour, minute| match (ResetTime::At {
            date: None,
            hour,
            minute,
            shown: String::new(),
        })
        .from(&now)
        {
            ResetTime::In { ms, .. } => ms,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(15, 35), (84 * 60 + 30) * 1000);
        // Earlier today: tomorrow's.
        assert_eq!(wait(14, 0), (24 * 3600 - 10 * 60 - 30) * 1000);
        // A delay stays as it is.
        let delay = ResetTime::In {
            ms: 5,
            shown: String::new(),
        };
        assert_eq!(delay.clone().from(&now), delay);
    }

    #[test]
    fn patterns_must_name_a_time_or_a_delay() {
        assert!(pattern_is_usable(&codex()));
        assert!(pattern_is_usable(
            &Regex::new(r"in (?P<in_minutes>\d+)").unwrap()
        ));
        assert!(!pattern_is_usable(
            &Regex::new(r"at (?P<minute>\d+)").unwrap()
        ));
    }
}

//! Figures as people read and write them: token counts with thousands
//! separators (`1,234,567`), token figures as agents show them (`443K`,
//! `1.2M`), and durations (`1h 2m 5s`). Pure.

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `3725000` ms → `1h 2m 5s`.
pub fn format_duration(ms: u64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m {s}s"),
    }
}

/// `12,345` → 12345, `443K` → 443000, `1.2M` → 1200000, `8.1k` → 8100.
pub fn parse_token_figure(text: &str) -> Option<u64> {
    let text = text.trim().replace([',', '_', ' '], "");
    let (number, scale) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 1_000.0),
        'm' | 'M' => (&text[..text.len() - 1], 1_000_000.0),
        _ => (text.as_str(), 1.0),
    };
    let value: f64 = number.parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    Some((value * scale).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn token_figures() {
        assert_eq!(parse_token_figure("12,345"), Some(12_345));
        assert_eq!(parse_token_figure("443K"), Some(443_000));
        assert_eq!(parse_token_figure("1.2M"), Some(1_200_000));
        assert_eq!(parse_token_figure("8.1k"), Some(8_100));
        assert_eq!(parse_token_figure("K"), None);
        assert_eq!(parse_token_figure("lots"), None);
        assert_eq!(parse_token_figure(""), None);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(65_000), "1m 5s");
        assert_eq!(format_duration(3_725_000), "1h 2m 5s");
    }
}

//! Numbers as people write them: "105", "40,400", "6.2 million", "1.5bn", and the precision
//! such a number states (the step of its last significant digit).

/// Reads a number with optional thousands separators and a scale word or suffix.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim().trim_start_matches(['$', '€', '£']).trim();
    let lower = text.to_ascii_lowercase();
    let (digits, scale) = SCALES
        .iter()
        .find_map(|(suffix, scale)| {
            lower
                .strip_suffix(suffix)
                .map(|rest| (rest.trim_end(), *scale))
        })
        .unwrap_or((lower.as_str(), 1.0));
    let digits: String = digits.chars().filter(|c| *c != ',' && *c != '_').collect();
    if digits.is_empty()
        || !digits.chars().next()?.is_ascii_digit() && !digits.starts_with(['-', '.'])
    {
        return None;
    }
    let value: f64 = digits.parse().ok()?;
    let value = value * scale;
    value.is_finite().then_some(value) // "1e300 trillion" is no number
}

/// Scale words and suffixes with their factors, longest first.
pub const SCALES: &[(&str, f64)] = &[
    ("trillion", 1e12),
    ("billion", 1e9),
    ("million", 1e6),
    ("thousand", 1e3),
    ("tn", 1e12),
    ("bn", 1e9),
    ("m", 1e6),
    ("k", 1e3),
];

/// The precision a number states: the place value of its last significant digit.
///
/// `105` → 1, `107.6` → 0.1, `40400` → 100, `6200000` → 100000. Read from the shortest decimal
/// form of the float, so a trailing zero after the point ("107.60") is not seen.
pub fn stated_step(value: f64) -> f64 {
    let text = trim_float(value.abs());
    if let Some((_, decimals)) = text.split_once('.') {
        return 10f64.powi(-(decimals.len() as i32));
    }
    let trailing_zeros = text.chars().rev().take_while(|c| *c == '0').count();
    if trailing_zeros == text.len() {
        return 1.0; // zero
    }
    10f64.powi(trailing_zeros as i32)
}

/// Shortest decimal form without a trailing `.0` (`105.0` → "105").
pub fn trim_float(value: f64) -> String {
    let text = format!("{value}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// A number for people: thousands separated, at most `decimals` places, trailing zeros cut.
pub fn human(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), f.trim_end_matches('0').to_string()),
        None => (text, String::new()),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && (int != "0" || !frac.is_empty()) {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_news_numbers() {
        assert_eq!(parse("105"), Some(105.0));
        assert_eq!(parse("40,400"), Some(40_400.0));
        assert_eq!(parse("6.2 million"), Some(6_200_000.0));
        assert_eq!(parse("$48 million"), Some(48_000_000.0));
        assert_eq!(parse("1.5bn"), Some(1_500_000_000.0));
        assert_eq!(parse("-2.5"), Some(-2.5));
        assert_eq!(parse("million"), None);
        assert_eq!(parse("abc"), None);
    }

    #[test]
    fn stated_step_follows_last_significant_digit() {
        assert_eq!(stated_step(105.0), 1.0);
        assert!((stated_step(107.6) - 0.1).abs() < 1e-12);
        assert_eq!(stated_step(40_400.0), 100.0);
        assert_eq!(stated_step(6_200_000.0), 100_000.0);
        assert_eq!(stated_step(0.0), 1.0);
    }

    #[test]
    fn human_groups_thousands() {
        assert_eq!(human(40_400.0, 1), "40,400");
        assert_eq!(human(107.638231, 1), "107.6");
        assert_eq!(human(-1234567.891, 2), "-1,234,567.89");
        assert_eq!(human(85.0, 1), "85");
    }
}

//! Reading back the timestamps chrono writes (`2026-12-07T01:20:07.123456789Z`) without
//! chrono's general parser: a re-check reads three of them per claim, and the general parser
//! was a twentieth of its time. Anything else (an offset, a leap second, a year past 9999)
//! takes chrono's own parser, so what is accepted and what it means do not change.
//!
//! For stored fields: `#[serde(deserialize_with = "crate::timestamp::utc")]`, or
//! `#[serde(default, deserialize_with = "crate::timestamp::optional")]` for an `Option`
//! (the `default` keeps a missing key meaning `None`, as serde does for a plain `Option`).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::de::{self, Deserializer, Visitor};

/// A required timestamp.
pub(crate) fn utc<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(UtcVisitor)
}

/// An optional timestamp (`null` is `None`).
pub(crate) fn optional<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserializer.deserialize_option(OptionVisitor)
}

/// Parses `text` as chrono's `FromStr` for `DateTime<Utc>` does.
pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_zulu(text.as_bytes()) {
        Some(at) => Ok(at),
        None => text.parse(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` with an optional fraction of 1 to 9 digits, then `Z`; `None` for
/// anything else, including dates and times that do not exist.
fn parse_zulu(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let fixed = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if fixed.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let year = digits(&b[0..4])?;
    let (month, day) = (digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    // A leap second (":60") is chrono's to read.
    if second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(date.and_time(time).and_utc())
}

/// ASCII digits as a number; `None` if any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

struct UtcVisitor;

impl Visitor<'_> for UtcVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 date and time")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        parse(text).map_err(E::custom)
    }
}

struct OptionVisitor;

impl<'de> Visitor<'de> for OptionVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 date and time or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        utc(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn reads_what_chrono_writes_and_refers_the_rest_to_chrono() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 1, 20, 7).unwrap();
        assert_eq!(parse("2026-12-07T01:20:07Z"), Ok(at));
        assert_eq!(parse_zulu(b"2026-12-07T01:20:07+00:00"), None);
        assert_eq!(parse("2026-12-07T02:20:07+01:00"), Ok(at), "chrono's way");
        assert_eq!(
            parse("2026-12-07T01:20:07.5Z")
                .unwrap()
                .timestamp_subsec_nanos(),
            500_000_000
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-12-07T24:00:00Z",
            "2026-12-07T01:20:07.Z",
            "2026-12-07T01:20:07.1234567890Z",
            "2026-12-07 01:20:07Z",
            "2026-1a-07T01:20:07Z",
            "",
        ] {
            assert_eq!(parse_zulu(bad.as_bytes()), None, "{bad}");
            assert_eq!(
                parse(bad).is_ok(),
                bad.parse::<DateTime<Utc>>().is_ok(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_missing_or_null_optional_timestamp_is_none() {
        #[derive(serde::Deserialize)]
        struct Row {
            #[serde(default, deserialize_with = "optional")]
            at: Option<DateTime<Utc>>,
        }
        let read = |json: &str| serde_json::from_str::<Row>(json).map(|r| r.at);
        assert_eq!(read("{}").unwrap(), None);
        assert_eq!(read(r#"{"at":null}"#).unwrap(), None);
        assert!(read(r#"{"at":"2026-12-07T01:20:07Z"}"#).unwrap().is_some());
        assert!(read(r#"{"at":"yesterday"}"#).is_err());
        assert!(read(r#"{"at":7}"#).is_err());
    }

    proptest! {
        /// Every timestamp chrono writes reads back the same, to the nanosecond.
        #[test]
        fn round_trips_what_chrono_writes(secs in -62_135_596_800i64..253_402_300_799, nanos in 0u32..1_000_000_000) {
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            let written = serde_json::to_string(&at).unwrap();
            let text = written.trim_matches('"');
            prop_assert_eq!(parse(text), Ok(at));
            prop_assert!(parse_zulu(text.as_bytes()).is_some(), "{}", text);
        }

        /// On any text of the shape's length, the shortcut agrees with chrono or steps aside.
        #[test]
        fn never_disagrees_with_chrono(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,10})?Z") {
            let chrono: Result<DateTime<Utc>, _> = text.parse();
            match parse_zulu(text.as_bytes()) {
                Some(at) => prop_assert_eq!(Ok(at), chrono),
                None => prop_assert_eq!(parse(&text).ok(), chrono.ok()),
            }
        }
    }
}

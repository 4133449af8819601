//! What an edit changed: the old and new versions of a claim compared key by key (the
//! claim-file keys of [`ClaimSpec`]), in words for the claim's history ("claim edited: value
//! 105 → 107.6; year 2015 → 2016").

use serde_json::Value;

use crate::claim::file::CLAIM_KEYS;
use crate::claim::{Claim, ClaimSpec};

/// The keys an edit names before the others: what is claimed, and when.
const FIRST: &[&str] = &["id", "text", "value", "value_max", "year", "from_year"];

/// The claim-file keys ([`CLAIM_KEYS`]) in the order an edit names them: [`FIRST`], then the
/// rest in claim-file order.
fn keys() -> impl Iterator<Item = &'static str> {
    FIRST
        .iter()
        .chain(CLAIM_KEYS.iter().filter(|k| !FIRST.contains(k)))
        .copied()
}

/// "claim edited: value 105 → 107.6; year 2015 → 2016", or `None` when no key differs.
pub fn describe(old: &Claim, new: &Claim) -> Option<String> {
    let parts = changed_keys(&old.spec(), &new.spec());
    (!parts.is_empty()).then(|| format!("claim edited: {}", parts.join("; ")))
}

/// One "key old → new" per differing key, in [`keys`] order.
pub fn changed_keys(old: &ClaimSpec, new: &ClaimSpec) -> Vec<String> {
    let (old, new) = (as_map(old), as_map(new));
    keys()
        .filter_map(|key| {
            let (a, b) = (old.get(key), new.get(key));
            (a != b).then(|| format!("{key} {} → {}", show(a), show(b)))
        })
        .collect()
}

fn as_map(spec: &ClaimSpec) -> serde_json::Map<String, Value> {
    match serde_json::to_value(spec) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// A key's value as a person reads it: numbers as written (105, not 105.0), lists joined,
/// absent keys as "unset".
fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "unset".into(),
        Some(Value::String(s)) if s.is_empty() => "\"\"".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()),
        Some(Value::Array(items)) if items.is_empty() => "none".into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| show(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::country::Countries;

    fn claim(value: f64, year: i32) -> Claim {
        let mut spec = ClaimSpec::new("sv", "El Salvador homicide rate");
        spec.indicator = Some("VC.IHR.PSRC.P5".into());
        spec.country = Some("SLV".into());
        spec.value = Some(value);
        spec.year = Some(year);
        spec.validate(&Countries::embedded()).unwrap()
    }

    #[test]
    fn names_each_changed_key_in_order() {
        assert_eq!(
            describe(&claim(105.0, 2015), &claim(107.6, 2016)).as_deref(),
            Some("claim edited: value 105 → 107.6; year 2015 → 2016")
        );
        assert_eq!(describe(&claim(105.0, 2015), &claim(105.0, 2015)), None);
    }

    #[test]
    fn every_spec_key_is_listed() {
        // Keys left out when unset are set here, so they are seen too.
        let mut spec = ClaimSpec::new("a", "b");
        (spec.latest_by, spec.span_years, spec.negated) = (Some(2019), Some(5), true);
        for key in as_map(&spec).keys() {
            assert!(
                keys().any(|k| k == key),
                "{key} missing from the claim-file keys"
            );
        }
    }
}

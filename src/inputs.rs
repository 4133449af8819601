//! What a verdict was judged from, so `verify` can tell when judging again would find
//! exactly what the last check found.
//!
//! The rules are pure: a verdict is a function of the claim, the code and grading settings,
//! the series and the country list. When all four are what the claim's latest verdict was
//! judged from, and the series is still fresh in the response cache (so a check now would
//! read that same cached answer and ask no source), a check now cannot find anything else.
//! `verify` then settles the request at once: a job finished in the same transaction as a
//! compact "checked again" history entry, with no worker step, no fetch and no judging.
//! Anything else (an edit, other code or grading, a re-fetched, expired or cleared series, a
//! new country list, a claim read against a second source, a last outcome that was not a
//! verdict) goes through the queue as a full check.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::store::{self, Storage, StoreError};

/// The build's source digest (see `build.rs`): other code may judge otherwise.
const CODE_DIGEST: &str = env!("CLAIMCHECK_CODE_DIGEST");

/// What one verdict was judged from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// Digest of the claim as stored: any edit changes it.
    pub claim: String,
    /// Digest of the code and the grading settings that judged it.
    pub rules: String,
    /// The response-cache key of the series it was judged against.
    pub series: String,
    /// When that series was fetched.
    #[serde(deserialize_with = "crate::timestamp::utc")]
    pub fetched_at: DateTime<Utc>,
    /// When the country list it used was fetched.
    #[serde(default, deserialize_with = "crate::timestamp::optional")]
    pub countries_at: Option<DateTime<Utc>>,
}

/// Kept per claim beside its history: what its latest verdict was judged from, and the
/// sequence number of the full history record that verdict stands on (the one a compact
/// "checked again" entry repeats).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judged {
    /// The latest verdict's inputs.
    pub inputs: Inputs,
    /// The full record it stands on.
    pub full_seq: u64,
}

/// A claim's judged record as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredJudged {
    /// The digest of the claim as stored when it was read.
    pub claim: String,
    /// The record.
    pub judged: Judged,
    /// Its stored bytes. Settling compares these, unchanged, with what it finds: encoding
    /// the record again for that was a twentieth of a settled `verify --all`.
    pub stored: Vec<u8>,
}

/// What a check now would be judged from.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    /// Digest of the claim as stored now.
    pub claim: &'a str,
    /// [`rules_digest`] of the running code and configuration.
    pub rules: &'a str,
    /// When the cache's entry under the judged series' key was fetched, if there is one.
    pub series_at: Option<DateTime<Utc>>,
    /// When the cached country list was fetched, if there is one.
    pub countries_at: Option<DateTime<Utc>>,
    /// Now.
    pub now: DateTime<Utc>,
    /// `[cache] ttl_hours`.
    pub ttl_hours: u64,
}

impl Judged {
    /// True when a check now would judge the same claim, by the same rules, against the
    /// same cached series (still fresh, so no source would be asked) and the same country
    /// list: its verdict cannot differ from the latest one.
    pub fn holds(&self, current: &Current<'_>) -> bool {
        let inputs = &self.inputs;
        let fresh = current.now - inputs.fetched_at < Duration::hours(current.ttl_hours as i64);
        inputs.claim == current.claim
            && inputs.rules == current.rules
            && current.series_at == Some(inputs.fetched_at)
            && fresh
            && inputs.countries_at == current.countries_at
    }
}

/// Digest of a claim's stored bytes (the store keeps claims as their JSON).
pub fn claim_digest(stored: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(stored);
    // Without a `format!` per byte: every settled request computes two.
    let mut hex = String::with_capacity(32);
    for b in &digest[..16] {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 0xf)] as char);
    }
    hex
}

/// Digest of the running code and the settings that change a verdict: the grading bands
/// and whether verdicts are corroborated by a second source.
pub fn rules_digest(config: &Config) -> String {
    let settings = serde_json::json!({
        "grading": config.grading,
        "corroborate": config.corroborate,
    });
    let settings = claim_digest(settings.to_string().as_bytes());
    format!("{CODE_DIGEST}-{}", &settings[..16])
}

/// For each claim id, when a request to verify it now can be settled at once: the judged
/// record its latest verdict stands on, with the claim's digest as stored; `None` when it
/// needs a full check. Reads the store's judged records, each judged series' cache entry
/// once, and the country list once.
pub fn settleable(
    store: &dyn Storage,
    config: &Config,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Option<StoredJudged>>, StoreError> {
    // Reading is most of a settled `verify --all`'s time besides its writes.
    let judged = store::read_on_every_core(ids, 2_000, |part| store.judged(part))?;
    if judged.iter().all(Option::is_none) {
        return Ok(vec![None; ids.len()]);
    }
    let rules = rules_digest(config);
    let countries_at = store::countries(store)?.map(|c| c.fetched_at);
    let mut series_at: HashMap<String, Option<DateTime<Utc>>> = HashMap::new();
    let mut out = Vec::with_capacity(ids.len());
    for entry in judged {
        let Some(read) = entry else {
            out.push(None);
            continue;
        };
        let key = &read.judged.inputs.series;
        let at = match series_at.get(key) {
            Some(at) => *at,
            None => {
                let at = crate::cache::fetched_at(store, key)?;
                series_at.insert(key.clone(), at);
                at
            }
        };
        let current = Current {
            claim: &read.claim,
            rules: &rules,
            series_at: at,
            countries_at,
            now,
            ttl_hours: config.cache.ttl_hours,
        };
        let holds = read.judged.holds(&current);
        out.push(holds.then_some(read));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_digest_is_the_first_half_of_its_sha256_in_lowercase_hex() {
        // Judged records hold digests: the format must never change.
        assert_eq!(claim_digest(b""), "e3b0c44298fc1c149afbf4c8996fb924");
        assert_eq!(claim_digest(b"abc"), "ba7816bf8f01cfea414140de5dae2223");
    }

    fn at(hour: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, hour, 0, 0).unwrap()
    }

    fn judged() -> Judged {
        Judged {
            inputs: Inputs {
                claim: "c1".into(),
                rules: "r1".into(),
                series: "cache/series/X/all/all".into(),
                fetched_at: at(1),
                countries_at: Some(at(0)),
            },
            full_seq: 7,
        }
    }

    fn current() -> Current<'static> {
        Current {
            claim: "c1",
            rules: "r1",
            series_at: Some(at(1)),
            countries_at: Some(at(0)),
            now: at(2),
            ttl_hours: 24,
        }
    }

    #[test]
    fn holds_only_when_every_input_is_the_same_and_the_series_fresh() {
        let j = judged();
        assert!(j.holds(&current()));
        let cases: [(&str, Current<'static>); 7] = [
            (
                "claim edited",
                Current {
                    claim: "c2",
                    ..current()
                },
            ),
            (
                "other code or grading",
                Current {
                    rules: "r2",
                    ..current()
                },
            ),
            (
                "series re-fetched",
                Current {
                    series_at: Some(at(3)),
                    ..current()
                },
            ),
            (
                "cache cleared",
                Current {
                    series_at: None,
                    ..current()
                },
            ),
            (
                "new country list",
                Current {
                    countries_at: Some(at(3)),
                    ..current()
                },
            ),
            (
                "series expired",
                Current {
                    now: at(1) + Duration::hours(24),
                    ..current()
                },
            ),
            (
                "cache off",
                Current {
                    ttl_hours: 0,
                    ..current()
                },
            ),
        ];
        for (why, case) in cases {
            assert!(!j.holds(&case), "{why}: must need a full check");
        }
    }

    #[test]
    fn rules_digest_follows_the_grading_settings() {
        let config = Config::default();
        let mut other = config.clone();
        other.corroborate = !other.corroborate;
        assert_eq!(rules_digest(&config), rules_digest(&config.clone()));
        assert_ne!(rules_digest(&config), rules_digest(&other));
    }
}

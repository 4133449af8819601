//! The per-batch fetch plan: which series requests a batch of claims needs, so that each
//! series is fetched once per batch, not once per claim.
//!
//! Value, change, sum and mean claims of one indicator share one request for their countries
//! (every year, so a missing year can be answered with the nearest ones); when they name more
//! countries than one request may list, they share one `country/all` request instead (the API
//! answers every economy in one page). Rank claims need every country, so they share one
//! `country/all` request per indicator over the union of their years. So a batch makes at
//! most two requests per indicator.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::claim::{Claim, ClaimKind, Subject};
use crate::source::{Scope, SeriesRequest};

/// Requests to make, and which request answers each claim.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Distinct requests, in a stable order.
    pub requests: Vec<SeriesRequest>,
    by_claim: HashMap<String, usize>,
}

impl Plan {
    /// Index into `requests` of the series that answers `claim_id`; `None` for claims that
    /// need no data (no indicator).
    pub fn request_for(&self, claim_id: &str) -> Option<usize> {
        self.by_claim.get(claim_id).copied()
    }
}

/// Plans the requests for a batch; `chunk` caps the country codes per request.
pub fn plan(claims: &[Claim], chunk: usize) -> Plan {
    let chunk = chunk.max(1);
    // indicator -> countries (value-like claims)
    let mut by_country: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    // indicator -> Some(year range) or None (a rank claim without a year needs every year)
    let mut ranks: BTreeMap<&str, Option<(i32, i32)>> = BTreeMap::new();
    for claim in claims {
        match &claim.kind {
            ClaimKind::Unanswered { .. } => {}
            ClaimKind::Rank { subject, year, .. } => {
                let years = year.map(|y| (y, y));
                ranks
                    .entry(&subject.indicator)
                    .and_modify(|range| *range = union(*range, years))
                    .or_insert(years);
            }
            ClaimKind::Value { subject, .. }
            | ClaimKind::Change { subject, .. }
            | ClaimKind::Sum { subject, .. }
            | ClaimKind::Record { subject, .. }
            | ClaimKind::Streak { subject, .. }
            | ClaimKind::Trend { subject, .. }
            | ClaimKind::Mean { subject, .. } => {
                let Subject { indicator, country } = subject;
                by_country.entry(indicator).or_default().insert(country);
            }
            // Both places, on one request for the indicator.
            ClaimKind::Compare { subject, other, .. }
            | ClaimKind::Share {
                subject, of: other, ..
            } => {
                let Subject { indicator, country } = subject;
                let countries = by_country.entry(indicator).or_default();
                countries.insert(country);
                countries.insert(other);
            }
        }
    }
    let mut plan = Plan::default();
    let mut chunk_of: HashMap<(&str, &str), usize> = HashMap::new();
    for (indicator, countries) in &by_country {
        for code in countries {
            chunk_of.insert((indicator, code), plan.requests.len());
        }
        let scope = if countries.len() > chunk {
            Scope::All
        } else {
            Scope::Countries(countries.iter().map(|c| c.to_string()).collect())
        };
        plan.requests.push(SeriesRequest {
            indicator: indicator.to_string(),
            scope,
            years: None,
        });
    }
    let mut rank_request = HashMap::new();
    for (indicator, years) in &ranks {
        rank_request.insert(*indicator, plan.requests.len());
        plan.requests.push(SeriesRequest {
            indicator: indicator.to_string(),
            scope: Scope::All,
            years: *years,
        });
    }
    for claim in claims {
        let Some(Subject { indicator, country }) = claim.subject() else {
            continue;
        };
        let index = if matches!(claim.kind, ClaimKind::Rank { .. }) {
            rank_request[indicator.as_str()]
        } else {
            chunk_of[&(indicator.as_str(), country.as_str())]
        };
        plan.by_claim.insert(claim.id.clone(), index);
    }
    plan
}

fn union(a: Option<(i32, i32)>, b: Option<(i32, i32)>) -> Option<(i32, i32)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::{Assertion, ChangeClaim, Direction, Kind, Order, Period, Ranking, Relation};

    fn claim(id: &str, indicator: &str, country: &str, kind: Kind, year: Option<i32>) -> Claim {
        let subject = Subject {
            indicator: indicator.into(),
            country: country.into(),
        };
        let kind = match kind {
            Kind::Rank => ClaimKind::Rank {
                subject,
                year,
                ranking: Ranking {
                    rank: 1,
                    order: Order::Desc,
                    within: false,
                    among: Vec::new(),
                },
            },
            Kind::Change => ClaimKind::Change {
                subject,
                period: crate::claim::ChangeSpan::Years(Period {
                    from: 2000,
                    to: year.unwrap_or(2001),
                }),
                change: ChangeClaim {
                    direction: Some(Direction::Decrease),
                    end: None,
                    from_value: None,
                    amount: None,
                    tolerance: None,
                },
            },
            _ => ClaimKind::Value {
                subject,
                year,
                claimed: Assertion {
                    relation: Relation::Eq,
                    value: 1.0,
                    value_max: None,
                    tolerance: None,
                },
            },
        };
        Claim {
            kind,
            ..unanswered(id)
        }
    }

    fn unanswered(id: &str) -> Claim {
        crate::claim::ClaimSpec::new(id, id)
            .validate(crate::claim::country::Countries::shared())
            .unwrap()
    }

    #[test]
    fn one_request_per_indicator_and_scope() {
        let claims = vec![
            claim("a", "VC", "SLV", Kind::Value, Some(2015)),
            claim("b", "VC", "SLV", Kind::Change, Some(2016)),
            claim("c", "VC", "HND", Kind::Value, Some(2015)),
            claim("d", "VC", "SLV", Kind::Rank, Some(2015)),
            claim("e", "VC", "HND", Kind::Rank, Some(2017)),
            claim("f", "POP", "SLV", Kind::Value, None),
            unanswered("g"),
        ];
        let p = plan(&claims, 40);
        assert_eq!(p.requests.len(), 3, "{:?}", p.requests);
        assert_eq!(p.request_for("a"), p.request_for("b"));
        assert_eq!(p.request_for("a"), p.request_for("c"));
        assert_eq!(p.request_for("d"), p.request_for("e"));
        assert_eq!(
            p.requests[p.request_for("d").unwrap()].years,
            Some((2015, 2017))
        );
        assert_eq!(p.requests[p.request_for("d").unwrap()].scope, Scope::All);
        assert_eq!(
            p.requests[p.request_for("a").unwrap()].scope,
            Scope::Countries(vec!["HND".into(), "SLV".into()])
        );
        assert_eq!(p.request_for("g"), None);
    }

    #[test]
    fn many_countries_share_one_request_for_all() {
        let claims: Vec<Claim> = ["AAA", "BBB", "CCC"]
            .iter()
            .map(|c| claim(c, "VC", c, Kind::Value, Some(2015)))
            .collect();
        let p = plan(&claims, 2);
        assert_eq!(p.requests.len(), 1);
        assert_eq!(p.requests[0].scope, Scope::All);
        assert_eq!(p.request_for("AAA"), p.request_for("CCC"));
        let few = plan(&claims[..2], 2);
        assert_eq!(
            few.requests[0].scope,
            Scope::Countries(vec!["AAA".into(), "BBB".into()])
        );
    }

    #[test]
    fn rank_without_year_fetches_every_year() {
        let claims = vec![
            claim("a", "VC", "SLV", Kind::Rank, Some(2015)),
            claim("b", "VC", "SLV", Kind::Rank, None),
        ];
        assert_eq!(plan(&claims, 40).requests[0].years, None);
    }
}

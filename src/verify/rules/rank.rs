//! Rank claims: where the economy stands among those with data that year (computed), and the
//! sentence that says so (worded), apart.

use super::words::place;
use super::{Judge, Outcome};
use crate::claim::country::CountryList;
use crate::claim::{Order, Ranking};
use crate::source::Series;
use crate::verify::band::precision_half_width;
use crate::verify::{Grade, RankEntry, RankEvidence};

/// Where an economy stands in one year's ranking.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Standing {
    /// Its place, 1 = first in the ranking's order.
    pub rank: usize,
    /// Economies ranked.
    pub of: usize,
    /// Economies the ranking is over, with data or not: every economy of the country list,
    /// of the regions named, or the peers named.
    pub scope: usize,
    /// Whether the peers were named one by one (no region or group among them).
    pub named_peers: bool,
    /// Every ranked economy, best first.
    pub ranked: Vec<RankEntry>,
}

/// Ranks the economies with data in `year` (aggregates never count), within the ranking's
/// peers when it names some; `Err` says why no rank can be given. `iso3` must be an economy.
pub(super) fn standing(
    series: &Series,
    countries: &CountryList,
    iso3: &str,
    year: i32,
    actual: f64,
    ranking: &Ranking,
) -> Result<Standing, String> {
    let peers = countries.expand(&ranking.among);
    let memberless = ranking
        .among
        .iter()
        .filter_map(|c| countries.get(c))
        .find(|c| c.aggregate && countries.expand(std::slice::from_ref(&c.iso3)).is_empty());
    if let Some(aggregate) = memberless {
        return Err(format!(
            "{} is an aggregate whose member economies the World Bank country list does not name (only regions such as Latin America & Caribbean can be ranked within), so the rank cannot be checked.",
            aggregate.name
        ));
    }
    let mut ranked: Vec<RankEntry> = series
        .observations
        .iter()
        .filter(|o| o.year == year && countries.is_economy(&o.iso3))
        .filter(|o| ranking.among.is_empty() || peers.contains(&o.iso3) || o.iso3 == iso3)
        .filter_map(|o| {
            o.value.map(|value| RankEntry {
                iso3: o.iso3.clone(),
                name: o.country_name.clone(),
                value,
            })
        })
        .collect();
    ranked.sort_by(|a, b| match ranking.order {
        Order::Desc => b.value.total_cmp(&a.value),
        Order::Asc => a.value.total_cmp(&b.value),
    });
    let better = |v: f64| match ranking.order {
        Order::Desc => v > actual,
        Order::Asc => v < actual,
    };
    let rank = 1 + ranked.iter().filter(|e| better(e.value)).count();
    let named_peers = !ranking.among.is_empty()
        && ranking
            .among
            .iter()
            .all(|c| countries.get(c).is_some_and(|c| !c.aggregate));
    let scope = if ranking.among.is_empty() {
        countries.all().iter().filter(|c| !c.aggregate).count()
    } else {
        let mut all = peers;
        all.push(iso3.to_string());
        all.sort();
        all.dedup();
        all.len()
    };
    Ok(Standing {
        rank,
        of: ranked.len(),
        scope,
        named_peers,
        ranked,
    })
}

/// Whether enough of the ranking's economies report that year for a place among those with
/// data to stand for the place among all: every peer named one by one; at least half of a
/// region's or the world's economies (the homicide series has about 130 of 217 in a good
/// year). An economy without data could rank above, so a claim that holds among the few
/// that report is not shown to hold; one that fails among them fails among all.
pub(super) fn covered(standing: &Standing) -> bool {
    if standing.named_peers {
        standing.of >= standing.scope
    } else {
        standing.of * 2 >= standing.scope
    }
}

/// The grade of a claimed place against the standing: true when it holds (exactly, or
/// within "the N highest"); otherwise graded by the value gap to what would have made it
/// true (the value at the claimed place), as record near misses are: within the data's
/// precision mostly-true, within 5% half-true, within 10% mostly-false, beyond false. Second
/// place at half the leader's value is plainly false; second by a hair is nearly right.
pub(super) fn grade(
    standing: &Standing,
    ranking: &Ranking,
    actual: f64,
    grading: &crate::config::GradingConfig,
) -> (Grade, Option<f64>) {
    let claimed = ranking.rank as usize;
    let holds = if ranking.within {
        standing.rank <= claimed
    } else {
        standing.rank == claimed
    };
    if holds {
        return (Grade::True, None);
    }
    // Placed worse than claimed: the value at the claimed place is the one needed. Placed
    // better than an exact claim ("the third highest", but first): the value that third
    // place has.
    let Some(needed) = standing
        .ranked
        .get(claimed.saturating_sub(1))
        .map(|e| e.value)
    else {
        return (Grade::False, None);
    };
    let gap = ((needed - actual) / actual.abs()).abs();
    let within = (needed - actual).abs() <= precision_half_width(actual, grading);
    (super::record::near_miss_grade(gap, within), Some(needed))
}

impl Judge<'_> {
    pub(super) fn rank(&mut self, year: Option<i32>, ranking: &Ranking) -> Outcome {
        let (year, year_note) = self.year(year)?;
        self.evidence.years = vec![year];
        let actual = self.value_in(year)?;
        if !self.ctx.countries.is_economy(&self.iso3) {
            return Err(format!(
                "{} is a World Bank aggregate, not an economy, so it has no rank among economies.",
                self.name
            ));
        }
        let standing = standing(
            self.ctx.series,
            self.ctx.countries,
            &self.iso3,
            year,
            actual,
            ranking,
        )?;
        let (grade, needed) = grade(&standing, ranking, actual, self.ctx.grading);
        // Economies with no value can only push it down: placed worse than claimed among
        // those reporting, it is worse among all; placed better ("the third highest", but
        // first of 12 reporting), the missing ones could make it third.
        let surely_false = grade == Grade::False && standing.rank > ranking.rank as usize;
        if !surely_false && !covered(&standing) {
            return Err(format!(
                "{} {} for {} in {year}{year_note} {}, {} of the {} {} with data that year; {} of the {} report no value, and any of them could rank above it, so the claimed place cannot be checked ({}).",
                self.reports(),
                self.fmt(actual),
                self.name,
                self.vintage(),
                place(standing.rank, match ranking.order {
                    Order::Desc => "highest",
                    Order::Asc => "lowest",
                }),
                standing.of,
                self.scope_words(ranking),
                standing.scope.saturating_sub(standing.of),
                standing.scope,
                if standing.named_peers {
                    "every peer named must report"
                } else {
                    "at least half must report"
                },
            ));
        }
        self.evidence.actual = Some(actual);
        self.evidence.claimed = Some(f64::from(ranking.rank));
        self.evidence.rank = Some(RankEvidence {
            rank: standing.rank,
            of: standing.of,
            order: ranking.order,
            leaders: standing.ranked.iter().take(5).cloned().collect(),
        });
        let mut sentence = self.rank_sentence(year, &year_note, actual, &standing, ranking);
        if let Some(needed) = needed {
            sentence.push_str(&format!(
                " The claimed place needed {} ({:.1}% from {}).",
                self.fmt(needed),
                ((needed - actual) / actual.abs() * 100.0).abs(),
                self.fmt(actual)
            ));
        }
        Ok((grade, sentence))
    }

    /// "The World Bank reports 107.6 for El Salvador in 2015 (…): the highest of 130
    /// economies with data that year (…); the claim says the highest. Next: …."
    fn rank_sentence(
        &self,
        year: i32,
        year_note: &str,
        actual: f64,
        standing: &Standing,
        ranking: &Ranking,
    ) -> String {
        let direction = match ranking.order {
            Order::Desc => "highest",
            Order::Asc => "lowest",
        };
        let others: Vec<String> = standing
            .ranked
            .iter()
            .take(5)
            .filter(|e| e.iso3 != self.iso3)
            .take(3)
            .map(|e| format!("{} {}", e.name, self.fmt(e.value)))
            .collect();
        let claimed = ranking.rank as usize;
        let claimed_words = if ranking.within {
            format!("among the {claimed} {direction}")
        } else {
            place(claimed, direction)
        };
        format!(
            "{} {} for {} in {year}{year_note} {}: {} of {} {} with data that year (aggregates such as regions and income groups excluded); the claim says {claimed_words}. Next: {}.",
            self.reports(),
            self.fmt(actual),
            self.name,
            self.vintage(),
            place(standing.rank, direction),
            standing.of,
            self.scope_words(ranking),
            others.join(", ")
        )
    }

    /// "economies", "economies of Latin America & Caribbean", "economies compared".
    fn scope_words(&self, ranking: &Ranking) -> String {
        let countries = self.ctx.countries;
        let peers = countries.expand(&ranking.among);
        let regions: Vec<&str> = ranking
            .among
            .iter()
            .filter_map(|code| countries.get(code).filter(|c| c.aggregate))
            .map(|c| c.name.as_str())
            .collect();
        if peers.is_empty() {
            "economies".to_string()
        } else if !regions.is_empty() {
            format!("economies of {}", regions.join(" and "))
        } else {
            "economies compared".to_string()
        }
    }
}

//! The wire and file format of a claim: [`ClaimSpec`], every key optional but `text`, and
//! the one gate every claim passes ([`ClaimSpec::validate`]) to become a typed [`Claim`].

use serde::{Deserialize, Serialize};

use super::{
    country, slug, Claim, ClaimError, Direction, Event, Extreme, Kind, Order, Relation, Tolerance,
};
use super::{is_id_char, WORLD_BANK};

/// The longest claim id: ids name report files and URL paths (a generated slug has at most
/// 60 characters, and `<id>-2` for a collision).
pub const MAX_ID_LEN: usize = 100;

/// A claim as written in claim files, API bodies and the sentence parser's output: every key
/// optional but `text`. [`ClaimSpec::validate`] turns it into a [`Claim`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimSpec {
    /// Stable identifier (given, or a slug of the text).
    pub id: String,
    /// The claim as written by the fact-checker or the article.
    pub text: String,
    /// Data source: `worldbank` (default) or `owid`.
    pub source: String,
    /// Indicator code (e.g. `VC.IHR.PSRC.P5`); `None` when no series can answer the claim.
    pub indicator: Option<String>,
    /// ISO3 code of the country or World Bank aggregate.
    pub country: Option<String>,
    /// The year claimed; `None` means the latest year with data.
    pub year: Option<i32>,
    /// With no `year`: the year the claim was made ("still", "now" in an article of 2019
    /// mean the latest year with data up to 2019, not today's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_by: Option<i32>,
    /// The sentence denies the claim ("did not fall in 2017"): the verdict is the opposite
    /// of the claim's. For changes, records, ranks and bounds (`gt`, `lt`, …) only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub negated: bool,
    /// First year of a change, sum or mean.
    pub from_year: Option<i32>,
    /// For a change with no `year`: over the last N years with data ("over the past 15
    /// years"); with a `year` it is read as `from_year = year - N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span_years: Option<u32>,
    /// What is asserted.
    pub kind: Kind,
    /// How the claimed number relates to the data.
    pub relation: Relation,
    /// The claimed number (for `change`: the end value).
    pub value: Option<f64>,
    /// Upper bound for `relation = "between"`.
    pub value_max: Option<f64>,
    /// Explicit tolerance, replacing the band read from the number's precision.
    pub tolerance: Option<Tolerance>,
    /// Claimed rank (1 = first) for `kind = "rank"`.
    pub rank: Option<u32>,
    /// Ranking order for `kind = "rank"`.
    pub order: Option<Order>,
    /// Peer set (ISO3) a rank is taken among; empty means all economies.
    pub among: Vec<String>,
    /// Claimed direction of a change.
    pub direction: Option<Direction>,
    /// Claimed start value of a change.
    pub from_value: Option<f64>,
    /// Claimed change in percent (negative for a fall).
    pub change_pct: Option<f64>,
    /// Claimed ratio of the end value to the start value ("doubled" is 2, "halved" 0.5).
    pub factor: Option<f64>,
    /// Claimed change in the indicator's unit (negative for a fall; "rose by 4 years").
    pub change_abs: Option<f64>,
    /// For `kind = "streak"`: how many annual moves in a row, ending in `year`.
    pub years: Option<u32>,
    /// For `kind = "share"`: the whole (ISO3 or aggregate code; `WLD` for the world).
    pub of: Option<String>,
    /// For `kind = "compare"`: the other place (ISO3 or aggregate code).
    pub other: Option<String>,
    /// For `kind = "compare"`: `"overtake"`: below the other place the year before, above it
    /// in `year`.
    pub event: Option<Event>,
    /// For `kind = "record"`: `max` (the highest) or `min`.
    pub extreme: Option<Extreme>,
    /// For `kind = "record"`: the record is over the N years before `year`.
    pub window_years: Option<u32>,
    /// For `kind = "record"`: every year after this one was less extreme ("lowest since 1994").
    pub since: Option<i32>,
    /// For `kind = "record"`: `"all"`, every year with data (the default window).
    pub window: Option<AllYears>,
    /// Cron expression for scheduled re-checks.
    pub schedule: Option<String>,
    /// Free labels.
    pub tags: Vec<String>,
    /// A note for readers, e.g. why no World Bank series answers the claim.
    pub note: Option<String>,
}

impl Default for ClaimSpec {
    fn default() -> Self {
        Self::new(String::new(), String::new())
    }
}

impl ClaimSpec {
    /// A claim with only `id` and `text` set and everything else at its default.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            text: text.into(),
            source: WORLD_BANK.into(),
            indicator: None,
            country: None,
            year: None,
            latest_by: None,
            negated: false,
            from_year: None,
            span_years: None,
            kind: Kind::Value,
            relation: Relation::Eq,
            value: None,
            value_max: None,
            tolerance: None,
            rank: None,
            order: None,
            among: Vec::new(),
            direction: None,
            from_value: None,
            change_pct: None,
            factor: None,
            change_abs: None,
            years: None,
            of: None,
            other: None,
            event: None,
            extreme: None,
            window_years: None,
            since: None,
            window: None,
            schedule: None,
            tags: Vec::new(),
            note: None,
        }
    }

    /// Checks that the keys fit together for the claim's kind; resolves country names to ISO3.
    ///
    /// This is the one gate every claim passes, whatever edge it came from.
    pub fn validate(self, countries: &country::Countries) -> Result<Claim, ClaimError> {
        let spec = self.checked(countries)?;
        Ok(Claim::from_checked(spec))
    }

    /// The spec with its keys checked and its country codes resolved.
    fn checked(mut self, countries: &country::Countries) -> Result<Self, ClaimError> {
        if self.id.is_empty() {
            self.id = slug(&self.text);
        }
        // "the 10 years to 2020" is "from 2010 to 2020": one way to write it, stored.
        if let (Some(span), Some(year), None) = (self.span_years, self.year, self.from_year) {
            self.from_year = i32::try_from(span).ok().map(|span| year - span);
            self.span_years = None;
        }
        self.check_labels()?;
        if let Some(country) = &self.country {
            self.country = Some(countries.resolve(country)?.to_string());
        }
        let Some(indicator) = &self.indicator else {
            // No series answers it: stored so it is listed, verified as unverifiable.
            return Ok(self);
        };
        check_indicator(&self.source, indicator)?;
        if self.country.is_none() {
            return Err(ClaimError::Missing(
                "`country` is required when `indicator` is set (ISO3, e.g. \"SLV\")".into(),
            ));
        }
        self.among = self
            .among
            .iter()
            .map(|c| countries.resolve(c).map(str::to_string))
            .collect::<Result<_, _>>()?;
        if let Some(other) = &self.other {
            self.other = Some(countries.resolve(other)?.to_string());
        }
        if let Some(of) = &self.of {
            self.of = Some(countries.resolve(of)?.to_string());
        }
        self.check_years()?;
        self.check_kind_keys()?;
        Ok(self)
    }

    /// The keys every claim has: id, text, source, schedule, and finite numbers.
    fn check_labels(&self) -> Result<(), ClaimError> {
        use ClaimError::{Invalid, Missing};
        if !self.id.chars().all(is_id_char) {
            return Err(Invalid(format!(
                "id {:?} may only hold letters, digits, '-', '_' and '.'",
                self.id
            )));
        }
        // "." and ".." name no claim in a URL path (/claims/..) and "..." no file of the
        // report; a 300-character id exceeded the file-name limit and stopped the report.
        if !self.id.chars().any(|c| c.is_ascii_alphanumeric()) || self.id.len() > MAX_ID_LEN {
            return Err(Invalid(format!(
                "id {:?} must hold a letter or digit and be at most {MAX_ID_LEN} characters",
                self.id
            )));
        }
        if self.text.trim().is_empty() {
            return Err(Missing("`text` is required: the claim as written".into()));
        }
        if self.source != WORLD_BANK && self.source != crate::source::owid::NAME {
            return Err(Invalid(format!(
                "unknown source {:?}; known sources: {WORLD_BANK}, {}",
                self.source,
                crate::source::owid::NAME
            )));
        }
        if let Some(schedule) = &self.schedule {
            let cron = schedule.parse::<croner::Cron>().map_err(|e| {
                Invalid(format!(
                    "schedule {schedule:?} is not a cron expression ({e}); example: \"0 6 * * 1\" (Mondays 06:00)"
                ))
            })?;
            // "0 6 31 2 *" (February 31st) parses and never fires: the claim would silently
            // never be re-checked. A fixed start keeps validation free of the clock.
            let start =
                chrono::DateTime::<chrono::Utc>::from_timestamp(946_684_800, 0).unwrap_or_default();
            if cron.find_next_occurrence(&start, false).is_err() {
                return Err(Invalid(format!(
                    "schedule {schedule:?} never fires (no such date); example: \"0 6 * * 1\" (Mondays 06:00)"
                )));
            }
        }
        let numbers = [
            self.value,
            self.value_max,
            self.from_value,
            self.change_pct,
            self.factor,
            self.change_abs,
        ];
        match numbers.into_iter().flatten().find(|v| !v.is_finite()) {
            Some(value) => Err(Invalid(format!("{value} is not a finite number"))),
            None => Ok(()),
        }
    }

    /// Years in range, the first before the last.
    fn check_years(&self) -> Result<(), ClaimError> {
        use ClaimError::Invalid;
        if let (Some(from), Some(to)) = (self.from_year, self.year) {
            if from >= to {
                return Err(Invalid(format!(
                    "from_year {from} must be before year {to}"
                )));
            }
        }
        for year in [self.year, self.from_year].into_iter().flatten() {
            if !(1900..=2100).contains(&year) {
                return Err(Invalid(format!("year {year} is out of range")));
            }
        }
        Ok(())
    }

    fn check_kind_keys(&self) -> Result<(), ClaimError> {
        use ClaimError::{Invalid, Missing};
        match self.kind {
            Kind::Value if self.value.is_none() => {
                return Err(Missing("`value` is required for kind = \"value\"".into()))
            }
            Kind::Rank if self.rank == Some(0) => {
                return Err(Invalid("rank counts from 1 (the first)".into()))
            }
            // Assumed first place, a rank claim without its place was checked as "the highest"
            // (a trial's `--kind rank` without `--rank` got a verdict on words it never gave).
            Kind::Rank if self.rank.is_none() => {
                return Err(Missing(
                    "`rank` is required for kind = \"rank\": the place claimed, 1 for the highest (or, with order = \"asc\", the lowest)".into(),
                ))
            }
            Kind::Change => {
                if self.from_year.is_none() && self.span_years.is_none() {
                    return Err(Missing(
                        "kind = \"change\" needs `from_year` (and `year`, or none for the latest year with data), or `span_years`".into(),
                    ));
                }
                if self.from_year.is_some() && self.span_years.is_some() {
                    return Err(Invalid(
                        "give `from_year` or `span_years`, not both: they state the same start"
                            .into(),
                    ));
                }
                if self.span_years == Some(0) {
                    return Err(Invalid("`span_years` must be at least 1".into()));
                }
                let amounts = [self.change_pct, self.factor, self.change_abs];
                if amounts.iter().flatten().count() > 1 {
                    return Err(Invalid(
                        "give one of `change_pct`, `factor` and `change_abs`: they state the same change"
                            .into(),
                    ));
                }
                if self.factor.is_some_and(|f| f <= 0.0) {
                    return Err(Invalid(
                        "`factor` is the end value over the start value and must be above 0 (\"halved\" is 0.5)".into(),
                    ));
                }
                if self.direction.is_none()
                    && self.value.is_none()
                    && self.from_value.is_none()
                    && amounts.iter().all(Option::is_none)
                {
                    return Err(Missing(
                        "kind = \"change\" needs at least one of `direction`, `value`, `from_value`, `change_pct`, `factor`, `change_abs`".into(),
                    ));
                }
            }
            Kind::Sum | Kind::Mean
                if self.from_year.is_none() || self.year.is_none() || self.value.is_none() =>
            {
                return Err(Missing(format!(
                    "kind = \"{}\" needs `from_year`, `year` and `value`",
                    self.kind_name()
                )));
            }
            Kind::Record => self.check_record()?,
            Kind::Compare => self.check_compare()?,
            Kind::Streak | Kind::Trend => self.check_moves()?,
            Kind::Share => self.check_share()?,
            _ => {}
        }
        let record = self.extreme.is_some()
            || self.window_years.is_some()
            || self.since.is_some()
            || self.window.is_some();
        if self.kind != Kind::Record && record {
            return Err(Invalid(
                "`extreme`, `window`, `window_years` and `since` belong to kind = \"record\""
                    .into(),
            ));
        }
        if self.negated && !self.deniable() {
            return Err(Invalid(
                "`negated` applies to a change, a record, a rank or a bound (`gt`, `lt`, …): the opposite of an exact value is no claim to check".into(),
            ));
        }
        if self.kind != Kind::Share && self.of.is_some() {
            return Err(Invalid("`of` belongs to kind = \"share\"".into()));
        }
        if self.kind != Kind::Compare && (self.other.is_some() || self.event.is_some()) {
            return Err(Invalid(
                "`other` and `event` belong to kind = \"compare\"".into(),
            ));
        }
        let amount = [self.change_pct, self.factor, self.change_abs];
        let ratio =
            self.kind == Kind::Compare && self.change_pct.is_none() && self.change_abs.is_none();
        if self.kind != Kind::Change && !ratio && amount.iter().any(Option::is_some) {
            return Err(Invalid(
                "`change_pct`, `factor` and `change_abs` belong to kind = \"change\"".into(),
            ));
        }
        if self.relation == Relation::Between {
            match (self.value, self.value_max) {
                (Some(lo), Some(hi)) if lo <= hi => {}
                (Some(_), Some(_)) => {
                    return Err(Invalid("`value` must not exceed `value_max`".into()))
                }
                _ => {
                    return Err(Missing(
                        "relation = \"between\" needs `value` and `value_max`".into(),
                    ))
                }
            }
        }
        Ok(())
    }

    /// A comparison needs the other place, and either a side (`relation = "gt"` or `"lt"`),
    /// a ratio (`factor`) or an event.
    fn check_compare(&self) -> Result<(), ClaimError> {
        use ClaimError::{Invalid, Missing};
        let Some(other) = &self.other else {
            return Err(Missing(
                "kind = \"compare\" needs `other`: the place compared with (ISO3 or aggregate code)".into(),
            ));
        };
        if Some(other) == self.country.as_ref() {
            return Err(Invalid(format!(
                "`other` is {other}, the claim's own country: compare two places"
            )));
        }
        if self.value.is_some() {
            return Err(Invalid(
                "a comparison has no `value`: state a ratio with `factor`, or a side with `relation`".into(),
            ));
        }
        match (self.event, self.factor) {
            (Some(_), Some(_)) => Err(Invalid("give `event` or `factor`, not both".into())),
            (None, Some(f)) if f <= 0.0 => Err(Invalid("`factor` must be above 0".into())),
            (None, None) if !matches!(self.relation, Relation::Gt | Relation::Gte | Relation::Lt | Relation::Lte) => Err(Missing(
                "kind = \"compare\" needs `relation = \"gt\"` (higher) or `\"lt\"` (lower), a `factor`, or `event = \"overtake\"`".into(),
            )),
            _ => Ok(()),
        }
    }

    /// A share needs the whole (`of`, not the country itself) and a percentage (`value`,
    /// 0 to 100).
    fn check_share(&self) -> Result<(), ClaimError> {
        use ClaimError::{Invalid, Missing};
        let Some(of) = &self.of else {
            return Err(Missing(
                "kind = \"share\" needs `of`: the whole (\"WLD\" for the world, or an aggregate such as \"EUU\")".into(),
            ));
        };
        if Some(of) == self.country.as_ref() {
            return Err(Invalid(format!(
                "`of` is {of}, the claim's own country: a share is of a larger whole"
            )));
        }
        match self.value {
            None => Err(Missing(
                "kind = \"share\" needs `value`: the share in percent".into(),
            )),
            Some(v) if !(0.0..=100.0).contains(&v) => Err(Invalid(format!(
                "a share is a percentage from 0 to 100, not {v}"
            ))),
            Some(_) => Ok(()),
        }
    }

    /// A streak or a trend needs a direction; a streak, its length (`years`) or its first
    /// year (`from_year`, "every year since 2014").
    fn check_moves(&self) -> Result<(), ClaimError> {
        use ClaimError::{Invalid, Missing};
        let kind = self.kind_name();
        if self.direction.is_none() {
            return Err(Missing(format!(
                "kind = \"{kind}\" needs `direction` (\"increase\" or \"decrease\")"
            )));
        }
        if self.value.is_some() {
            return Err(Invalid(format!("kind = \"{kind}\" has no `value`")));
        }
        if self.kind == Kind::Trend {
            return match (self.years, self.from_year) {
                (None, None) => Ok(()),
                _ => Err(Invalid(
                    "a trend has no `years` or `from_year`: that is a streak or a change".into(),
                )),
            };
        }
        match (self.years, self.from_year, self.year) {
            (None, None, _) => Err(Missing(
                "kind = \"streak\" needs `years` (moves in a row) or `from_year` (every year since)".into(),
            )),
            (Some(0 | 1), _, _) => Err(Invalid("a streak is at least 2 years".into())),
            (Some(n), Some(from), Some(year)) if i64::from(year - from) + 1 != i64::from(n) => {
                Err(Invalid(format!(
                    "{n} years in a row ending in {year} start in {}, not {from}",
                    year - i32::try_from(n).unwrap_or(0) + 1
                )))
            }
            (Some(_), Some(_), None) => Err(Invalid(
                "give `years` or `from_year` for a streak to the latest year, not both".into(),
            )),
            _ => Ok(()),
        }
    }

    /// A record needs its end (`extreme`) and at most one window.
    fn check_record(&self) -> Result<(), ClaimError> {
        use ClaimError::{Invalid, Missing};
        if self.extreme.is_none() {
            return Err(Missing(
                "kind = \"record\" needs `extreme` (\"max\": the highest, or \"min\")".into(),
            ));
        }
        let windows = [
            self.window.is_some(),
            self.window_years.is_some(),
            self.since.is_some(),
        ];
        if windows.iter().filter(|w| **w).count() > 1 {
            return Err(Invalid(
                "give one of `window = \"all\"`, `window_years` and `since`".into(),
            ));
        }
        if self.window_years == Some(0) {
            return Err(Invalid("`window_years` must be at least 1".into()));
        }
        if let (Some(since), Some(year)) = (self.since, self.year) {
            if since >= year {
                return Err(Invalid(format!("since {since} must be before year {year}")));
            }
        }
        if self.value.is_some() {
            return Err(Invalid(
                "a record claim has no `value`: state the value as a separate value claim".into(),
            ));
        }
        Ok(())
    }

    /// Whether a sentence can deny this claim (`negated`): a change, record, rank,
    /// comparison, trend or streak, or a bound (`gt`, `lt`, …); the opposite of an exact value
    /// is no claim to check.
    pub fn deniable(&self) -> bool {
        let bound = !matches!(
            self.relation,
            Relation::Eq | Relation::Approx | Relation::Nearly
        );
        matches!(
            self.kind,
            Kind::Change | Kind::Record | Kind::Rank | Kind::Compare | Kind::Trend | Kind::Streak
        ) || (self.kind == Kind::Value && bound)
    }

    /// The kind as written in claim files.
    pub fn kind_name(&self) -> &'static str {
        self.kind.as_str()
    }
}

/// An indicator of the right shape for its source: a chart slug for Our World in Data, a code
/// of capitals, digits and dots for the World Bank. Nothing else reaches a URL.
fn check_indicator(source: &str, indicator: &str) -> Result<(), ClaimError> {
    use ClaimError::Invalid;
    let slug = crate::source::owid::is_slug(indicator);
    if source == crate::source::owid::NAME && !slug {
        return Err(Invalid(format!(
            "indicator {indicator:?} is not an Our World in Data chart slug such as \"homicide-rate-unodc\" (the end of the chart's address)"
        )));
    }
    if source == WORLD_BANK && slug {
        return Err(Invalid(format!(
            "indicator {indicator:?} looks like an Our World in Data chart slug: add source = \"owid\", or give a World Bank code such as \"VC.IHR.PSRC.P5\""
        )));
    }
    let code_chars = indicator
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    if !slug && (indicator.is_empty() || !code_chars) {
        return Err(Invalid(format!(
            "indicator {indicator:?} is not a World Bank indicator code such as \"VC.IHR.PSRC.P5\""
        )));
    }
    Ok(())
}

/// `window = "all"`: a record over every year with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllYears {
    /// Every year with data.
    All,
}

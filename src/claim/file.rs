//! Claim files (`claims/*.toml`): many `[[claim]]` tables per file, read with the span of
//! every key so that each error names the file, line and column and what to change.
//! One bad claim is reported and skipped; the others in the file still load.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::country::Countries;
use super::{
    number, slug, Claim, ClaimError, ClaimSpec, Direction, Kind, Order, Relation, Tolerance,
};
use super::{AllYears, Event, Extreme};

/// Keys a `[[claim]]` table may hold.
pub const CLAIM_KEYS: &[&str] = &[
    "id",
    "text",
    "source",
    "indicator",
    "country",
    "year",
    "from_year",
    "kind",
    "relation",
    "value",
    "value_max",
    "tolerance",
    "rank",
    "order",
    "among",
    "direction",
    "from_value",
    "change_pct",
    "factor",
    "change_abs",
    "extreme",
    "window",
    "window_years",
    "since",
    "other",
    "of",
    "years",
    "event",
    "span_years",
    "latest_by",
    "negated",
    "schedule",
    "tags",
    "note",
];

/// A problem at a place in a claim file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when the file could not be read at all).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

/// The claims a file yielded and the errors of the claims it could not.
#[derive(Debug, Default)]
pub struct ParsedFile {
    /// Valid claims, in file order.
    pub claims: Vec<Claim>,
    /// One entry per rejected claim (or per file-level problem).
    pub errors: Vec<FileError>,
}

/// Expands files and directories into the sorted list of `.toml` files to read.
pub fn collect_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FileError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| io_error(path, &e))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(FileError {
                path: path.clone(),
                line: 0,
                column: 0,
                message: "no such file or directory".into(),
            });
        }
    }
    Ok(files)
}

fn io_error(path: &Path, e: &std::io::Error) -> FileError {
    FileError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    }
}

/// Reads one claim file from disk.
pub fn read(path: &Path, countries: &Countries) -> ParsedFile {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text, countries),
        Err(e) => ParsedFile {
            claims: Vec::new(),
            errors: vec![io_error(path, &e)],
        },
    }
}

/// Parses claim-file text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str, countries: &Countries) -> ParsedFile {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let at = |span: Range<usize>, message: String| locate(path, text, span.start, message);
    let mut out = ParsedFile::default();
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let start = e.span().map_or(0, |s| s.start);
            out.errors.push(at(
                start..start,
                format!("not valid TOML: {}", e.message().trim()),
            ));
            return out;
        }
    };
    let mut seen_ids = HashSet::new();
    for (key, value) in doc.get_ref().iter() {
        if key.get_ref() != "claim" {
            out.errors.push(at(
                key.span(),
                format!(
                    "unknown top-level key `{}`; claims go in `[[claim]]` tables",
                    key.get_ref()
                ),
            ));
            continue;
        }
        let DeValue::Array(tables) = value.get_ref() else {
            out.errors.push(at(
                value.span(),
                "`claim` must be an array of tables: write each claim under `[[claim]]`".into(),
            ));
            continue;
        };
        for table in tables.iter() {
            let DeValue::Table(fields) = table.get_ref() else {
                out.errors
                    .push(at(table.span(), "each claim must be a table".into()));
                continue;
            };
            match read_claim(fields, table.span(), countries, &mut seen_ids) {
                Ok(claim) => out.claims.push(claim),
                Err((span, message)) => out.errors.push(at(span, message)),
            }
        }
    }
    out
}

fn locate(path: &Path, text: &str, offset: usize, message: String) -> FileError {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    FileError {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

type Located = (Range<usize>, String);

fn read_claim(
    fields: &DeTable<'_>,
    span: Range<usize>,
    countries: &Countries,
    seen_ids: &mut HashSet<String>,
) -> Result<Claim, Located> {
    let mut claim = ClaimSpec::new(String::new(), String::new());
    let mut id_given = false;
    let mut country_span = span.clone();
    for (key, value) in fields.iter() {
        let name = key.get_ref().as_ref();
        let field = Field { name, value };
        match name {
            "id" => {
                claim.id = field.string()?;
                id_given = true;
            }
            "text" => claim.text = field.string()?,
            "source" => claim.source = field.string()?,
            "indicator" => claim.indicator = Some(field.string()?.trim().to_string()),
            "country" => {
                claim.country = Some(field.string()?);
                country_span = value.span();
            }
            "schedule" => claim.schedule = Some(field.string()?),
            "note" => claim.note = Some(field.string()?),
            "year" => claim.year = Some(field.integer()?),
            "from_year" => claim.from_year = Some(field.integer()?),
            "rank" => {
                let rank = field.integer()?;
                claim.rank =
                    Some(u32::try_from(rank).map_err(|_| field.err("a positive whole number"))?);
            }
            "value" => claim.value = Some(field.number()?),
            "value_max" => claim.value_max = Some(field.number()?),
            "from_value" => claim.from_value = Some(field.number()?),
            "change_pct" => claim.change_pct = Some(field.number()?),
            "factor" => claim.factor = Some(field.number()?),
            "change_abs" => claim.change_abs = Some(field.number()?),
            "extreme" => claim.extreme = Some(field.choice(EXTREMES)?),
            "window" => claim.window = Some(field.choice(WINDOWS)?),
            "since" => claim.since = Some(field.integer()?),
            "other" => claim.other = Some(field.string()?),
            "of" => claim.of = Some(field.string()?),
            "years" => {
                let years = field.integer()?;
                claim.years =
                    Some(u32::try_from(years).map_err(|_| field.err("a positive whole number"))?);
            }
            "event" => claim.event = Some(field.choice(EVENTS)?),
            "span_years" => {
                let years = field.integer()?;
                claim.span_years =
                    Some(u32::try_from(years).map_err(|_| field.err("a positive whole number"))?);
            }
            "latest_by" => claim.latest_by = Some(field.integer()?),
            "negated" => claim.negated = field.boolean()?,
            "window_years" => {
                let years = field.integer()?;
                claim.window_years =
                    Some(u32::try_from(years).map_err(|_| field.err("a positive whole number"))?);
            }
            "tolerance" => claim.tolerance = Some(field.tolerance()?),
            "kind" => claim.kind = field.choice(KINDS)?,
            "relation" => claim.relation = field.choice(RELATIONS)?,
            "order" => claim.order = Some(field.choice(ORDERS)?),
            "direction" => claim.direction = Some(field.choice(DIRECTIONS)?),
            "among" => claim.among = field.strings()?,
            "tags" => claim.tags = field.strings()?,
            _ => return Err((key.span(), unknown_key(name))),
        }
    }
    if claim.text.trim().is_empty() {
        return Err((
            span,
            "claim has no `text`: add the claim as written, e.g. text = \"…\"".into(),
        ));
    }
    if !id_given {
        claim.id = unique(slug(&claim.text), seen_ids);
    } else if seen_ids.contains(&claim.id) {
        return Err((span, format!("duplicate id {:?} in this file", claim.id)));
    }
    seen_ids.insert(claim.id.clone());
    let id = claim.id.clone();
    claim.validate(countries).map_err(|e| {
        let span = if matches!(e, ClaimError::Country(_)) {
            country_span
        } else {
            span
        };
        (span, format!("claim {id:?}: {e}"))
    })
}

fn unique(base: String, seen: &HashSet<String>) -> String {
    if !seen.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !seen.contains(id))
        .expect("an unused suffix exists")
}

fn unknown_key(name: &str) -> String {
    let closest = CLAIM_KEYS
        .iter()
        .map(|k| (strsim::levenshtein(name, k), *k))
        .min()
        .filter(|(d, k)| *d <= 2.max(k.len() / 3));
    match closest {
        Some((_, k)) => format!("unknown key `{name}`; did you mean `{k}`?"),
        None => format!(
            "unknown key `{name}`; known keys: {}",
            CLAIM_KEYS.join(", ")
        ),
    }
}

const KINDS: &[(&str, Kind)] = &[
    ("value", Kind::Value),
    ("rank", Kind::Rank),
    ("change", Kind::Change),
    ("record", Kind::Record),
    ("compare", Kind::Compare),
    ("streak", Kind::Streak),
    ("trend", Kind::Trend),
    ("share", Kind::Share),
    ("sum", Kind::Sum),
    ("mean", Kind::Mean),
];
const RELATIONS: &[(&str, Relation)] = &[
    ("eq", Relation::Eq),
    ("approx", Relation::Approx),
    ("nearly", Relation::Nearly),
    ("gt", Relation::Gt),
    ("gte", Relation::Gte),
    ("lt", Relation::Lt),
    ("lte", Relation::Lte),
    ("between", Relation::Between),
];
const ORDERS: &[(&str, Order)] = &[("desc", Order::Desc), ("asc", Order::Asc)];
const EXTREMES: &[(&str, Extreme)] = &[("max", Extreme::Max), ("min", Extreme::Min)];
const WINDOWS: &[(&str, AllYears)] = &[("all", AllYears::All)];
const EVENTS: &[(&str, Event)] = &[("overtake", Event::Overtake)];

const DIRECTIONS: &[(&str, Direction)] = &[
    ("decrease", Direction::Decrease),
    ("increase", Direction::Increase),
];

/// One `key = value` of a claim table, with typed readers that explain what was expected.
struct Field<'a, 'i> {
    name: &'a str,
    value: &'a Spanned<DeValue<'i>>,
}

impl Field<'_, '_> {
    fn err(&self, expected: &str) -> Located {
        (
            self.value.span(),
            format!(
                "`{}` must be {expected}, found {}",
                self.name,
                self.value.get_ref().type_str()
            ),
        )
    }

    fn string(&self) -> Result<String, Located> {
        match self.value.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            _ => Err(self.err("a string")),
        }
    }

    fn boolean(&self) -> Result<bool, Located> {
        match self.value.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            _ => Err(self.err("true or false")),
        }
    }

    fn integer(&self) -> Result<i32, Located> {
        match self.value.get_ref() {
            DeValue::Integer(i) => i32::from_str_radix(i.as_str(), i.radix()).map_err(|_| {
                (
                    self.value.span(),
                    format!(
                        "`{}` is out of range ({}): no year, rank or count is this large",
                        self.name,
                        i.as_str()
                    ),
                )
            }),
            _ => Err(self.err("a whole number such as 2015")),
        }
    }

    fn number(&self) -> Result<f64, Located> {
        let parsed = match self.value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|i| i as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
            DeValue::String(s) => number::parse(s),
            _ => None,
        };
        parsed.ok_or_else(|| {
            self.err("a number (105, 107.6, or a string such as \"40,400\" or \"6.2 million\")")
        })
    }

    fn tolerance(&self) -> Result<Tolerance, Located> {
        let parsed = match self.value.get_ref() {
            DeValue::String(s) => Tolerance::parse(s),
            DeValue::Integer(_) | DeValue::Float(_) => self
                .number()
                .ok()
                .map(|n| n.to_string())
                .as_deref()
                .and_then(Tolerance::parse),
            _ => None,
        };
        parsed.ok_or_else(|| self.err("\"2%\" (relative) or a number such as 0.5 (absolute)"))
    }

    fn strings(&self) -> Result<Vec<String>, Located> {
        let DeValue::Array(items) = self.value.get_ref() else {
            return Err(self.err("an array of strings, e.g. [\"HND\", \"GTM\"]"));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                _ => Err(self.err("an array of strings")),
            })
            .collect()
    }

    fn choice<T: Copy>(&self, options: &[(&str, T)]) -> Result<T, Located> {
        let text = self.string()?;
        options
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text.trim()))
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                (
                    self.value.span(),
                    format!(
                        "`{}` = {text:?} is not one of: {}",
                        self.name,
                        names.join(", ")
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> ParsedFile {
        parse(Path::new("claims/test.toml"), text, &Countries::embedded())
    }

    #[test]
    fn reads_a_full_claim() {
        let parsed = parse_text(
            r#"
[[claim]]
id = "sv-2015"
text = "El Salvador's murder rate was 105 per 100,000 people in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "El Salvador"
year = 2015
value = 105
relation = "eq"
tolerance = "2%"
tags = ["seed"]
schedule = "0 6 * * 1"
"#,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let claim = &parsed.claims[0].spec();
        assert_eq!(claim.country.as_deref(), Some("SLV"));
        assert_eq!(claim.value, Some(105.0));
        assert_eq!(claim.tolerance, Some(Tolerance::Relative(0.02)));
        assert_eq!(claim.source, "worldbank");
    }

    #[test]
    fn reads_the_kinds_a_sentence_can_make() {
        let parsed = parse_text(
            r#"
[[claim]]
text = "Colombia's rate was three times Chile's in 2015"
indicator = "VC.IHR.PSRC.P5"
country = "COL"
kind = "compare"
other = "Chile"
year = 2015
factor = 3

[[claim]]
text = "India is home to a sixth of humanity"
indicator = "SP.POP.TOTL"
country = "IND"
kind = "share"
of = "WLD"
value = 16.7
relation = "approx"

[[claim]]
text = "fell for seven years in a row through 2022"
indicator = "VC.IHR.PSRC.P5"
country = "SLV"
kind = "streak"
direction = "decrease"
years = 7
year = 2022

[[claim]]
text = "did not fall in 2017"
indicator = "VC.IHR.PSRC.P5"
country = "MEX"
kind = "change"
from_year = 2016
year = 2017
direction = "decrease"
negated = true

[[claim]]
text = "halved over the past 15 years"
indicator = "VC.IHR.PSRC.P5"
country = "HND"
kind = "change"
span_years = 15
factor = 0.5
"#,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let specs: Vec<ClaimSpec> = parsed.claims.iter().map(Claim::spec).collect();
        assert_eq!(
            specs[0].other.as_deref(),
            Some("CHL"),
            "names resolve to codes"
        );
        assert_eq!(specs[1].of.as_deref(), Some("WLD"));
        assert_eq!((specs[2].years, specs[2].from_year), (Some(7), Some(2016)));
        assert!(specs[3].negated);
        assert_eq!((specs[4].span_years, specs[4].year), (Some(15), None));
        // A compare without its other place names the key to add.
        let bad = parse_text(
            "[[claim]]\ntext = \"x\"\nindicator = \"SP.POP.TOTL\"\ncountry = \"GTM\"\nkind = \"compare\"\nrelation = \"gt\"\n",
        );
        assert!(
            bad.errors[0].to_string().contains("`other`"),
            "{:?}",
            bad.errors
        );
    }

    #[test]
    fn unknown_key_names_line_column_and_suggestion() {
        let parsed = parse_text(
            "[[claim]]\ntext = \"a\"\nindicator = \"SP.POP.TOTL\"\ncountry = \"SLV\"\n  valeu = 3\n\n[[claim]]\ntext = \"b\"\nindicator = \"SP.POP.TOTL\"\ncountry = \"SLV\"\nvalue = 6300000\n",
        );
        assert_eq!(parsed.claims.len(), 1, "the good claim still loads");
        let err = &parsed.errors[0];
        assert_eq!((err.line, err.column), (5, 3));
        assert!(
            err.to_string()
                .starts_with("claims/test.toml:5:3: unknown key `valeu`; did you mean `value`?"),
            "{err}"
        );
    }

    #[test]
    fn syntax_error_points_at_the_line() {
        let parsed = parse_text("[[claim]]\ntext = \"a\"\nvalue = = 3\n");
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].line, 3);
        assert!(parsed.errors[0].message.contains("not valid TOML"));
    }

    /// A number too large for a year said "must be a whole number, found integer".
    #[test]
    fn an_out_of_range_year_says_so() {
        let parsed = parse_text("[[claim]]\ntext = \"a\"\nyear = 99999999999\n");
        assert_eq!(parsed.errors.len(), 1);
        assert!(
            parsed.errors[0]
                .message
                .contains("`year` is out of range (99999999999)"),
            "{}",
            parsed.errors[0]
        );
        assert_eq!(parsed.errors[0].line, 3);
    }

    #[test]
    fn wrong_types_and_choices_are_explained() {
        let parsed = parse_text("[[claim]]\ntext = \"a\"\nyear = \"2015\"\n[[claim]]\ntext = \"b\"\nrelation = \"approximately\"\n");
        assert_eq!(parsed.errors.len(), 2);
        assert!(
            parsed.errors[0]
                .message
                .contains("`year` must be a whole number"),
            "{}",
            parsed.errors[0]
        );
        assert_eq!(parsed.errors[0].line, 3);
        assert!(
            parsed.errors[1].message.contains("not one of: eq, approx"),
            "{}",
            parsed.errors[1]
        );
    }

    #[test]
    fn unknown_country_points_at_its_value() {
        let parsed = parse_text("[[claim]]\ntext = \"a\"\nindicator = \"SP.POP.TOTL\"\nvalue = 1\ncountry = \"Hondurass\"\n");
        let err = &parsed.errors[0];
        assert_eq!((err.line, err.column), (5, 11));
        assert!(err.message.contains("did you mean Honduras"), "{err}");
    }

    #[test]
    fn ids_default_to_unique_slugs() {
        let parsed =
            parse_text("[[claim]]\ntext = \"Same text\"\n[[claim]]\ntext = \"Same text\"\n");
        let ids: Vec<_> = parsed.claims.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["same-text", "same-text-2"]);
    }

    #[test]
    fn number_strings_keep_news_formatting() {
        let parsed = parse_text("[[claim]]\ntext = \"a\"\nindicator = \"SP.POP.TOTL\"\ncountry = \"SLV\"\nvalue = \"6.3 million\"\n");
        assert_eq!(parsed.claims[0].claimed_value(), Some(6_300_000.0));
    }
}

//! The words verdicts are written with: source names, relation words, places ("2nd highest").

use crate::claim::Relation;

/// The source as a noun: "World Bank".
pub(super) fn source_name(source: &str) -> &str {
    match source {
        "worldbank" => "World Bank",
        "owid" => "Our World in Data",
        other => other,
    }
}

pub(super) fn source_label(source: &str) -> &str {
    match source {
        "worldbank" => "The World Bank",
        "owid" => "Our World in Data",
        other => other,
    }
}

/// A claimed figure as a reader wrote it: "100", "2.5", and "a third" as "33.3", not
/// "33.33333333333333".
pub(super) fn claimed_number(value: f64) -> String {
    let tenths = value * 10.0;
    if (tenths - tenths.round()).abs() < 1e-9 {
        format!("{value}")
    } else if value.abs() < 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

pub(super) fn relation_words(relation: Relation) -> &'static str {
    match relation {
        Relation::Eq | Relation::Between => "",
        Relation::Approx => "around ",
        Relation::Nearly => "nearly ",
        Relation::Gt => "more than ",
        Relation::Gte => "at least ",
        Relation::Lt => "less than ",
        Relation::Lte => "at most ",
    }
}

/// "the highest", "2nd highest".
pub(super) fn place(rank: usize, direction: &str) -> String {
    if rank == 1 {
        format!("the {direction}")
    } else {
        format!("{} {direction}", ordinal(rank))
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

//! Terminal output: whether to colour (`--color auto|always|never`, `NO_COLOR`), tables
//! that fit the terminal width (comfy-table), and `list`'s filters.

use clap::ValueEnum;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use crate::api::types::ClaimSummary;
use crate::verify::Grade;

/// `--color`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always colour (overrides `NO_COLOR`).
    Always,
    /// Never colour.
    Never,
}

/// True when output to a stream that `is_terminal` should be coloured.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color,
    }
}

/// A table fitting the terminal (or `COLUMNS`); the `VERDICT` column coloured when `color`.
pub fn table(headers: &[&str], rows: &[Vec<String>], color: bool) -> String {
    let mut table = Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = terminal_width() {
        table.set_width(width);
    }
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_header(headers.to_vec());
    let verdict_col = headers.iter().position(|h| *h == "VERDICT");
    for row in rows {
        let cells = row.iter().enumerate().map(|(i, text)| {
            let cell = Cell::new(text);
            match (color, Some(i) == verdict_col, text.parse::<Grade>()) {
                (true, true, Ok(grade)) => cell.fg(grade_color(grade)),
                _ => cell,
            }
        });
        table.add_row(cells);
    }
    let mut text: String = table
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    text
}

fn terminal_width() -> Option<u16> {
    if let Some(cols) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(cols);
    }
    comfy_table::Table::new().width()
}

/// Blue for true, orange for false, grey for unverifiable (not red/green alone).
fn grade_color(grade: Grade) -> Color {
    match grade {
        Grade::True | Grade::MostlyTrue => Color::Blue,
        Grade::HalfTrue => Color::Yellow,
        Grade::MostlyFalse | Grade::False => Color::DarkYellow,
        Grade::Unverifiable => Color::Grey,
    }
}

/// `list --tag T --verdict V --search TEXT`.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only claims with this tag.
    pub tag: Option<String>,
    /// Only claims whose latest verdict is this grade.
    pub verdict: Option<Grade>,
    /// Only claims whose id or text contains this (case-insensitive).
    pub search: Option<String>,
}

impl ListFilter {
    /// True when any filter is set.
    pub fn is_active(&self) -> bool {
        self.tag.is_some() || self.verdict.is_some() || self.search.is_some()
    }

    /// Keeps the summaries that pass.
    pub fn apply(&self, summaries: Vec<ClaimSummary>) -> Vec<ClaimSummary> {
        let needle = self.search.as_ref().map(|s| s.to_lowercase());
        summaries
            .into_iter()
            .filter(|s| self.tag.as_ref().is_none_or(|t| s.claim.tags.contains(t)))
            .filter(|s| {
                self.verdict
                    .is_none_or(|v| s.latest.as_ref().is_some_and(|r| r.verdict.grade == v))
            })
            .filter(|s| {
                needle.as_ref().is_none_or(|n| {
                    s.claim.text.to_lowercase().contains(n) || s.claim.id.to_lowercase().contains(n)
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_and_always_override_the_environment() {
        assert!(!use_color(ColorChoice::Never, true));
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Auto, false));
    }

    #[test]
    fn table_colours_only_when_asked() {
        let rows = vec![vec!["a".to_string(), "true".to_string()]];
        assert!(!table(&["ID", "VERDICT"], &rows, false).contains('\u{1b}'));
        assert!(table(&["ID", "VERDICT"], &rows, true).contains('\u{1b}'));
    }
}

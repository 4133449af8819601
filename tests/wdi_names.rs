//! The sentence parser on sentences that name statistics by the World Bank's own WDI names
//! (`tests/fixtures/claim_text/wdi_names.toml`, development set, and
//! `wdi_names_holdout.toml`, written before the catalogue matcher was tuned, and the harder
//! `wdi_names_holdout2.toml`, written after it and never used to tune it).

#[path = "common/accuracy.rs"]
mod accuracy;

fn score(file: &str, floor: f64) {
    let report = accuracy::run(file);
    for miss in &report.misses {
        eprintln!("MISS {miss}");
    }
    eprintln!(
        "{file}: {}/{} = {:.1}%",
        report.right,
        report.total,
        report.accuracy() * 100.0
    );
    assert!(
        report.accuracy() >= floor,
        "{file}: accuracy {:.1}% is below {:.0}%",
        report.accuracy() * 100.0,
        floor * 100.0
    );
}

#[test]
fn wdi_names_development_set() {
    score("wdi_names.toml", 0.95);
}

#[test]
fn wdi_names_held_out_set() {
    score("wdi_names_holdout.toml", 0.85);
}

#[test]
fn wdi_names_second_held_out_set() {
    score("wdi_names_holdout2.toml", 0.6);
}

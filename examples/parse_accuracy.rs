//! Prints the sentence parser's accuracy on the development set
//! (`tests/fixtures/claim_text/sentences.toml`) and the held-out set (`holdout.toml`), and
//! lists every miss: `cargo run --example parse_accuracy`. Then the political-claim sets
//! (`political/`), with their four outcomes kept apart: exact, refused rightly, refused
//! though checkable, misread (the one that can publish a wrong verdict).

#[path = "../tests/common/accuracy.rs"]
mod accuracy;
#[path = "../tests/common/political.rs"]
mod political;

fn main() {
    for (file, what) in [
        ("sentences.toml", "development set"),
        ("holdout.toml", "held-out set"),
        ("wdi_names.toml", "WDI names, development set"),
        ("wdi_names_holdout.toml", "WDI names, held-out set"),
        ("wdi_names_holdout2.toml", "WDI names, second held-out set"),
    ] {
        let report = accuracy::run(file);
        for miss in &report.misses {
            println!("MISS {miss}");
        }
        println!(
            "{what} ({file}): exact match of country, indicator, years, value, relation, kind: {}/{} = {:.1}%\n",
            report.right,
            report.total,
            report.accuracy() * 100.0
        );
    }
    for (file, what) in [
        ("political_dev.toml", "political claims, development set"),
        ("political_holdout.toml", "political claims, held-out set"),
        (
            "political_holdout2.toml",
            "political claims, second held-out set",
        ),
        (
            "political_holdout3.toml",
            "political claims, third held-out set",
        ),
        (
            "political_holdout4.toml",
            "political claims, fourth held-out set",
        ),
        (
            "political_holdout5.toml",
            "political claims, fifth held-out set",
        ),
    ] {
        political::run(file).print(what);
    }
}

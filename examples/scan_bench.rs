//! Scan speed: how long `claimcheck scan` takes to find and parse the checkable sentences of
//! a 2,000-word article before any fetching (target: under 100 ms).
//!
//! ```sh
//! cargo run --release --example scan_bench
//! ```

use std::time::Instant;

use chrono::NaiveDate;
use claimcheck::claim::country::Countries;
use claimcheck::claim::indicator::IndicatorTable;
use claimcheck::claim::sentence::SentenceParser;
use claimcheck::scan::Scanner;

fn main() {
    let seed = include_str!("../tests/fixtures/articles/seed-article.txt");
    let mut article = String::new();
    while article.split_whitespace().count() < 2_000 {
        article.push_str(seed);
        article.push_str("\n\n");
    }
    let words = article.split_whitespace().count();
    let table = IndicatorTable::embedded();
    let scanner = Scanner::new(
        SentenceParser::new(&Countries::embedded(), table.clone()),
        &table,
    );
    let as_of = NaiveDate::from_ymd_opt(2019, 2, 1).expect("valid date");
    scanner.scan(&article, "warm-up", as_of);
    let runs = 20;
    let start = Instant::now();
    let mut found = 0;
    for _ in 0..runs {
        found = scanner
            .scan(&article, "bench", as_of)
            .article
            .findings
            .len();
    }
    let per_scan = start.elapsed() / runs;
    println!(
        "scan: {words}-word article, {found} checkable sentences found: {:.2} ms per scan (target < 100 ms)",
        per_scan.as_secs_f64() * 1e3
    );
}

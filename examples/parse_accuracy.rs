//! Prints the sentence parser's accuracy on `tests/fixtures/claim_text/sentences.toml` and
//! lists every miss: `cargo run --example parse_accuracy`.

#[path = "../tests/common/accuracy.rs"]
mod accuracy;

fn main() {
    let report = accuracy::run();
    for miss in &report.misses {
        println!("MISS {miss}");
    }
    println!(
        "exact match (country, indicator, years, value, relation, kind): {}/{} = {:.1}%",
        report.right,
        report.total,
        report.accuracy() * 100.0
    );
}

//! The sentence parser against the committed news-style test set: at least 95% exact.

mod common;

#[path = "common/accuracy.rs"]
mod accuracy;

#[test]
fn accuracy_on_the_news_sentence_set_is_at_least_95_percent() {
    let report = accuracy::run("sentences.toml");
    for miss in &report.misses {
        eprintln!("MISS {miss}");
    }
    eprintln!(
        "{}/{} = {:.1}%",
        report.right,
        report.total,
        report.accuracy() * 100.0
    );
    assert!(
        report.total >= 200,
        "the set must hold at least 200 sentences"
    );
    assert!(
        report.accuracy() >= 0.95,
        "accuracy {:.1}% is below 95%",
        report.accuracy() * 100.0
    );
}

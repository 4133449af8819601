//! The offline demo's World Bank stand-in: the same local server the tests use
//! (`tests/common/standin.rs`, recorded 2025 values of the homicide and population series),
//! started in-process so `claimcheck demo` needs no internet and no second terminal.

#[path = "../tests/common/standin.rs"]
#[allow(clippy::all, missing_docs)]
mod standin;

use std::path::PathBuf;

use anyhow::{bail, Result};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

/// What the stand-in serves, for messages and the README.
pub const COVERAGE: &str = "the country list and two series, intentional homicides per 100,000 (VC.IHR.PSRC.P5) and population (SP.POP.TOTL), recorded in 2025";

/// The seed article, for `demo` to scan.
pub const SEED_ARTICLE: &str = include_str!("../tests/fixtures/articles/seed-article.txt");
/// The seed claims, for `demo` to import.
pub const SEED_CLAIMS: &str = include_str!("../claims/seed-article.toml");

/// Starts the stand-in on a free loopback port; it runs until the returned server drops.
pub async fn start_standin() -> Result<MockServer> {
    let fixtures: PathBuf = standin::fixtures();
    if !fixtures.join("countries.json").is_file() {
        bail!(
            "the demo reads its recorded data from {}, which is missing: run it from a checkout of the claimcheck repository",
            fixtures.display()
        );
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(standin::StandIn::new())
        .mount(&server)
        .await;
    Ok(server)
}

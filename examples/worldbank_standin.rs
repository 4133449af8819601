//! Runs the World Bank stand-in used by the tests as a local server, so claimcheck can be
//! tried end to end without internet access:
//!
//! ```sh
//! cargo run --example worldbank_standin -- 127.0.0.1:8089 &
//! CLAIMCHECK_WORLDBANK_URL=http://127.0.0.1:8089/v2 claimcheck verify --all
//! ```
//!
//! It also serves the Our World in Data charts of `tests/fixtures/owid/` under `/grapher/`
//! (`CLAIMCHECK_OWID_URL=http://127.0.0.1:8089`).

#[path = "../tests/common/standin.rs"]
mod standin;

#[path = "../tests/common/owid_standin.rs"]
mod owid_standin;

use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8089".into());
    let listener =
        std::net::TcpListener::bind(&addr).unwrap_or_else(|e| panic!("cannot bind {addr}: {e}"));
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("^/grapher/"))
        .respond_with(owid_standin::OwidStandIn)
        .with_priority(5)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(standin::StandIn::new())
        .mount(&server)
        .await;
    println!("World Bank stand-in (2025 values) at {}/v2", server.uri());
    println!(
        "use: CLAIMCHECK_WORLDBANK_URL={}/v2 CLAIMCHECK_OWID_URL={} claimcheck verify --all",
        server.uri(),
        server.uri()
    );
    tokio::signal::ctrl_c().await.ok();
}

//! The World Bank client and the checker, through the library API, over real HTTP to the
//! stand-in: paging, retries, error envelopes, nulls, the BOM, aggregates.

mod common;

use chrono::Utc;
use claimcheck::claim::country::Countries;
use claimcheck::claim::{Claim, ClaimSpec, Kind};
use claimcheck::source::worldbank::WorldBank;
use claimcheck::source::{Scope, SeriesRequest, Source, SourceError};
use claimcheck::verify::Grade;
use common::{standin, StandIn, TestApp};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

fn request(scope: Scope, years: Option<(i32, i32)>) -> SeriesRequest {
    SeriesRequest {
        indicator: standin::HOMICIDE.into(),
        scope,
        years,
    }
}

fn all_2015() -> SeriesRequest {
    request(Scope::All, Some((2015, 2015)))
}

#[tokio::test]
async fn pages_are_followed_until_the_last() {
    let app = TestApp::start().await;
    let mut config = app.config().worldbank;
    config.per_page = 50;
    let series = WorldBank::new(&config)
        .unwrap()
        .fetch_series(&all_2015())
        .await
        .unwrap();
    // country/all lists every economy and aggregate, with null where there is no value.
    let countries = standin::read_json("countries.json")[1]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(series.observations.len(), countries);
    assert_eq!(
        app.requests("/indicator/").await.len(),
        countries.div_ceil(50)
    );
    assert_eq!(series.value("SLV", 2015), Some(107.638231));
    assert!(
        series
            .observations
            .iter()
            .any(|o| o.iso3 == "GTM" && o.value.is_none()),
        "null rows are kept"
    );
    assert_eq!(series.vintage.as_deref(), Some("2025-07-01"));
    assert_eq!(
        series.indicator_name.as_deref(),
        Some("Intentional homicides (per 100,000 people)")
    );
    assert!(series
        .url
        .ends_with("/country/all/indicator/VC.IHR.PSRC.P5?format=json&per_page=50&date=2015"));
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let app = TestApp::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&app.server)
        .await;
    let series = app.client().fetch_series(&all_2015()).await.unwrap();
    assert_eq!(series.value("HND", 2015), Some(55.73054));
    assert_eq!(app.requests("/indicator/").await.len(), 3);
}

#[tokio::test]
async fn throttling_with_retry_after_is_honoured() {
    let app = TestApp::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.server)
        .await;
    let result = app.client().fetch_series(&all_2015()).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(app.requests("/indicator/").await.len(), 2);
}

#[tokio::test]
async fn html_gateway_pages_are_retried_until_attempts_run_out() {
    let app = TestApp::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("<html><body>502 Bad Gateway</body></html>", "text/html"),
        )
        .with_priority(1)
        .mount(&app.server)
        .await;
    let err = app.client().fetch_series(&all_2015()).await.unwrap_err();
    assert!(matches!(err, SourceError::Html { .. }), "{err}");
    assert_eq!(
        app.requests("/indicator/").await.len(),
        app.config().worldbank.max_attempts
    );
}

#[tokio::test]
async fn the_error_envelope_is_not_retried() {
    let app = TestApp::start().await;
    let mut bad = all_2015();
    bad.indicator = "NO.SUCH.CODE".into();
    let err = app.client().fetch_series(&bad).await.unwrap_err();
    assert!(
        matches!(&err, SourceError::Api { code, .. } if code == "120"),
        "{err}"
    );
    assert_eq!(app.requests("/indicator/").await.len(), 1);

    let unknown_country = request(Scope::Countries(vec!["SLV".into(), "ZZZ".into()]), None);
    let err = app
        .client()
        .fetch_series(&unknown_country)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SourceError::Api { code, .. } if code == "120"),
        "{err}"
    );
}

#[tokio::test]
async fn a_leading_bom_is_stripped() {
    let app = TestApp::with(StandIn::new().with_bom()).await;
    let client = app.client();
    assert_eq!(
        client
            .fetch_series(&all_2015())
            .await
            .unwrap()
            .value("SLV", 2015),
        Some(107.638231)
    );
    assert!(client.fetch_countries().await.unwrap().len() > 100);
}

#[tokio::test]
async fn no_data_is_an_empty_series_not_an_error() {
    let app = TestApp::start().await;
    let future = request(Scope::Countries(vec!["SLV".into()]), Some((2030, 2031)));
    let series = app.client().fetch_series(&future).await.unwrap();
    assert!(series.observations.is_empty());
    assert_eq!(series.vintage, None);
}

#[tokio::test]
async fn recorded_rows_with_nulls_and_blank_iso3_are_read() {
    let app = TestApp::start().await;
    let body =
        std::fs::read_to_string(standin::fixtures().join("data_NY.GDP.MKTP.CD_MEX_EMU_XX.json"))
            .unwrap();
    Mock::given(path("/v2/country/MEX;EMU;XX/indicator/NY.GDP.MKTP.CD"))
        .and(query_param("format", "json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .with_priority(1)
        .mount(&app.server)
        .await;
    let req = SeriesRequest {
        indicator: "NY.GDP.MKTP.CD".into(),
        scope: Scope::Countries(vec!["MEX".into(), "EMU".into(), "XX".into()]),
        years: None,
    };
    let series = app.client().fetch_series(&req).await.unwrap();
    assert_eq!(series.observations.len(), 4);
    assert_eq!(series.value("MEX", 2025), Some(1832641364775.52));
    assert_eq!(series.value("EMU", 2025), None);
    assert_eq!(series.observations[3].iso3, "");
    assert_eq!(series.vintage.as_deref(), Some("2026-07-13"));
}

#[tokio::test]
async fn country_metadata_marks_aggregates() {
    let app = TestApp::start().await;
    let countries = app.client().fetch_countries().await.unwrap();
    let find = |code: &str| countries.iter().find(|c| c.iso3 == code).unwrap().clone();
    assert!(find("EUU").aggregate);
    assert!(find("WLD").aggregate);
    let colombia = find("COL");
    assert!(!colombia.aggregate);
    assert_eq!(colombia.iso2, "CO");
    assert_eq!(
        colombia.region, "Latin America & Caribbean",
        "trailing space trimmed"
    );
}

fn rank_claim() -> Claim {
    let mut claim = ClaimSpec::new("highest", "El Salvador had the highest murder rate in 2015");
    claim.indicator = Some(standin::HOMICIDE.into());
    claim.country = Some("SLV".into());
    claim.kind = Kind::Rank;
    claim.year = Some(2015);
    claim.rank = Some(1);
    claim.validate(&Countries::embedded()).unwrap()
}

#[tokio::test]
async fn aggregates_never_count_in_a_rank() {
    let app = TestApp::start().await;
    // Even an aggregate far above every economy does not take first place.
    app.standin
        .revise("2025-07-01", standin::HOMICIDE, "LCN", 2015, 500.0);
    app.standin
        .revise("2025-07-01", standin::HOMICIDE, "WLD", 2015, 400.0);
    let claimcheck = app.app().await;
    let results = common::check(&claimcheck, vec![rank_claim()], Utc::now()).await;
    let record = results[0].outcome().unwrap();
    assert_eq!(
        record.verdict.grade,
        Grade::True,
        "{}",
        record.verdict.explanation
    );
    let rank = record.verdict.evidence.rank.as_ref().unwrap();
    assert_eq!((rank.rank, rank.of), (1, 130));
    assert_eq!(
        claimcheck.verdicts("highest").await.unwrap().len(),
        1,
        "stored"
    );
}

#[tokio::test]
async fn an_unreachable_source_is_reported_as_retryable_and_stores_nothing() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.worldbank.base_url = "http://127.0.0.1:9/v2".into(); // discard port: refused
    let claimcheck = app.app_with(config).await;
    let results = common::check(&claimcheck, vec![rank_claim()], Utc::now()).await;
    let failure = results[0].outcome().unwrap_err();
    assert!(failure.retryable);
    assert!(
        failure.reason.contains("cannot load the country list"),
        "{}",
        failure.reason
    );
    assert!(claimcheck.verdicts("highest").await.unwrap().is_empty());
}

#[tokio::test]
async fn rows_without_iso3_are_mapped_through_their_two_letter_code() {
    let app = TestApp::start().await;
    // The API may send "countryiso3code": "" and only the 2-letter country.id.
    let body = serde_json::json!([
        {"page": 1, "pages": 1, "per_page": 20000, "total": 1, "sourceid": "2", "lastupdated": "2025-07-01"},
        [{"indicator": {"id": "VC.IHR.PSRC.P5", "value": "Intentional homicides (per 100,000 people)"},
          "country": {"id": "SV", "value": "El Salvador"}, "countryiso3code": "", "date": "2015",
          "value": 107.638231, "unit": "", "obs_status": "", "decimal": 1}]
    ]);
    Mock::given(path("/v2/country/SLV/indicator/VC.IHR.PSRC.P5"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json"))
        .with_priority(1)
        .mount(&app.server)
        .await;
    let mut claim = ClaimSpec::new("sv", "El Salvador 107.6 in 2015");
    claim.indicator = Some(standin::HOMICIDE.into());
    claim.country = Some("SLV".into());
    claim.year = Some(2015);
    claim.value = Some(107.6);
    let claimcheck = app.app().await;
    let claim = claim.validate(&Countries::embedded()).unwrap();
    let results = common::check(&claimcheck, vec![claim], Utc::now()).await;
    let record = results[0].outcome().unwrap();
    assert_eq!(
        record.verdict.grade,
        Grade::True,
        "{}",
        record.verdict.explanation
    );
    assert_eq!(record.verdict.evidence.actual, Some(107.638231));
}

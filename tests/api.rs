//! The local API in-process (router + a temp sled store + the World Bank stand-in): every
//! error is JSON with a stable code and names the field; bodies that mix a sentence with
//! claim keys are refused, not dropped; the token is checked before the body is read.

mod common;

use chrono::Utc;
use common::{spawn_api, TestApp};
use serde_json::{json, Value};

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn a_sentence_is_stored_queued_and_verified_through_the_worker() {
    let app = TestApp::start().await;
    let (url, claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    let (status, added) = send(
        http.post(format!("{url}/claims"))
            .json(&json!({"text": "El Salvador homicide rate 105 per 100,000 in 2015", "id": "sv", "tags": ["seed"]})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added[0]["claim"]["id"], "sv");
    assert_eq!(added[0]["claim"]["indicator"], "VC.IHR.PSRC.P5");
    assert_eq!(added[0]["claim"]["tags"], json!(["seed"]));
    let job = added[0]["job"]["id"].as_u64().unwrap();
    claimcheck.drain(Utc::now(), &mut |_| {}).await.unwrap();
    let (status, results) = send(
        http.post(format!("{url}/results"))
            .json(&json!({"jobs": [job]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(results[0]["job"]["state"], "succeeded");
    assert_eq!(results[0]["verdict"]["verdict"]["grade"], "mostly-true");
}

#[tokio::test]
async fn a_sentence_with_two_claims_is_stored_as_two_linked_claims() {
    let app = TestApp::start().await;
    let (url, _claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    let text = "By 2015 the murder rate in El Salvador was the highest in the world, at 105 per 100,000 people.";
    let (status, added) = send(
        http.post(format!("{url}/claims"))
            .json(&json!({"text": text, "id": "sv"})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let claims: Vec<&Value> = added
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["claim"])
        .collect();
    assert_eq!(claims.len(), 2, "{added}");
    assert_eq!(
        (&claims[0]["id"], &claims[0]["kind"]),
        (&json!("sv-1"), &json!("rank"))
    );
    assert_eq!(
        (&claims[1]["id"], &claims[1]["kind"]),
        (&json!("sv-2"), &json!("value"))
    );
    assert_eq!(claims[1]["value"], 105.0);
    // A sentence one clause of which cannot be read is refused whole, naming the clause.
    let (status, body) = send(
        http.post(format!("{url}/claims"))
            .json(&json!({"text": "Chile's unemployment was 8.7% in 2023, growth 0.2%."})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("growth 0.2%"), "{body}");
}

#[tokio::test]
async fn keys_beside_a_sentence_are_refused_by_name() {
    let app = TestApp::start().await;
    let (url, _) = spawn_api(&app, None).await;
    let (status, body) = send(
        reqwest::Client::new()
            .post(format!("{url}/claims"))
            .json(&json!({"text": "Honduras had 9.9 million people", "year": 2022})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "invalid_claim");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("`year`") && message.contains("sentence"),
        "{message}"
    );
}

#[tokio::test]
async fn framework_errors_are_json_with_stable_codes() {
    let app = TestApp::start().await;
    let (url, _) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    let cases = [
        (http.get(format!("{url}/nope")), 404, "no_route"),
        (http.put(format!("{url}/claims")), 405, "method_not_allowed"),
        (http.get(format!("{url}/claims/missing")), 404, "not_found"),
        (http.get(format!("{url}/jobs/42")), 404, "not_found"),
        (
            http.get(format!("{url}/jobs?state=done")),
            400,
            "invalid_state",
        ),
        (
            http.get(format!("{url}/changes?since=yesterday")),
            400,
            "invalid_since",
        ),
        (
            http.post(format!("{url}/claims")).body("{\"text\": \"x\"}"),
            415,
            "unsupported_media_type",
        ),
        (
            http.post(format!("{url}/claims"))
                .header("content-type", "application/json")
                .body("{\"text\": "),
            422,
            "invalid_json",
        ),
        (
            http.post(format!("{url}/claims"))
                .json(&json!({"text": "x", "indicatr": "SP.POP.TOTL"})),
            422,
            "invalid_json",
        ),
        (
            http.post(format!("{url}/claims"))
                .header("content-type", "application/json")
                .body(format!("{{\"text\": \"{}\"}}", "x".repeat(2 << 20))),
            413,
            "body_too_large",
        ),
        (
            http.post(format!("{url}/jobs"))
                .json(&json!({"claims": ["ghost"]})),
            404,
            "not_found",
        ),
        (http.post(format!("{url}/jobs/7/retry")), 404, "not_found"),
    ];
    for (request, status, code) in cases {
        let (got, body) = send(request).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
}

/// A `POST /claims` body of the wrong shape says what it is and which shapes are taken; a
/// claim key of the wrong type is named with its claim.
#[tokio::test]
async fn claim_bodies_of_the_wrong_shape_say_what_they_are() {
    let app = TestApp::start().await;
    let (url, _) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    let cases = [
        (json!({}), "the body is an empty object"),
        (json!(5), "the body is a number"),
        (json!("El Salvador"), "the body is a string"),
        (
            json!({"text": 5}),
            "`text`: invalid type: integer `5`, expected a string",
        ),
        (
            json!({"claims": 5}),
            "`claims` is a number; it must be an array",
        ),
        (
            json!({"claims": [], "text": "x"}),
            "has no other keys (found `text`)",
        ),
        (
            json!({"claims": [{"text": "x"}, 7]}),
            "claims[1] is a number, not a claim object",
        ),
        (
            json!({"claims": [{"text": "x", "indicatr": "SP.POP.TOTL"}]}),
            "claims[0]: `indicatr`: unknown field `indicatr`",
        ),
        (
            json!([{"text": "x"}, {"year": "2015"}]),
            "[1]: `year`: invalid type: string",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = send(http.post(format!("{url}/claims")).json(&body)).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        assert_eq!(answer["error"], "invalid_json", "{body} -> {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{body} -> {message}");
    }
    // A bare array of claims is taken as {"claims": [...]}.
    let (status, added) =
        send(http.post(format!("{url}/claims")).json(
            &json!([{"text": "El Salvador homicide rate 105 per 100,000 in 2015", "id": "sv"}]),
        ))
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added[0]["claim"]["id"], "sv");
}

#[tokio::test]
async fn the_token_is_checked_before_the_body_is_read() {
    let app = TestApp::start().await;
    let (url, _) = spawn_api(&app, Some("s3cret")).await;
    let http = reqwest::Client::new();
    // An oversized body without the token gets 401, not 413: it was never read.
    let (status, body) = send(
        http.post(format!("{url}/claims"))
            .header("content-type", "application/json")
            .body("x".repeat(4 << 20)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = send(http.get(format!("{url}/claims")).bearer_auth("s3cre")).await;
    assert_eq!(status, 401, "a prefix of the token is not the token");
    let (status, _) = send(http.get(format!("{url}/claims")).bearer_auth("s3cret")).await;
    assert_eq!(status, 200);
    // A job id that is none is refused in JSON like every error (it was axum's plain text).
    let (status, body) = send(
        http.post(format!("{url}/jobs/abc/retry"))
            .bearer_auth("s3cret"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_job_id"))
    );
    // The scheme name is case-insensitive (RFC 7235).
    let lower = http
        .get(format!("{url}/claims"))
        .header("authorization", "bearer s3cret");
    assert_eq!(send(lower).await.0, 200);
    let other = http
        .get(format!("{url}/claims"))
        .header("authorization", "Basic s3cret");
    assert_eq!(send(other).await.0, 401);
}

#[tokio::test]
async fn a_dead_job_is_retried_and_a_pending_one_refuses() {
    let app = TestApp::start().await;
    let (url, claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    let (_, added) = send(http.post(format!("{url}/claims")).json(&json!({
        "id": "bad", "text": "x", "indicator": "NOT.A.CODE", "country": "SLV", "value": 1
    })))
    .await;
    let job = added[0]["job"]["id"].as_u64().unwrap();
    let (status, body) = send(http.post(format!("{url}/jobs/{job}/retry"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    claimcheck.drain(Utc::now(), &mut |_| {}).await.unwrap();
    let (_, dead) = send(http.get(format!("{url}/jobs?state=dead"))).await;
    assert!(
        dead[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("error 120"),
        "{dead}"
    );
    let (status, body) = send(http.post(format!("{url}/jobs/{job}/retry"))).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("queued")),
        "{body}"
    );
}

#[tokio::test]
async fn post_jobs_all_queues_every_stored_claim_and_refuses_both_forms() {
    let app = TestApp::start().await;
    let (url, _claimcheck) = spawn_api(&app, None).await;
    let http = reqwest::Client::new();
    for (id, text) in [
        ("sv", "El Salvador homicide rate 105 per 100,000 in 2015"),
        ("hn", "Honduras homicide rate 57 per 100,000 in 2015"),
    ] {
        let (status, added) = send(
            http.post(format!("{url}/claims"))
                .json(&json!({"text": text, "id": id})),
        )
        .await;
        assert_eq!(status, 201, "{added}");
    }
    let (status, queued) = send(http.post(format!("{url}/jobs")).json(&json!({"all": true}))).await;
    assert_eq!(status, 202, "{queued}");
    let mut claims: Vec<&str> = queued
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["job"]["claim_id"].as_str().unwrap())
        .collect();
    claims.sort();
    assert_eq!(claims, ["hn", "sv"]);

    let (status, error) = send(
        http.post(format!("{url}/jobs"))
            .json(&json!({"all": true, "claims": ["sv"]})),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(error.to_string().contains("not both"), "{error}");
}

/// A request settled at once (nothing its last verdict stands on changed) is answered with
/// its result, the one `POST /results` gives; a request that needs a check is not.
#[tokio::test]
async fn post_jobs_answers_a_settled_request_with_its_result() {
    let app = TestApp::start().await;
    let mut config = app.config();
    config.cache.ttl_hours = 24;
    let (url, claimcheck) = common::spawn_api_with(&app, config, None).await;
    let http = reqwest::Client::new();
    let text = "El Salvador homicide rate 105 per 100,000 in 2015";
    let (status, added) = send(
        http.post(format!("{url}/claims"))
            .json(&json!({"text": text, "id": "sv"})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    claimcheck
        .drain(chrono::Utc::now(), &mut |_| {})
        .await
        .unwrap();

    let (status, answered) =
        send(http.post(format!("{url}/jobs")).json(&json!({"all": true}))).await;
    assert_eq!(status, 202, "{answered}");
    let answer = &answered[0];
    assert_eq!(answer["job"]["state"], "succeeded", "{answer}");
    assert_eq!(
        answer["result"]["verdict"]["verdict"]["grade"], "mostly-true",
        "{answer}"
    );
    let job = answer["job"]["id"].as_u64().unwrap();
    let (status, read) = send(
        http.post(format!("{url}/results"))
            .json(&json!({"jobs": [job]})),
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        answer["result"], read[0],
        "the result given is the one read back"
    );

    // An edit means a full check: queued, with no result yet.
    let edited = "El Salvador homicide rate 107 per 100,000 in 2015";
    let (status, _) = send(
        http.post(format!("{url}/claims"))
            .json(&json!({"text": edited, "id": "sv"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, answered) = send(
        http.post(format!("{url}/jobs"))
            .json(&json!({"claims": ["sv"]})),
    )
    .await;
    assert!(answered[0].get("result").is_none(), "{answered}");
}

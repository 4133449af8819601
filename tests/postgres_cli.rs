//! The real binary against PostgreSQL (a fresh schema of `CLAIMCHECK_TEST_POSTGRES_URL`,
//! dropped after; skipped, saying so, without the variable): the everyday commands work the
//! same as on sled, `migrate` reports the schema version, `migrate-store` copies a sled
//! database and checks the counts, and a password in the URL is never printed.

mod common;

use common::backends::{test_db, Backend};
use common::{by_id, json_lines, seed_claims, TestApp};
use predicates::prelude::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_works_against_postgres() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "the_cli_works_against_postgres",
    ) else {
        return;
    };
    let pg = || {
        let mut cmd = app.cmd();
        cmd.env("CLAIMCHECK_DB", &db.location);
        cmd
    };
    pg().arg("migrate")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "applied migration(s) 1, 2; schema at version 2",
        ));
    pg().arg("migrate")
        .assert()
        .success()
        .stdout(predicate::str::contains("schema at version 2, up to date"));
    pg().arg("import")
        .arg(seed_claims())
        .assert()
        .success()
        .stdout(predicate::str::contains("9 claims: 9 added"));
    let output = pg().args(["verify", "--all", "--json"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = json_lines(&output.stdout);
    assert_eq!(results.len(), 9);
    assert_eq!(
        by_id(&results, "sv-homicide-2015")["verdict"],
        "mostly-true"
    );

    pg().args(["list", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sv-homicide-2015-highest"));
    pg().args(["show", "sv-homicide-2015"])
        .assert()
        .success()
        .stdout(predicate::str::contains("mostly-true"));
    let jobs = pg().args(["jobs", "--json"]).output().unwrap();
    assert!(jobs.status.success());
    let text = String::from_utf8_lossy(&jobs.stdout);
    assert_eq!(text.matches("\"succeeded\"").count(), 9, "{text}");
    pg().args(["changes", "--json"]).assert().success();
    pg().args([
        "add",
        "--text",
        "Honduras had 9.9 million people in 2022",
        "--indicator",
        "SP.POP.TOTL",
        "--country",
        "Honduras",
        "--year",
        "2022",
        "--value",
        "9.9 million",
        "--json",
    ])
    .assert()
    .success();
    let listed = pg().args(["list", "--json"]).output().unwrap();
    assert_eq!(
        json_lines(&listed.stdout).len(),
        10,
        "the added claim is listed"
    );
    pg().args(["show", "no-such-claim"]).assert().code(2);
    // An edit is stored with its record of what changed, in one transaction.
    pg().args([
        "edit",
        "sv-homicide-2015",
        "--value",
        "107.6",
        "--text",
        "By 2015 the murder rate in El Salvador was 107.6 per 100,000 people",
    ])
    .assert()
    .success();
    pg().args(["show", "sv-homicide-2015"])
        .assert()
        .success()
        .stdout(predicate::str::contains("value 105 → 107.6"));
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_store_copies_a_sled_database_and_checks_the_counts() {
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "migrate_store_copies_a_sled_database_and_checks_the_counts",
    ) else {
        return;
    };
    app.cmd()
        .arg("import")
        .arg(seed_claims())
        .assert()
        .success();
    app.cmd().args(["verify", "--all"]).assert().success();
    let url = db.location.to_str().unwrap().to_string();
    let copy = || {
        let mut cmd = app.cmd();
        cmd.arg("migrate-store")
            .arg("--from")
            .arg(app.db())
            .args(["--to", &url]);
        cmd
    };
    copy()
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"claims\s+9\s+9\s+ok").unwrap())
        .stdout(predicate::str::is_match(r"verdicts\s+9\s+9\s+ok").unwrap())
        .stdout(predicate::str::is_match(r"jobs\s+9\s+9\s+ok").unwrap());
    copy()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already holds 9 claims"));

    // The copy answers like the original, and new work gets ids that do not collide.
    let sled_list = app.cmd().args(["list", "--json"]).output().unwrap();
    let mut pg = app.cmd();
    pg.env("CLAIMCHECK_DB", &db.location);
    let pg_list = pg.args(["list", "--json"]).output().unwrap();
    assert_eq!(json_lines(&sled_list.stdout), json_lines(&pg_list.stdout));
    let mut again = app.cmd();
    again.env("CLAIMCHECK_DB", &db.location);
    again
        .args(["verify", "sv-homicide-2015"])
        .assert()
        .success();
    let mut show = app.cmd();
    show.env("CLAIMCHECK_DB", &db.location);
    let detail = show
        .args(["show", "sv-homicide-2015", "--json"])
        .output()
        .unwrap();
    let detail = json_lines(&detail.stdout);
    assert_eq!(detail[0]["history"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_postgres_says_what_to_do_without_the_password() {
    let app = TestApp::start().await;
    let url = "postgres://ann:s3cret@127.0.0.1:1/nothing";
    let output = app
        .cmd()
        .env("CLAIMCHECK_DB", url)
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach PostgreSQL"), "{stderr}");
    assert!(stderr.contains("is it running"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
    // Asking for TLS is answered as what it is, not "is it running?".
    let output = app
        .cmd()
        .env("CLAIMCHECK_DB", format!("{url}?sslmode=require"))
        .arg("list")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("connects without TLS"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mistyped_url_is_the_users_to_fix() {
    let app = TestApp::start().await;
    let output = app
        .cmd()
        .env(
            "CLAIMCHECK_DB",
            "postgres://ann:s3cret@127.0.0.1/db?schema=a;drop",
        )
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "bad input, not a runtime failure"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("letters, digits and underscores"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_backup_restores_into_sled_with_its_pending_jobs() {
    use chrono::Utc;
    use claimcheck::claim::country::Countries;
    use claimcheck::queue::{Priority, Queue};
    let app = TestApp::start().await;
    let Some(db) = test_db(
        Backend::Postgres,
        app.dir.path(),
        "a_postgres_backup_restores_into_sled_with_its_pending_jobs",
    ) else {
        return;
    };
    let pg = claimcheck::store::open(&db.location).unwrap();
    let mut spec = claimcheck::claim::ClaimSpec::new("c1", "claim one");
    spec.value = Some(1.0);
    pg.put_claim(&spec.validate(&Countries::embedded()).unwrap())
        .unwrap();
    let first = Queue::new(pg.clone(), app.config().queue)
        .enqueue("c1", Priority::User, Utc::now())
        .unwrap()
        .job;
    let backup = pg.backup().unwrap();

    let sled = claimcheck::store::open(&app.db()).unwrap();
    sled.restore(&backup).unwrap();
    assert!(sled.claim("c1").unwrap().is_some());
    let queue = Queue::new(sled, app.config().queue);
    let again = queue.enqueue("c1", Priority::User, Utc::now()).unwrap();
    assert!(
        !again.created,
        "the restored pending job keeps the claim's slot"
    );
    assert_eq!(again.job.id, first.id);
    assert_eq!(
        queue.take("w", 5, Utc::now()).unwrap().len(),
        1,
        "and is due"
    );
}

//! A local stand-in for Our World in Data's grapher downloads, serving the real files of
//! `tests/fixtures/owid/` at `/grapher/{slug}.csv` and `/grapher/{slug}.metadata.json` (the
//! site's paths), and an HTML 404 page for unknown charts, as the site does.

#![allow(dead_code)] // each test binary uses a different part of it

use std::path::{Path, PathBuf};

use wiremock::{Request, Respond, ResponseTemplate};

/// The fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/owid")
}

/// Answers grapher requests from the fixture files.
#[derive(Clone, Default)]
pub struct OwidStandIn;

impl Respond for OwidStandIn {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let not_found = || {
            ResponseTemplate::new(404).set_body_raw(
                "<!doctype html><html><body>Page not found</body></html>",
                "text/html",
            )
        };
        let Some(file) = request.url.path().strip_prefix("/grapher/") else {
            return not_found();
        };
        let content_type = if file.ends_with(".metadata.json") {
            "application/json"
        } else if file.ends_with(".csv") {
            "text/csv; charset=utf-8"
        } else {
            return not_found();
        };
        // Only plain file names: no directories.
        if file.contains('/') || file.contains("..") {
            return not_found();
        }
        match std::fs::read(fixtures().join(file)) {
            Ok(body) => ResponseTemplate::new(200).set_body_raw(body, content_type),
            Err(_) => not_found(),
        }
    }
}

//! Change-event webhooks: each event is POSTed once as JSON, signed with HMAC-SHA256 when a
//! secret is set. Delivery is durable: a cursor in the store advances only after a 2xx
//! answer, so a failed or interrupted delivery is tried again on the next round. With several
//! daemons on one database, only the holder of the sender lease delivers (renewed before
//! each event), so two daemons never send the same event; a sender killed between the answer
//! and the cursor write sends that one event again from its successor.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::{DaemonConfig, Secret};
use crate::queue::worker::blocking;
use crate::source::http::USER_AGENT;
use crate::store::{self, ChangeEvent, Store, StoreError};

const CURSOR_KEY: &str = "webhook/next-seq";
/// The lease naming the one daemon of a cluster that delivers.
const SENDER_LEASE: &str = "webhook-sender";
/// How long the sender lease lasts without renewal (a stopped sender's successor waits this).
const SENDER_LEASE_SECS: i64 = 60;
/// Header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Claimcheck-Signature";

/// The longest wait between tries at a failing endpoint.
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(300);

/// Delivers change events to the configured URL.
pub struct Notifier {
    client: reqwest::Client,
    url: String,
    /// The URL as logs show it: scheme, host and port only. Its user and password, or a
    /// path that is itself the secret (a Slack-style hook), were printed on every retry.
    shown: String,
    secret: Option<Secret>,
    /// Failures in a row, and when to try again: a dead endpoint was tried (and a warning
    /// logged) every poll, 86,000 lines a day.
    backoff: std::sync::Mutex<(u32, Option<std::time::Instant>)>,
}

/// `http://user:pw@hooks.example:8080/T0/B1/secret` → `http://hooks.example:8080/…`.
fn shown_url(url: &str) -> String {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return "(the configured webhook_url)".into();
    };
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = if parsed.path().len() > 1 || parsed.query().is_some() {
        "/…"
    } else {
        ""
    };
    format!(
        "{}://{}{port}{path}",
        parsed.scheme(),
        parsed.host_str().unwrap_or("")
    )
}

impl Notifier {
    /// `None` when no webhook is configured; an error when the HTTP client cannot be built
    /// (never a silently disabled webhook).
    pub fn new(config: &DaemonConfig) -> Result<Option<Self>, reqwest::Error> {
        let Some(url) = config.webhook_url.clone() else {
            return Ok(None);
        };
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Some(Self {
            client,
            shown: shown_url(&url),
            url,
            secret: config.webhook_secret.clone(),
            backoff: std::sync::Mutex::new((0, None)),
        }))
    }

    /// Sends every event not yet delivered, oldest first; stops at the first failure, or
    /// when another daemon (`holder` names this one) holds the sender lease.
    pub async fn deliver_pending(&self, store: &Store, holder: &str) {
        if self.waiting() || !hold_lease(store, holder).await {
            return;
        }
        let events = match blocking({
            let store = store.clone();
            move || undelivered(&store)
        })
        .await
        {
            Ok(events) => events,
            Err(e) => return tracing::error!(error = %e, "cannot read change events"),
        };
        for event in events {
            if !hold_lease(store, holder).await {
                return;
            }
            let body = serde_json::to_vec(&event).expect("events serialize");
            let mut request = self
                .client
                .post(&self.url)
                .header("content-type", "application/json");
            if let Some(secret) = &self.secret {
                request = request.header(
                    SIGNATURE_HEADER,
                    format!("sha256={}", sign(secret.expose(), &body)),
                );
            }
            match request.body(body).send().await {
                Ok(r) if r.status().is_success() => {
                    let cursor = event.seq + 1;
                    let stored = blocking({
                        let store = store.clone();
                        move || store::put_meta(store.as_ref(), CURSOR_KEY, &cursor)
                    });
                    if let Err(e) = stored.await {
                        return tracing::error!(error = %e, "cannot record webhook delivery");
                    }
                    tracing::info!(seq = event.seq, claim = %event.claim_id, "webhook delivered");
                    self.succeeded();
                }
                Ok(r) => {
                    let wait = self.failed();
                    return tracing::warn!(status = r.status().as_u16(), url = %self.shown, retry_in_secs = wait.as_secs(), "webhook refused; will retry");
                }
                Err(e) => {
                    let wait = self.failed();
                    let e = e.without_url();
                    return tracing::warn!(error = %e, url = %self.shown, retry_in_secs = wait.as_secs(), "webhook failed; will retry");
                }
            }
        }
    }

    /// Whether the endpoint failed lately and its next try has not come.
    fn waiting(&self) -> bool {
        let backoff = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        backoff.1.is_some_and(|at| std::time::Instant::now() < at)
    }

    /// One more failure in a row: the next try waits 1 s, 2 s, 4 s … up to 5 minutes.
    fn failed(&self) -> std::time::Duration {
        let mut backoff = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        backoff.0 = backoff.0.saturating_add(1);
        let wait = std::time::Duration::from_secs(1 << (backoff.0 - 1).min(9)).min(MAX_BACKOFF);
        backoff.1 = Some(std::time::Instant::now() + wait);
        wait
    }

    fn succeeded(&self) {
        *self.backoff.lock().unwrap_or_else(|p| p.into_inner()) = (0, None);
    }
}

/// Takes or renews the sender lease; false when another daemon holds it (or the store
/// failed: then nobody should send on a guess).
async fn hold_lease(store: &Store, holder: &str) -> bool {
    let (store, holder) = (store.clone(), holder.to_string());
    let now = chrono::Utc::now();
    let until = now + chrono::Duration::seconds(SENDER_LEASE_SECS);
    match blocking(move || store.try_lease(SENDER_LEASE, &holder, now, until)).await {
        Ok(held) => held,
        Err(e) => {
            tracing::error!(error = %e, "cannot take the webhook sender lease");
            false
        }
    }
}

/// Change events after the delivery cursor, oldest first.
fn undelivered(store: &Store) -> Result<Vec<ChangeEvent>, StoreError> {
    let next: u64 = store::meta_get(store.as_ref(), CURSOR_KEY)?.unwrap_or(0);
    store.changes_from(next)
}

/// Hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_matches_rfc_4231_test_case_2() {
        assert_eq!(
            super::sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

#[cfg(test)]
mod url_tests {
    use super::shown_url;

    #[test]
    fn logs_show_no_credentials_or_secret_path() {
        assert_eq!(
            shown_url("http://user:pw@127.0.0.1:18391/hook"),
            "http://127.0.0.1:18391/…"
        );
        assert_eq!(
            shown_url("https://hooks.slack.com/services/T0/B1/XYZ?x=1"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(shown_url("https://example.org"), "https://example.org");
    }
}

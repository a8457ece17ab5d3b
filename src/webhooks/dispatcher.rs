//! Delivering the event log to webhooks, after commit and apart from the
//! writes (a write never waits for a delivery, nor fails with one).
//!
//! Every server process runs [`run`]. Each round, in one transaction
//! (`store::round`), it turns new events into deliveries (once per event
//! across processes), records the attempts made since the last round, and
//! claims the deliveries that are due (each to one process, leased for 30
//! seconds); then it makes their attempts, up to 64 at once, off the async
//! workers. A delivery succeeds on a 2xx answer only; redirects are not
//! followed; 15 seconds without an answer is a failure. A failure is
//! tried again later, with exponential backoff and jitter, from 5 seconds
//! to 12 hours apart and about three days in all, or later when the
//! receiver sent `Retry-After`; a `410 Gone` disables the endpoint, and so
//! do three days of failures (a log line and a metric say so). Delivery is
//! at least once: a process stopped between an attempt and its record
//! makes that attempt again once the lease ends.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use tokio::sync::Notify;

use crate::config::WebhookSettings;
use crate::db::{self, Pool};
use crate::metrics;

use super::signature;
use super::store::{self, Attempt, Claimed, Endpoint, Outcome};
use super::target;

/// Attempts under way in one process at most: a receiver that hangs holds
/// one of them for the timeout, not the others.
const IN_FLIGHT: usize = 64;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// How long a claimed delivery is this process's: twice the longest attempt.
const LEASE: TimeDelta = TimeDelta::seconds(30);

/// Events fanned out in one transaction at most.
const FAN_OUT_BATCH: i64 = 500;

/// How often the dispatcher looks for work when nothing wakes it (events
/// of other processes, retries coming due).
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// How long a woken dispatcher lets more work come before its round: the
/// events of a burst of writes, the answers of many receivers, are then
/// handled in one transaction rather than one each.
const GATHER: Duration = Duration::from_millis(50);

/// The waits after each failed attempt, in seconds: about three days in
/// all. After the last, the delivery has failed.
const BACKOFF: [i64; 14] = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 43_200, 43_200, 43_200, 43_200];

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: i64 = 86_400;

/// The most of an answer kept in the delivery log.
const RESPONSE_EXCERPT: u64 = 1024;

/// When to try again after failed attempt number `attempts` (from 1), at
/// `at`, given the receiver's `Retry-After` seconds; `None`: give up.
pub fn retry_at(attempts: i32, at: NaiveDateTime, retry_after: Option<i64>, jitter: f64) -> Option<NaiveDateTime> {
    let wait = *BACKOFF.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let jittered = (wait as f64 * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))).round() as i64;
    let wait = jittered.max(retry_after.unwrap_or(0).min(MAX_RETRY_AFTER));
    Some(at + TimeDelta::seconds(wait))
}

fn random_unit() -> f64 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
}

/// The HTTP client of deliveries: no redirects, a timeout, and a resolver
/// that refuses inner addresses unless they are allowed.
pub fn agent(settings: WebhookSettings) -> ureq::Agent {
    let allow_private = settings.allow_private;
    let mut builder = ureq::AgentBuilder::new()
        .timeout(TIMEOUT)
        .redirects(0)
        .user_agent(concat!("Parution-Webhooks/", env!("CARGO_PKG_VERSION")))
        .resolver(move |netloc: &str| target::resolve(netloc, allow_private));
    match native_tls::TlsConnector::new() {
        Ok(connector) => builder = builder.tls_connector(Arc::new(connector)),
        Err(error) => log::warn!("webhooks cannot use TLS: {error}"),
    }
    builder.build()
}

/// Makes one attempt of `claimed`.
pub fn attempt(agent: &ureq::Agent, claimed: &Claimed, at: NaiveDateTime) -> Outcome {
    let delivery = &claimed.delivery;
    let timestamp = Utc::now().timestamp();
    let secrets: Vec<&str> = claimed.secrets.iter().map(String::as_str).collect();
    let signature = signature::header(&secrets, &delivery.message_id, timestamp, &delivery.payload);
    let sent = agent
        .post(&claimed.url)
        .set("content-type", "application/json")
        .set("webhook-id", &delivery.message_id)
        .set("webhook-timestamp", &timestamp.to_string())
        .set("webhook-signature", &signature)
        .send_string(&delivery.payload);
    let response = match sent {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(transport)) => {
            return Outcome {
                status: None,
                response: None,
                error: Some(transport.to_string()),
                retry_at: retry_at(delivery.attempts, at, None, random_unit()),
                delivered: false,
            };
        }
    };
    let status = response.status();
    let retry_after = response.header("retry-after").and_then(|value| value.trim().parse::<i64>().ok());
    let mut excerpt = Vec::new();
    let _ = response.into_reader().take(RESPONSE_EXCERPT).read_to_end(&mut excerpt);
    let excerpt = String::from_utf8_lossy(&excerpt).into_owned();
    let delivered = (200..300).contains(&status);
    let gone = status == 410;
    Outcome {
        status: Some(status),
        response: (!excerpt.is_empty()).then_some(excerpt),
        error: (!delivered).then(|| match status {
            300..=399 => format!("answered {status}: redirects are not followed"),
            _ => format!("answered {status}"),
        }),
        retry_at: if delivered || gone { None } else { retry_at(delivery.attempts, at, retry_after, random_unit()) },
        delivered,
    }
}

/// The seconds from the event a payload tells of to `at`.
fn lag(payload: &str, at: NaiveDateTime) -> Option<f64> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    let occurred = chrono::DateTime::parse_from_rfc3339(value.get("timestamp")?.as_str()?).ok()?;
    Some((at - occurred.naive_utc()).num_microseconds()? as f64 / 1e6)
}

/// Runs for as long as the server does.
pub async fn run(pool: Pool, settings: WebhookSettings) {
    let agent = agent(settings);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let finished: Arc<Mutex<Vec<Attempt>>> = Arc::default();
    let wake = Arc::new(Notify::new());
    let mut commits = db::commits::subscribe();
    loop {
        let attempts = std::mem::take(&mut *finished.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let free = IN_FLIGHT.saturating_sub(in_flight.load(Ordering::SeqCst)) as i64;
        tell(&attempts);
        let count = attempts.len();
        let described: Vec<(i32, String)> =
            attempts.iter().map(|(claimed, _, _)| (claimed.delivery.webhook_id, claimed.url.clone())).collect();
        let round = db::run(&pool, move |connection| {
            Ok(store::round(connection, db::now(), &attempts, free, LEASE, FAN_OUT_BATCH)?)
        })
        .await;
        // Recorded, or not (their leases end, and they are made again).
        in_flight.fetch_sub(count, Ordering::SeqCst);
        let busy = match round {
            Ok(round) => {
                for (endpoint, (webhook_id, url)) in round.endpoints.into_iter().zip(described) {
                    if let Endpoint::Disabled(reason) = endpoint {
                        metrics::webhook_disabled();
                        log::warn!("webhook {webhook_id} ({url}) is disabled: {reason}");
                    }
                }
                let busy = round.fanned as i64 == FAN_OUT_BATCH || (free > 0 && round.claimed.len() as i64 == free);
                for claimed in round.claimed {
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let (agent, finished, wake, in_flight) =
                        (agent.clone(), finished.clone(), wake.clone(), in_flight.clone());
                    actix_web::rt::spawn(async move {
                        if let Some(attempt) = attempt_apart(agent, claimed).await {
                            finished.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(attempt);
                        } else {
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                        }
                        wake.notify_one();
                    });
                }
                busy
            }
            Err(error) => {
                log::warn!("webhook deliveries cannot be handled now ({error}); they will be");
                false
            }
        };
        if !busy {
            let woken = futures_util::future::select(Box::pin(commits.changed()), Box::pin(wake.notified()));
            let _ = actix_web::rt::time::timeout(LOOK_EVERY, woken).await;
        }
        // Let what comes at once come together: one round for many.
        actix_web::rt::time::sleep(GATHER).await;
    }
}

/// Makes the attempt of `claimed` off the async workers.
async fn attempt_apart(agent: ureq::Agent, claimed: Claimed) -> Option<Attempt> {
    let at = db::now();
    let attempted = claimed.clone();
    match actix_web::rt::task::spawn_blocking(move || attempt(&agent, &attempted, at)).await {
        Ok(outcome) => Some((claimed, outcome, db::now())),
        Err(error) => {
            log::error!("a webhook attempt stopped: {error}");
            None
        }
    }
}

/// Counts and logs the attempts made.
fn tell(attempts: &[Attempt]) {
    for (claimed, outcome, finished_at) in attempts {
        let label = match (outcome.delivered, outcome.retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "retrying",
            (false, None) => "failed",
        };
        let lag = outcome.delivered.then(|| lag(&claimed.delivery.payload, *finished_at)).flatten();
        metrics::webhook_attempt(label, lag);
        if !outcome.delivered {
            log::info!(
                "webhook {} delivery {} ({}) attempt {} failed: {}",
                claimed.delivery.webhook_id,
                claimed.delivery.id,
                claimed.delivery.message_id,
                claimed.delivery.attempts,
                outcome.error.as_deref().unwrap_or("no answer")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_for_about_three_days_then_stop() {
        let at = NaiveDateTime::default();
        let first = retry_at(1, at, None, 0.5).unwrap();
        assert_eq!((first - at).num_seconds(), 5);
        let low = retry_at(3, at, None, 0.0).unwrap();
        let high = retry_at(3, at, None, 1.0).unwrap();
        assert_eq!(((low - at).num_seconds(), (high - at).num_seconds()), (96, 144), "±20 % of 2 minutes");
        assert_eq!((retry_at(1, at, Some(120), 0.5).unwrap() - at).num_seconds(), 120, "Retry-After is honoured");
        let total: i64 = (1..=14).map(|attempt| (retry_at(attempt, at, None, 0.5).unwrap() - at).num_seconds()).sum();
        assert!((2.9 * 86_400.0..3.3 * 86_400.0).contains(&(total as f64)), "{total} s in all");
        assert_eq!(retry_at(15, at, None, 0.5), None, "given up after the last");
    }
}

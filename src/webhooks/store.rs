//! The webhook store: endpoints, and their deliveries with their state,
//! which lives here rather than in a process so that retries outlive it.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::json;

use crate::db::events::{self as log};
use crate::db::schema::{webhook_deliveries as deliveries, webhooks};
use crate::db::{self, DbConnection};
use crate::events::View;

use super::signature;

/// How long the secret a rotation replaced stays valid.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// An endpoint failing this long without a success is disabled.
pub const FAILING_LIMIT: TimeDelta = TimeDelta::days(3);

/// An endpoint as stored.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: i32,
    pub url: String,
    pub description: String,
    pub events: String,
    pub include_drafts: bool,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub after_seq: i64,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

impl WebhookRow {
    /// The event types it wants.
    pub fn event_types(&self) -> Vec<String> {
        serde_json::from_str(&self.events).unwrap_or_else(|_| vec!["*".to_owned()])
    }

    /// What it receives of the log: what is public (or, with
    /// `include_drafts`, everything), of the types it wants.
    pub fn view(&self) -> View {
        let types = self.event_types();
        let types = if types.iter().any(|kind| kind == "*") { Vec::new() } else { types };
        View { drafts: self.include_drafts, types, ..View::default() }
    }

    /// The secrets a delivery is signed with at `at`: the current one, and
    /// the one a rotation replaced while it overlaps.
    pub fn secrets(&self, at: NaiveDateTime) -> Vec<String> {
        let mut secrets = vec![self.secret.clone()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && until > at
        {
            secrets.push(previous.clone());
        }
        secrets
    }

    /// `active`, `failing` (deliveries fail; retried) or `disabled`.
    pub fn status(&self) -> &'static str {
        match (self.enabled, self.failing_since) {
            (false, _) => "disabled",
            (true, Some(_)) => "failing",
            (true, None) => "active",
        }
    }
}

/// What a write sets of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookValues {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub include_drafts: bool,
    pub enabled: bool,
}

/// Creates an endpoint that receives the events after the newest one
/// now; returns it (with its secret). Runs under the catalogue's lock, so
/// that no event is between "now" and its first.
pub fn create(connection: &mut DbConnection, values: &WebhookValues, at: NaiveDateTime) -> QueryResult<WebhookRow> {
    let after_seq = log::newest(connection)?;
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(&values.url),
            webhooks::description.eq(&values.description),
            webhooks::events.eq(serde_json::Value::from(values.events.clone()).to_string()),
            webhooks::include_drafts.eq(values.include_drafts),
            webhooks::enabled.eq(values.enabled),
            webhooks::secret.eq(signature::new_secret()),
            webhooks::after_seq.eq(after_seq),
            webhooks::created_at.eq(at),
            webhooks::updated_at.eq(at),
            webhooks::version.eq(1),
        ))
        .returning(webhooks::id)
        .get_result::<i32>(connection)
        .and_then(|id| webhooks::table.find(id).select(WebhookRow::as_select()).first(connection))
}

pub fn list(connection: &mut DbConnection) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table.order(webhooks::id).select(WebhookRow::as_select()).load(connection)
}

pub fn find(connection: &mut DbConnection, id: i32) -> QueryResult<Option<WebhookRow>> {
    webhooks::table.find(id).select(WebhookRow::as_select()).first(connection).optional()
}

/// Writes `values` over endpoint `id` at `version`; `false` when it is no
/// longer at it. Enabling an endpoint clears why it was disabled and its
/// failures: its pending deliveries are tried again.
pub fn update(
    connection: &mut DbConnection,
    current: &WebhookRow,
    values: &WebhookValues,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let enabling = values.enabled && !current.enabled;
    let updated =
        diesel::update(webhooks::table.filter(webhooks::id.eq(current.id).and(webhooks::version.eq(current.version))))
            .set((
                webhooks::url.eq(&values.url),
                webhooks::description.eq(&values.description),
                webhooks::events.eq(serde_json::Value::from(values.events.clone()).to_string()),
                webhooks::include_drafts.eq(values.include_drafts),
                webhooks::enabled.eq(values.enabled),
                webhooks::updated_at.eq(at),
                webhooks::version.eq(current.version + 1),
            ))
            .execute(connection)?;
    if updated > 0 && enabling {
        diesel::update(webhooks::table.find(current.id))
            .set((webhooks::disabled_reason.eq(None::<String>), webhooks::failing_since.eq(None::<NaiveDateTime>)))
            .execute(connection)?;
        diesel::update(
            deliveries::table.filter(deliveries::webhook_id.eq(current.id).and(deliveries::status.eq("pending"))),
        )
        .set(deliveries::next_attempt_at.eq(Some(at)))
        .execute(connection)?;
    }
    if updated > 0 && !values.enabled && current.enabled {
        diesel::update(webhooks::table.find(current.id))
            .set(webhooks::disabled_reason.eq(Some("disabled by an administrator")))
            .execute(connection)?;
    }
    Ok(updated > 0)
}

/// Deletes endpoint `id`, with its deliveries; `false` when there is none.
pub fn delete(connection: &mut DbConnection, id: i32) -> QueryResult<bool> {
    diesel::delete(deliveries::table.filter(deliveries::webhook_id.eq(id))).execute(connection)?;
    Ok(diesel::delete(webhooks::table.find(id)).execute(connection)? > 0)
}

/// Gives endpoint `id` a new secret; the old one stays valid for
/// [`ROTATION_OVERLAP`] (deliveries carry both signatures meanwhile).
pub fn rotate(connection: &mut DbConnection, current: &WebhookRow, at: NaiveDateTime) -> QueryResult<WebhookRow> {
    diesel::update(webhooks::table.find(current.id))
        .set((
            webhooks::previous_secret.eq(Some(&current.secret)),
            webhooks::previous_secret_until.eq(Some(at + ROTATION_OVERLAP)),
            webhooks::secret.eq(signature::new_secret()),
            webhooks::updated_at.eq(at),
            webhooks::version.eq(current.version + 1),
        ))
        .execute(connection)?;
    webhooks::table.find(current.id).select(WebhookRow::as_select()).first(connection)
}

/// A delivery as stored.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i32,
    pub message_id: String,
    pub event_type: String,
    pub event_seq: Option<i64>,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_response: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

/// A message to deliver, due now.
struct NewDelivery {
    webhook_id: i32,
    message_id: String,
    event_type: String,
    event_seq: Option<i64>,
    payload: String,
}

fn insert(connection: &mut DbConnection, new: &NewDelivery, at: NaiveDateTime) -> QueryResult<DeliveryRow> {
    diesel::insert_into(deliveries::table)
        .values((
            deliveries::webhook_id.eq(new.webhook_id),
            deliveries::message_id.eq(&new.message_id),
            deliveries::event_type.eq(&new.event_type),
            deliveries::event_seq.eq(new.event_seq),
            deliveries::payload.eq(&new.payload),
            deliveries::status.eq("pending"),
            deliveries::attempts.eq(0),
            deliveries::next_attempt_at.eq(Some(at)),
            deliveries::created_at.eq(at),
        ))
        .returning(deliveries::id)
        .get_result::<i64>(connection)
        .and_then(|id| deliveries::table.find(id).select(DeliveryRow::as_select()).first(connection))
}

/// The message id of event `seq`: the same for every attempt and every
/// endpoint, the receiver's key to drop a message it already has.
pub fn message_id(seq: i64) -> String {
    format!("evt_{seq}")
}

/// Turns the events after the last one fanned out (at most `limit`) into
/// deliveries to every enabled endpoint whose view shows them; returns how
/// many events it read. One process at a time does it (the log's row is
/// locked), so each event is fanned out once.
pub fn fan_out(connection: &mut DbConnection, at: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    if !behind(connection)? {
        return Ok(0);
    }
    db::side_transaction(connection, |connection| {
        lock(connection)?;
        fan_out_in(connection, at, limit)
    })
}

/// Takes the webhooks' lock, first in every transaction that writes
/// endpoints or deliveries (a round, a change, a ping): on PostgreSQL the
/// log's row, so that such transactions take their row locks one after
/// another and never deadlock, and no endpoint goes while deliveries to it
/// are being written. On SQLite the transaction's own lock is it.
pub fn lock(connection: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(inner) = connection {
        diesel::sql_query("SELECT fanned_through FROM event_log WHERE id = 1 FOR UPDATE").execute(inner)?;
    }
    Ok(())
}

/// Whether events were appended since the last fan-out (a read: most looks
/// find nothing new, and need no write lock).
fn behind(connection: &mut DbConnection) -> QueryResult<bool> {
    Ok(log::newest(connection)? > log::fanned_through(connection)?)
}

fn fan_out_in(connection: &mut DbConnection, at: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let through = log::fanned_through(connection)?;
    let events = log::after(connection, through, limit)?;
    let Some(last) = events.last().map(|event| event.seq) else { return Ok(0) };
    let endpoints: Vec<WebhookRow> =
        webhooks::table.filter(webhooks::enabled.eq(true)).select(WebhookRow::as_select()).load(connection)?;
    let views: Vec<(i32, i64, View)> =
        endpoints.iter().map(|endpoint| (endpoint.id, endpoint.after_seq, endpoint.view())).collect();
    for row in &events {
        for (webhook_id, after_seq, view) in &views {
            if row.seq <= *after_seq {
                continue;
            }
            let Some(event) = view.present(row) else { continue };
            let payload = json!({
                "type": event.kind,
                "timestamp": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "data": event,
            });
            diesel::insert_into(deliveries::table)
                .values((
                    deliveries::webhook_id.eq(*webhook_id),
                    deliveries::message_id.eq(message_id(row.seq)),
                    deliveries::event_type.eq(&event.kind),
                    deliveries::event_seq.eq(Some(row.seq)),
                    deliveries::payload.eq(payload.to_string()),
                    deliveries::status.eq("pending"),
                    deliveries::attempts.eq(0),
                    deliveries::next_attempt_at.eq(Some(at)),
                    deliveries::created_at.eq(at),
                ))
                .execute(connection)?;
        }
    }
    log::set_fanned_through(connection, last)?;
    Ok(events.len())
}

/// A delivery claimed for an attempt, with what sending it needs.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub delivery: DeliveryRow,
    pub url: String,
    pub secrets: Vec<String>,
}

/// Claims up to `limit` deliveries due at `at` to enabled endpoints: each
/// is leased until `at + lease` (tried again after that if its attempt
/// never reports), and its attempt counted. With several processes on
/// PostgreSQL, `SKIP LOCKED` gives each delivery to one of them.
/// Every endpoint, by id.
fn endpoints(connection: &mut DbConnection) -> QueryResult<std::collections::HashMap<i32, WebhookRow>> {
    Ok(list(connection)?.into_iter().map(|row| (row.id, row)).collect())
}

fn claim_in(
    connection: &mut DbConnection,
    at: NaiveDateTime,
    limit: i64,
    lease: TimeDelta,
) -> QueryResult<Vec<Claimed>> {
    let enabled = webhooks::table.filter(webhooks::enabled.eq(true)).select(webhooks::id);
    let due = deliveries::table
        .filter(deliveries::status.eq("pending"))
        .filter(deliveries::next_attempt_at.le(at))
        .filter(deliveries::webhook_id.eq_any(enabled))
        .order(deliveries::next_attempt_at)
        .limit(limit)
        .select(deliveries::id);
    let due: Vec<i64> = match connection {
        DbConnection::Postgresql(postgres) => due.for_update().skip_locked().load(postgres)?,
        DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    if due.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(deliveries::table.filter(deliveries::id.eq_any(&due)))
        .set((
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::next_attempt_at.eq(Some(at + lease)),
            deliveries::last_attempt_at.eq(Some(at)),
        ))
        .execute(connection)?;
    let rows: Vec<DeliveryRow> = deliveries::table
        .filter(deliveries::id.eq_any(&due))
        .order(deliveries::next_attempt_at)
        .select(DeliveryRow::as_select())
        .load(connection)?;
    let endpoints = endpoints(connection)?;
    let claimed = rows
        .into_iter()
        .filter_map(|delivery| {
            let endpoint = endpoints.get(&delivery.webhook_id)?;
            Some(Claimed { url: endpoint.url.clone(), secrets: endpoint.secrets(at), delivery })
        })
        .collect();
    Ok(claimed)
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// The start of its answer.
    pub response: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When to try again (`None`: delivered, or given up).
    pub retry_at: Option<NaiveDateTime>,
    pub delivered: bool,
}

/// What recording an outcome did to the endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Unchanged,
    /// Disabled now, and why.
    Disabled(String),
}

/// An attempt made: what was claimed, how it ended, and when.
pub type Attempt = (Claimed, Outcome, NaiveDateTime);

/// What a round of the dispatcher did.
#[derive(Debug, Default)]
pub struct Round {
    /// Events fanned out.
    pub fanned: usize,
    /// What each attempt recorded meant for its endpoint, in their order.
    pub endpoints: Vec<Endpoint>,
    /// Deliveries claimed for attempts.
    pub claimed: Vec<Claimed>,
}

/// One round of a dispatcher, in one transaction (one commit, where three
/// would each hold the write lock): fans out up to `fan_out` new events,
/// records `attempts`, claims up to `free` due deliveries. With nothing
/// to do (read first), no transaction at all.
pub fn round(
    connection: &mut DbConnection,
    at: NaiveDateTime,
    attempts: &[Attempt],
    free: i64,
    lease: TimeDelta,
    fan_out: i64,
) -> QueryResult<Round> {
    let behind = behind(connection)?;
    let due = free > 0
        && diesel::select(diesel::dsl::exists(
            deliveries::table.filter(deliveries::status.eq("pending")).filter(deliveries::next_attempt_at.le(at)),
        ))
        .get_result::<bool>(connection)?;
    if !behind && !due && attempts.is_empty() {
        return Ok(Round::default());
    }
    db::side_transaction(connection, |connection| {
        lock(connection)?;
        let fanned = if behind { fan_out_in(connection, at, fan_out)? } else { 0 };
        let mut known = if attempts.is_empty() { Default::default() } else { endpoints(connection)? };
        let endpoints = attempts
            .iter()
            .map(|(claimed, outcome, at)| record(connection, &mut known, claimed, outcome, *at))
            .collect::<QueryResult<Vec<_>>>()?;
        // Deliveries just fanned out are due now: claim them in this round.
        let claimed = if free > 0 { claim_in(connection, at, free, lease)? } else { Vec::new() };
        Ok(Round { fanned, endpoints, claimed })
    })
}

/// Records the outcome of an attempt of delivery `id` made at `at`, and
/// what it means for its endpoint: a success ends its failures; a `410`
/// disables it; failures for [`FAILING_LIMIT`] disable it.
fn record(
    connection: &mut DbConnection,
    known: &mut std::collections::HashMap<i32, WebhookRow>,
    claimed: &Claimed,
    outcome: &Outcome,
    at: NaiveDateTime,
) -> QueryResult<Endpoint> {
    {
        let status = match (outcome.delivered, outcome.retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        diesel::update(deliveries::table.find(claimed.delivery.id))
            .set((
                deliveries::status.eq(status),
                deliveries::next_attempt_at.eq(outcome.retry_at),
                deliveries::last_status.eq(outcome.status.map(i32::from)),
                deliveries::last_response.eq(&outcome.response),
                deliveries::last_error.eq(&outcome.error),
                deliveries::delivered_at.eq(outcome.delivered.then_some(at)),
            ))
            .execute(connection)?;
        let Some(endpoint) = known.get_mut(&claimed.delivery.webhook_id) else { return Ok(Endpoint::Unchanged) };
        if outcome.delivered {
            if endpoint.failing_since.is_some() {
                diesel::update(webhooks::table.find(endpoint.id))
                    .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
                    .execute(connection)?;
                endpoint.failing_since = None;
            }
            return Ok(Endpoint::Unchanged);
        }
        let failing_since = endpoint.failing_since.unwrap_or(at);
        let disable = if outcome.status == Some(410) {
            Some("the receiver answered 410 Gone".to_owned())
        } else if at - failing_since >= FAILING_LIMIT {
            Some(format!("every delivery failed since {}Z", failing_since.format("%Y-%m-%dT%H:%M:%S")))
        } else {
            None
        };
        let was_enabled = endpoint.enabled;
        // Written only when it changes: a failing endpoint's failures are
        // one row update, not one each.
        if endpoint.failing_since != Some(failing_since) || disable.is_some() {
            endpoint.failing_since = Some(failing_since);
            endpoint.enabled = was_enabled && disable.is_none();
            endpoint.disabled_reason = disable.clone().or(endpoint.disabled_reason.clone());
            diesel::update(webhooks::table.find(endpoint.id))
                .set((
                    webhooks::failing_since.eq(endpoint.failing_since),
                    webhooks::enabled.eq(endpoint.enabled),
                    webhooks::disabled_reason.eq(&endpoint.disabled_reason),
                ))
                .execute(connection)?;
        }
        Ok(match disable {
            Some(reason) if was_enabled => Endpoint::Disabled(reason),
            _ => Endpoint::Unchanged,
        })
    }
}

/// A page of the deliveries to endpoint `id`, newest first, and how many
/// there are.
pub fn deliveries_of(
    connection: &mut DbConnection,
    id: i32,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<DeliveryRow>, i64)> {
    let rows = deliveries::table
        .filter(deliveries::webhook_id.eq(id))
        .order(deliveries::id.desc())
        .limit(limit)
        .offset(offset)
        .select(DeliveryRow::as_select())
        .load(connection)?;
    let total = deliveries::table.filter(deliveries::webhook_id.eq(id)).count().get_result(connection)?;
    Ok((rows, total))
}

pub fn find_delivery(connection: &mut DbConnection, webhook_id: i32, id: i64) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .filter(deliveries::id.eq(id).and(deliveries::webhook_id.eq(webhook_id)))
        .select(DeliveryRow::as_select())
        .first(connection)
        .optional()
}

/// Delivers the message of `delivery` again, now, as a new delivery with
/// the same message id.
pub fn redeliver(connection: &mut DbConnection, delivery: &DeliveryRow, at: NaiveDateTime) -> QueryResult<DeliveryRow> {
    let new = NewDelivery {
        webhook_id: delivery.webhook_id,
        message_id: delivery.message_id.clone(),
        event_type: delivery.event_type.clone(),
        event_seq: delivery.event_seq,
        payload: delivery.payload.clone(),
    };
    insert(connection, &new, at)
}

/// A `webhook.ping` to endpoint `id`, now.
pub fn ping(connection: &mut DbConnection, id: i32, at: NaiveDateTime) -> QueryResult<DeliveryRow> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).expect("the operating system provides random bytes");
    let nonce: String = nonce.iter().map(|byte| format!("{byte:02x}")).collect();
    let timestamp = at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let payload = json!({"type": "webhook.ping", "timestamp": timestamp, "data": {"webhook_id": id}});
    let new = NewDelivery {
        webhook_id: id,
        message_id: format!("ping_{nonce}"),
        event_type: "webhook.ping".to_owned(),
        event_seq: None,
        payload: payload.to_string(),
    };
    insert(connection, &new, at)
}

/// Deletes the deliveries that ended (delivered or given up) and were
/// made before `before`.
pub fn prune_deliveries(connection: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(deliveries::table.filter(deliveries::status.ne("pending").and(deliveries::created_at.lt(before))))
        .execute(connection)
}

/// How many deliveries wait for an attempt, for the metrics.
pub fn pending(connection: &mut DbConnection) -> QueryResult<i64> {
    deliveries::table.filter(deliveries::status.eq("pending")).count().get_result(connection)
}

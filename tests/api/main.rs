//! The integration suite: every endpoint through HTTP, on SQLite and, when
//! `PARUTION_TEST_DATABASE_URL` names a server, on PostgreSQL too.

mod helpers;

mod attachments;
mod categories;
mod category_writes;
mod cli;
mod contract;
mod counts;
mod cursor;
mod errors;
mod events;
mod exchange;
mod history;
mod http;
mod integrity;
mod invalidation;
mod limits;
mod link_writes;
mod links;
mod metrics;
mod openapi;
mod operations;
mod postgres;
mod publication_writes;
mod publications;
mod rate_limit;
mod read_replica;
mod response_cache;
mod schedule;
mod search;
mod search_estimates;
mod search_plans;
mod security;
mod seed;
mod server;
mod statements;
mod tokens;
mod translations;
mod visibility;
mod webhooks;

//! Parution: a JSON/REST API that serves publications, their categories and
//! their related links, over SQLite (embedded) or PostgreSQL.
//!
//! Each resource has its module (`publications`, `categories`, `links`)
//! holding its handlers, its input and answer types, its services, its
//! queries and its store (the only code that writes its rows). `db` is the
//! one layer that knows the database, `error` the one type every failure
//! becomes, `routes` the one list of routes, `startup` builds the
//! application for `main` and the tests alike. `docs/architecture.md`
//! draws the layers and where a request and a write go.

pub mod attachments;
pub mod auth;
pub mod body;
pub mod cache;
pub mod categories;
pub mod change;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod exchange;
pub mod feeds;
pub mod history;
pub mod http;
pub mod links;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod operations;
pub mod pagination;
pub mod preconditions;
#[cfg(test)]
mod properties;
pub mod publications;
pub mod query;
pub mod revisions;
pub mod routes;
pub mod schedule;
pub mod search;
pub mod slug_history;
pub mod startup;
pub mod storage;
pub mod tokens;
pub mod trash;
pub mod validation;
pub mod webhooks;

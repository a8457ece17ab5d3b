//! The integration suite: every endpoint through HTTP, on SQLite and, when
//! `PARUTION_TEST_DATABASE_URL` names a server, on PostgreSQL too.

mod helpers;

mod categories;
mod cli;
mod errors;
mod links;
mod openapi;
mod operations;
mod postgres;
mod publications;
mod seed;
mod server;

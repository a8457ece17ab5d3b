//! Logs: text for people (the default), or one JSON object a line for log
//! shippers (`PARUTION_LOG_FORMAT=json`). Either way a record is its time,
//! level, origin and message, plus the fields it carries: the access log
//! gives each request's id, method, route template, status, duration and
//! size. No secret is ever written: tokens are not logged, and database
//! URLs are logged with their password hidden.

use std::io::Write;

use clap::ValueEnum;
use log::kv::{Key, Value, VisitSource};

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `[time level origin] message key=value…`
    #[default]
    Text,
    /// `{"time": …, "level": …, "target": …, "message": …, fields…}`
    Json,
}

/// Sets up the process's logger; `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    let mut builder = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    match format {
        LogFormat::Text => builder.format(|out, record| {
            let mut fields = Fields::default();
            let _ = record.key_values().visit(&mut fields);
            let fields: String = fields.0.iter().map(|(key, value)| format!(" {key}={}", plain(value))).collect();
            writeln!(
                out,
                "[{} {:<5} {}] {}{fields}",
                out.timestamp_seconds(),
                record.level(),
                record.target(),
                record.args()
            )
        }),
        LogFormat::Json => builder.format(|out, record| {
            let mut line = serde_json::Map::new();
            line.insert("time".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true).into());
            line.insert("level".into(), record.level().as_str().into());
            line.insert("target".into(), record.target().into());
            line.insert("message".into(), record.args().to_string().into());
            let mut fields = Fields::default();
            let _ = record.key_values().visit(&mut fields);
            line.extend(fields.0);
            writeln!(out, "{}", serde_json::Value::Object(line))
        }),
    };
    builder.init();
}

/// A field's value as text puts it: strings bare, the rest as JSON.
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The fields of a record, numbers kept as numbers.
#[derive(Default)]
struct Fields(Vec<(String, serde_json::Value)>);

impl<'kvs> VisitSource<'kvs> for Fields {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let value = if let Some(number) = value.to_u64() {
            number.into()
        } else if let Some(number) = value.to_f64() {
            number.into()
        } else {
            value.to_string().into()
        };
        self.0.push((key.to_string(), value));
        Ok(())
    }
}

//! SQL written by hand, in statements that the connection keeps prepared.
//!
//! Diesel prepares a statement again at every execution when it holds raw
//! SQL (`dsl::sql`) or an `IN` list (whose number of parameters varies).
//! On the paths every read takes (a page's categories, a category filter,
//! a search), that is a parse and a plan per query. The fragments here are
//! SQL that diesel may keep: their text comes from a small, fixed set, and
//! every value that varies is bound.
//!
//! On PostgreSQL a kept statement is planned once for all its values (a
//! generic plan); a search's best plan depends on its words, so a search
//! condition is kept on SQLite only ([`Raw::keep`]).

use std::borrow::Cow;
use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping, is_aggregate,
};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Integer, SqlType, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use super::MultiBackend;

/// `column IN (ids)`, its list padded to a power of two by repeating the
/// last id: a few statement texts serve every length, each kept prepared,
/// and the planner still sees a list of values (a list bound as one JSON
/// value hides its length, and SQLite then prefers to scan the table).
#[derive(Debug, Clone)]
pub struct InIds<C> {
    column: C,
    ids: Vec<i32>,
}

/// `column` is one of `ids`.
pub fn in_ids<C>(column: C, ids: &[i32]) -> InIds<C> {
    InIds { column, ids: ids.to_vec() }
}

impl<C> Expression for InIds<C> {
    type SqlType = Bool;
}

impl<C: AppearsOnTable<QS>, QS: ?Sized> AppearsOnTable<QS> for InIds<C> {}

impl<C: SelectableExpression<QS>, QS: ?Sized> SelectableExpression<QS> for InIds<C> {}

impl<C, GroupBy> ValidGrouping<GroupBy> for InIds<C> {
    type IsAggregate = is_aggregate::Never;
}

impl<C> QueryId for InIds<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for InIds<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        push_ids(&mut out, &self.ids)
    }
}

/// ` IN (…)` of `ids`, padded to a power of two by repeating the last;
/// ` IN (NULL)`, which holds nothing, when there are none.
fn push_ids<'b>(out: &mut AstPass<'_, 'b, MultiBackend>, ids: &'b [i32]) -> QueryResult<()> {
    let Some(last) = ids.last() else {
        out.push_sql(" IN (NULL)");
        return Ok(());
    };
    out.push_sql(" IN (");
    for slot in 0..ids.len().next_power_of_two() {
        if slot > 0 {
            out.push_sql(", ");
        }
        out.push_bind_param::<Integer, _>(ids.get(slot).unwrap_or(last))?;
    }
    out.push_sql(")");
    Ok(())
}

/// Raw SQL of type `ST` (a condition by default), its varying values
/// bound; or a whole statement whose rows are `ST`.
#[derive(Debug, Clone)]
pub struct Raw<ST = Bool> {
    pieces: Vec<Piece>,
    keep: bool,
    sql_type: PhantomData<ST>,
}

#[derive(Debug, Clone)]
enum Piece {
    Sql(Cow<'static, str>),
    Text(String),
    BigInt(i64),
    Timestamp(NaiveDateTime),
    Ids(Vec<i32>),
}

impl<ST> Raw<ST> {
    /// `sql`: its text must come from a small set.
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self { pieces: vec![Piece::Sql(sql.into())], keep: true, sql_type: PhantomData }
    }

    /// Then more SQL.
    pub fn sql(mut self, sql: impl Into<Cow<'static, str>>) -> Self {
        self.pieces.push(Piece::Sql(sql.into()));
        self
    }

    /// Then a bound text value.
    pub fn text(mut self, value: String) -> Self {
        self.pieces.push(Piece::Text(value));
        self
    }

    /// Then ` IN (…)` of `ids`, as [`in_ids`] writes it.
    pub fn in_ids(mut self, ids: &[i32]) -> Self {
        self.pieces.push(Piece::Ids(ids.to_vec()));
        self
    }

    /// Then a bound integer.
    pub fn big_int(mut self, value: i64) -> Self {
        self.pieces.push(Piece::BigInt(value));
        self
    }

    /// Then a bound time.
    pub fn timestamp(mut self, value: NaiveDateTime) -> Self {
        self.pieces.push(Piece::Timestamp(value));
        self
    }

    /// Then another fragment, as it is: kept prepared only if both may be.
    pub fn append<Other>(mut self, other: Raw<Other>) -> Self {
        self.pieces.extend(other.pieces);
        self.keep &= other.keep;
        self
    }

    /// Whether the statement may be kept prepared (on PostgreSQL, it is
    /// then planned once for all values).
    pub fn keep(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }
}

impl Raw<Bool> {
    /// A condition that holds for every row.
    pub fn always() -> Self {
        Self::new("1 = 1")
    }

    /// Every one of `conditions`, each in parentheses ([`Raw::always`] when
    /// there are none).
    pub fn all(conditions: impl IntoIterator<Item = Raw<Bool>>) -> Self {
        let mut all: Option<Self> = None;
        for condition in conditions {
            let condition = Self::new("(").append(condition).sql(")");
            all = Some(match all {
                None => condition,
                Some(all) => all.sql(" AND ").append(condition),
            });
        }
        all.unwrap_or_else(Self::always)
    }
}

impl<ST: SqlType + TypedExpressionType> Expression for Raw<ST> {
    type SqlType = ST;
}

impl<ST, QS: ?Sized> AppearsOnTable<QS> for Raw<ST> where Self: Expression {}

impl<ST, QS: ?Sized> SelectableExpression<QS> for Raw<ST> where Self: Expression {}

impl<ST, GroupBy> ValidGrouping<GroupBy> for Raw<ST> {
    type IsAggregate = is_aggregate::Never;
}

impl<ST> QueryId for Raw<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// A whole statement too, its rows of type `ST`.
impl<ST> Query for Raw<ST> {
    type SqlType = ST;
}

impl<ST, Conn> RunQueryDsl<Conn> for Raw<ST> {}

impl<ST> QueryFragment<MultiBackend> for Raw<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        if !self.keep {
            out.unsafe_to_cache_prepared();
        }
        for piece in &self.pieces {
            match piece {
                Piece::Sql(sql) => out.push_sql(sql),
                Piece::Text(value) => out.push_bind_param::<Text, _>(value)?,
                Piece::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
                Piece::Timestamp(value) => out.push_bind_param::<Timestamp, _>(value)?,
                Piece::Ids(ids) => push_ids(&mut out, ids)?,
            }
        }
        Ok(())
    }
}

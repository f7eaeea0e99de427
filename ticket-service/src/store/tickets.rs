//! Tickets: the rows, their numbering counter, their history, and the list queries.
//!
//! Every change that must not be lost in a race is a guarded update: a state change says
//! which state it expects to leave (`WHERE state = $old`), so two changes that both saw
//! the same state cannot both apply — the second finds nothing to update and the service
//! reports a conflict instead of silently overwriting.

use super::{col, duplicate_as, Conn, Db, StoreError, StoreResult};
use crate::domain::{Priority, TicketNumber, TicketState};
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

/// A stored ticket, with the names the pages show.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: i64,
    pub number: TicketNumber,
    pub company_id: i64,
    pub company_name: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub type_id: u32,
    pub queue_id: u32,
    pub subject: String,
    pub priority: Priority,
    pub state: TicketState,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub dynamic_fields: BTreeMap<String, String>,
    pub refers_to: Option<i64>,
    pub created_at: i64,
    pub changed_at: i64,
    pub state_changed_at: i64,
}

const SELECT: &str = "SELECT t.id, t.number, t.company_id, c.name AS company_name, t.customer_id, \
     cu.display_name AS customer_name, t.type_id, t.queue_id, t.subject, t.priority, t.state, \
     t.owner_id, o.display_name AS owner_name, t.dynamic_fields, t.refers_to, t.created_at, \
     t.changed_at, t.state_changed_at \
     FROM tickets t JOIN companies c ON c.id = t.company_id JOIN users cu ON cu.id = t.customer_id \
     LEFT JOIN users o ON o.id = t.owner_id";

fn corrupt(column: &'static str) -> StoreError {
    StoreError::Corrupt {
        table: "tickets",
        column,
    }
}

fn from_row(row: &AnyRow) -> StoreResult<Ticket> {
    let number: String = col(row, "number")?;
    let state: String = col(row, "state")?;
    let priority: i64 = col(row, "priority")?;
    let fields: String = col(row, "dynamic_fields")?;
    let type_id: i64 = col(row, "type_id")?;
    let queue_id: i64 = col(row, "queue_id")?;
    Ok(Ticket {
        id: col(row, "id")?,
        number: TicketNumber::parse(&number).map_err(|_| corrupt("number"))?,
        company_id: col(row, "company_id")?,
        company_name: col(row, "company_name")?,
        customer_id: col(row, "customer_id")?,
        customer_name: col(row, "customer_name")?,
        type_id: u32::try_from(type_id).map_err(|_| corrupt("type_id"))?,
        queue_id: u32::try_from(queue_id).map_err(|_| corrupt("queue_id"))?,
        subject: col(row, "subject")?,
        priority: u8::try_from(priority)
            .ok()
            .and_then(Priority::new)
            .ok_or_else(|| corrupt("priority"))?,
        state: TicketState::parse(&state).ok_or_else(|| corrupt("state"))?,
        owner_id: col(row, "owner_id")?,
        owner_name: col(row, "owner_name")?,
        dynamic_fields: serde_json::from_str(&fields).map_err(|_| corrupt("dynamic_fields"))?,
        refers_to: col(row, "refers_to")?,
        created_at: col(row, "created_at")?,
        changed_at: col(row, "changed_at")?,
        state_changed_at: col(row, "state_changed_at")?,
    })
}

/// What it takes to store a new ticket.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    pub number: &'a TicketNumber,
    pub company_id: i64,
    pub customer_id: i64,
    pub type_id: u32,
    pub queue_id: u32,
    pub subject: &'a str,
    pub priority: Priority,
    pub dynamic_fields: &'a BTreeMap<String, String>,
    pub refers_to: Option<i64>,
}

/// The next counter of `day` (`YYYYMMDD`), in the caller's transaction: the first
/// statement of the transaction that creates the ticket, so the day's row stays locked
/// (PostgreSQL) or the database stays written-to (SQLite) until that ticket commits.
pub async fn next_counter(conn: &mut Conn, day: &str) -> StoreResult<u64> {
    let row = sqlx::query(
        "INSERT INTO ticket_counters (day, last) VALUES ($1, 1) \
         ON CONFLICT (day) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
    )
    .bind(day)
    .fetch_one(&mut *conn)
    .await?;
    let last: i64 = col(&row, "last")?;
    u64::try_from(last).map_err(|_| StoreError::Corrupt {
        table: "ticket_counters",
        column: "last",
    })
}

/// Inserts a ticket in state `new`; returns its id.
pub async fn insert(conn: &mut Conn, t: &NewTicket<'_>, now: i64) -> StoreResult<i64> {
    let fields = serde_json::to_string(t.dynamic_fields).unwrap_or_else(|_| "{}".into());
    let row = sqlx::query(
        "INSERT INTO tickets (number, company_id, customer_id, type_id, queue_id, subject, \
         priority, state, dynamic_fields, refers_to, created_at, changed_at, state_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'new', $8, $9, $10, $10, $10) RETURNING id",
    )
    .bind(t.number.as_str())
    .bind(t.company_id)
    .bind(t.customer_id)
    .bind(i64::from(t.type_id))
    .bind(i64::from(t.queue_id))
    .bind(t.subject)
    .bind(i64::from(t.priority.get()))
    .bind(fields)
    .bind(t.refers_to)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(duplicate_as(
        "tickets_number_key",
        "tickets.number",
        "number",
    ))?;
    Ok(col(&row, "id")?)
}

pub async fn by_id(db: &Db, id: i64) -> StoreResult<Option<Ticket>> {
    let row = sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_number(db: &Db, number: &TicketNumber) -> StoreResult<Option<Ticket>> {
    let row = sqlx::query(&format!("{SELECT} WHERE t.number = $1"))
        .bind(number.as_str())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Moves a ticket from `from` to `to`, only if it is still in `from`; `false` if it was
/// not (someone else changed it first).
pub async fn set_state(
    conn: &mut Conn,
    id: i64,
    from: TicketState,
    to: TicketState,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE tickets SET state = $3, state_changed_at = $4, changed_at = $4 \
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ids of tickets waiting for the customer whose time is up: カスタマー確認中 set before
/// `awaiting_before`, クローズ確認中 set before `pending_before`; longest waiting first.
pub async fn due_for_timed_change(
    db: &Db,
    awaiting_before: i64,
    pending_before: i64,
    limit: i64,
) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id FROM tickets WHERE (state = 'awaiting_customer' AND state_changed_at <= $1)          OR (state = 'pending_close' AND state_changed_at <= $2)          ORDER BY state_changed_at, id LIMIT $3",
    )
    .bind(awaiting_before)
    .bind(pending_before)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok(col(r, "id")?)).collect()
}

/// Records that the ticket changed (a new article) without changing its state.
pub async fn touch(conn: &mut Conn, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE tickets SET changed_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A field of a ticket an agent may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Queue(u32),
    Type(u32),
    Priority(Priority),
    Owner(Option<i64>),
}

impl Field {
    /// The history's name of the field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Queue(_) => "queue",
            Field::Type(_) => "type",
            Field::Priority(_) => "priority",
            Field::Owner(_) => "owner",
        }
    }

    /// The value as the history records it.
    pub fn value(self) -> Option<String> {
        match self {
            Field::Queue(v) | Field::Type(v) => Some(v.to_string()),
            Field::Priority(p) => Some(p.get().to_string()),
            Field::Owner(o) => o.map(|id| id.to_string()),
        }
    }
}

/// Sets one field; returns whether the ticket exists.
pub async fn set_field(conn: &mut Conn, id: i64, field: Field, now: i64) -> StoreResult<bool> {
    let (sql, value): (&str, Option<i64>) = match field {
        Field::Queue(q) => (
            "UPDATE tickets SET queue_id = $2, changed_at = $3 WHERE id = $1",
            Some(i64::from(q)),
        ),
        Field::Type(t) => (
            "UPDATE tickets SET type_id = $2, changed_at = $3 WHERE id = $1",
            Some(i64::from(t)),
        ),
        Field::Priority(p) => (
            "UPDATE tickets SET priority = $2, changed_at = $3 WHERE id = $1",
            Some(i64::from(p.get())),
        ),
        Field::Owner(o) => (
            "UPDATE tickets SET owner_id = $2, changed_at = $3 WHERE id = $1",
            o,
        ),
    };
    let done = sqlx::query(sql)
        .bind(id)
        .bind(value)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Tickets that cite `id` as the one they follow up on: (id, number).
pub async fn follow_ups(db: &Db, id: i64) -> StoreResult<Vec<(i64, TicketNumber)>> {
    let rows = sqlx::query("SELECT id, number FROM tickets WHERE refers_to = $1 ORDER BY id")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            let number: String = col(r, "number")?;
            Ok((
                col(r, "id")?,
                TicketNumber::parse(&number).map_err(|_| corrupt("number"))?,
            ))
        })
        .collect()
}

/// The number of a ticket by id (for links to a referenced ticket).
pub async fn number_of(db: &Db, id: i64) -> StoreResult<Option<TicketNumber>> {
    let row = sqlx::query("SELECT number FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| {
        let number: String = col(&r, "number")?;
        TicketNumber::parse(&number).map_err(|_| corrupt("number"))
    })
    .transpose()
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    /// Every state but closed.
    #[default]
    Open,
    Closed,
    All,
    One(TicketState),
}

/// The owner condition of an agents' list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    Unassigned,
    Agent(i64),
}

/// A list's conditions. `company` is set for customers (their company's tickets only).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub company: Option<i64>,
    pub state: StateFilter,
    pub queue: Option<u32>,
    pub owner: Option<OwnerFilter>,
    /// A ticket number (whole or its beginning), or words that must all occur in the
    /// subject.
    pub text: Option<String>,
}

/// Newest change first, or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    NewestChange,
    OldestChange,
}

/// A value bound to a list query.
enum Arg {
    Int(i64),
    Text(String),
}

/// `LIKE` pattern text with `%`, `_` and `\` escaped (the query says `ESCAPE '\'`).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `WHERE` clause of a filter and its arguments.
fn where_clause(f: &Filter) -> (String, Vec<Arg>) {
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    // `?` in a condition becomes the placeholder of the argument pushed with it.
    fn push(conds: &mut Vec<String>, args: &mut Vec<Arg>, cond: &str, arg: Arg) {
        args.push(arg);
        conds.push(cond.replace('?', &format!("${}", args.len())));
    }
    if let Some(c) = f.company {
        push(&mut conds, &mut args, "t.company_id = ?", Arg::Int(c));
    }
    match f.state {
        // Spelt as the open states rather than `<> 'closed'`, so an index on (…, state,
        // changed_at) serves it as ranges.
        StateFilter::Open => conds
            .push("t.state IN ('new', 'in_progress', 'awaiting_customer', 'pending_close')".into()),
        StateFilter::Closed => conds.push("t.state = 'closed'".into()),
        StateFilter::All => {}
        StateFilter::One(s) => push(
            &mut conds,
            &mut args,
            "t.state = ?",
            Arg::Text(s.as_str().into()),
        ),
    }
    if let Some(q) = f.queue {
        push(
            &mut conds,
            &mut args,
            "t.queue_id = ?",
            Arg::Int(i64::from(q)),
        );
    }
    match f.owner {
        Some(OwnerFilter::Unassigned) => conds.push("t.owner_id IS NULL".into()),
        Some(OwnerFilter::Agent(id)) => push(&mut conds, &mut args, "t.owner_id = ?", Arg::Int(id)),
        None => {}
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let digits = text.trim_start_matches('#');
        if digits.len() >= 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
            push(
                &mut conds,
                &mut args,
                "t.number LIKE ? ESCAPE '\\'",
                Arg::Text(format!("{}%", like_escape(digits))),
            );
        } else {
            for word in text.split_whitespace().take(8) {
                push(
                    &mut conds,
                    &mut args,
                    "LOWER(t.subject) LIKE ? ESCAPE '\\'",
                    Arg::Text(format!("%{}%", like_escape(&word.to_lowercase()))),
                );
            }
        }
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    (clause, args)
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Int(i) => q.bind(*i),
            Arg::Text(s) => q.bind(s.as_str()),
        };
    }
    q
}

/// One page of a list and the number of tickets in the whole list. With
/// [`StateFilter::All`], open tickets come before closed ones.
pub async fn list(
    db: &Db,
    f: &Filter,
    order: Order,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Ticket>, i64)> {
    let (clause, args) = where_clause(f);
    let direction = match order {
        Order::NewestChange => "DESC",
        Order::OldestChange => "ASC",
    };
    let open_first = if f.state == StateFilter::All {
        "CASE WHEN t.state = 'closed' THEN 1 ELSE 0 END, "
    } else {
        ""
    };
    let n = args.len();
    // The page's ids first, from the tickets table (and its indexes) alone; then the names
    // for those rows only. Joining before the limit made every matching ticket (thousands
    // in a queue) look up its company and people before the sort threw most away.
    let order_by = format!("ORDER BY {open_first}t.changed_at {direction}, t.id {direction}");
    let sql = format!(
        "{SELECT} WHERE t.id IN (SELECT t.id FROM tickets t{clause} {order_by} \
         LIMIT ${} OFFSET ${}) {order_by}",
        n + 1,
        n + 2
    );
    let rows = bind_all(sqlx::query(&sql), &args)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    let tickets = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    let count_sql = format!("SELECT COUNT(*) AS n FROM tickets t{clause}");
    let total: i64 = col(
        &bind_all(sqlx::query(&count_sql), &args)
            .fetch_one(db.pool())
            .await?,
        "n",
    )?;
    Ok((tickets, total))
}

/// How many tickets each queue holds in each state: (queue id, state, count).
pub async fn counts_by_queue_and_state(db: &Db) -> StoreResult<Vec<(u32, TicketState, i64)>> {
    let rows =
        sqlx::query("SELECT queue_id, state, COUNT(*) AS n FROM tickets GROUP BY queue_id, state")
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| {
            let queue: i64 = col(r, "queue_id")?;
            let state: String = col(r, "state")?;
            Ok((
                u32::try_from(queue).map_err(|_| corrupt("queue_id"))?,
                TicketState::parse(&state).ok_or_else(|| corrupt("state"))?,
                col(r, "n")?,
            ))
        })
        .collect()
}

/// One entry of a ticket's history.
#[derive(Debug, Clone)]
pub struct Change {
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: i64,
}

/// Records a change in the caller's transaction.
pub async fn record_change(
    conn: &mut Conn,
    ticket_id: i64,
    actor_id: Option<i64>,
    field: &str,
    old_value: Option<&str>,
    new_value: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ticket_history (ticket_id, actor_id, field, old_value, new_value, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ticket_id)
    .bind(actor_id)
    .bind(field)
    .bind(old_value)
    .bind(new_value)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A ticket's history, oldest first.
pub async fn history(db: &Db, ticket_id: i64) -> StoreResult<Vec<Change>> {
    let rows = sqlx::query(
        "SELECT h.actor_id, u.display_name AS actor_name, h.field, h.old_value, h.new_value, h.at \
         FROM ticket_history h LEFT JOIN users u ON u.id = h.actor_id \
         WHERE h.ticket_id = $1 ORDER BY h.id",
    )
    .bind(ticket_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Change {
                actor_id: col(r, "actor_id")?,
                actor_name: col(r, "actor_name")?,
                field: col(r, "field")?,
                old_value: col(r, "old_value")?,
                new_value: col(r, "new_value")?,
                at: col(r, "at")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_escape_like_patterns_and_number_their_arguments() {
        let (clause, args) = where_clause(&Filter {
            company: Some(7),
            state: StateFilter::Open,
            text: Some("100%_done メール".into()),
            ..Filter::default()
        });
        assert_eq!(
            clause,
            " WHERE t.company_id = $1 AND t.state IN ('new', 'in_progress', 'awaiting_customer', 'pending_close') AND LOWER(t.subject) LIKE $2 \
             ESCAPE '\\' AND LOWER(t.subject) LIKE $3 ESCAPE '\\'"
        );
        assert!(matches!(&args[1], Arg::Text(s) if s == "%100\\%\\_done%"));
        let (clause, args) = where_clause(&Filter {
            state: StateFilter::All,
            text: Some("#20250101".into()),
            ..Filter::default()
        });
        assert_eq!(clause, " WHERE t.number LIKE $1 ESCAPE '\\'");
        assert!(matches!(&args[0], Arg::Text(s) if s == "20250101%"));
    }
}

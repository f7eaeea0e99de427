//! The one way a ticket changes state. Replies, answers, the agent's state changes and the
//! timed changes of the background job all call [`change_state`], which moves the ticket
//! only if it is still in the state the caller saw, and writes the history entry (who,
//! when, from → to) in the caller's transaction — so a state never changes without its
//! record, and two changes that raced cannot both apply.

use crate::domain::{FieldError, TicketState};
use crate::error::{Error, Result};
use crate::store::tickets::{self, Ticket};
use crate::store::Conn;

/// Moves `ticket` (as the caller read it) to `to`, as `actor` (`None`: the system).
/// `Error::Conflict` when the ticket is no longer in `ticket.state`.
pub async fn change_state(
    conn: &mut Conn,
    ticket: &Ticket,
    to: TicketState,
    actor: Option<i64>,
    now: i64,
) -> Result<()> {
    if ticket.state == to {
        return Ok(());
    }
    if !tickets::set_state(conn, ticket.id, ticket.state, to, now).await? {
        return Err(Error::Conflict(FieldError::new("err_ticket_changed")));
    }
    tickets::record_change(
        conn,
        ticket.id,
        actor,
        "state",
        Some(ticket.state.as_str()),
        Some(to.as_str()),
        now,
    )
    .await?;
    tracing::info!(
        ticket = %ticket.number,
        from = ticket.state.as_str(),
        to = to.as_str(),
        actor,
        "ticket state changed"
    );
    Ok(())
}

/// When a ticket that has been in `state` since `since` moves on by itself, and to what:
/// カスタマー確認中 → クローズ確認中 after `awaiting_customer_days`, クローズ確認中 → 完了 after
/// `pending_close_days`. A customer's reply moves the ticket out of both (to 対応中), so the
/// time since the state was set is the time without a reply.
pub fn timed_change(
    state: TicketState,
    since: i64,
    settings: &crate::config::Tickets,
) -> Option<(TicketState, i64)> {
    let day = 24 * 3600;
    match state {
        TicketState::AwaitingCustomer => Some((
            TicketState::PendingClose,
            since + i64::from(settings.awaiting_customer_days) * day,
        )),
        TicketState::PendingClose => Some((
            TicketState::Closed,
            since + i64::from(settings.pending_close_days) * day,
        )),
        _ => None,
    }
}

/// The state a customer's reply leads to: closed if they close it; else a ticket that was
/// waiting for them goes back to support (対応中), and one support has not answered yet
/// stays new.
pub fn after_customer_reply(current: TicketState, chosen: TicketState) -> TicketState {
    match (current, chosen) {
        (_, TicketState::Closed) => TicketState::Closed,
        (TicketState::AwaitingCustomer | TicketState::PendingClose, _) => TicketState::InProgress,
        (current, _) => current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketState::*;

    #[test]
    fn a_customer_reply_moves_waiting_tickets_back_to_support() {
        assert_eq!(
            after_customer_reply(AwaitingCustomer, InProgress),
            InProgress
        );
        assert_eq!(after_customer_reply(PendingClose, InProgress), InProgress);
        assert_eq!(after_customer_reply(New, InProgress), New);
        assert_eq!(after_customer_reply(InProgress, InProgress), InProgress);
        assert_eq!(after_customer_reply(PendingClose, Closed), Closed);
    }
}

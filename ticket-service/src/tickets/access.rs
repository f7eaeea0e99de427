//! Who may see and do what with a ticket — the rules in one place.
//!
//! A customer sees the tickets of their own company (colleagues' too, as in the peers'
//! company-tickets view) and never an internal note or its files; an agent sees everything.
//! A ticket the viewer may not see is reported exactly like a missing one
//! ([`Error::NotFound`]), by id, by number and by attachment, so a guess learns nothing.

use crate::error::{Error, Result};
use crate::store::articles::Notes;
use crate::store::tickets::Ticket;
use crate::store::users::User;

/// The user looking at tickets, as the access rules see them.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    Customer { user: &'a User, company_id: i64 },
    Agent { user: &'a User },
}

impl<'a> Viewer<'a> {
    /// The viewer of a logged-in user. A customer without a company sees nothing.
    pub fn of(user: &'a User) -> Result<Viewer<'a>> {
        if user.is_agent() {
            return Ok(Viewer::Agent { user });
        }
        match user.company_id {
            Some(company_id) => Ok(Viewer::Customer { user, company_id }),
            None => Err(Error::NotFound),
        }
    }

    pub fn user(&self) -> &'a User {
        match self {
            Viewer::Customer { user, .. } | Viewer::Agent { user } => user,
        }
    }

    pub fn is_agent(&self) -> bool {
        matches!(self, Viewer::Agent { .. })
    }

    /// Whether the viewer may see this ticket at all.
    pub fn may_see(&self, ticket: &Ticket) -> bool {
        match self {
            Viewer::Agent { .. } => true,
            Viewer::Customer { company_id, .. } => ticket.company_id == *company_id,
        }
    }

    /// The ticket, or `NotFound` when the viewer may not see it.
    pub fn check(&self, ticket: Option<Ticket>) -> Result<Ticket> {
        ticket.filter(|t| self.may_see(t)).ok_or(Error::NotFound)
    }

    /// Whether internal notes are part of what this viewer reads.
    pub fn notes(&self) -> Notes {
        if self.is_agent() {
            Notes::Include
        } else {
            Notes::Exclude
        }
    }

    /// The company a list is limited to (`None` for agents: every company).
    pub fn company(&self) -> Option<i64> {
        match self {
            Viewer::Customer { company_id, .. } => Some(*company_id),
            Viewer::Agent { .. } => None,
        }
    }

    /// Whether the viewer may download a file of a ticket of `company_id`, in an article
    /// that is (or is not) an internal note.
    pub fn may_download(&self, company_id: i64, internal: bool) -> bool {
        match self {
            Viewer::Agent { .. } => true,
            Viewer::Customer {
                company_id: own, ..
            } => *own == company_id && !internal,
        }
    }
}

//! Tickets: opening, reading, replying, answering, notes, and the agents' changes — the
//! service the customer pages, the agent pages and the JSON API share.
//!
//! - [`access`]: who may see what (another company's ticket is a 404, notes are agents');
//! - [`forms`]: what users send, parsed and checked the same way for pages and API;
//! - [`files`]: what an upload is and the type it is served as;
//! - [`lifecycle`]: the one function that changes a ticket's state.
//!
//! Writes happen in one transaction each: the ticket or article, its files, the held files
//! of the form, the state change and its history entry commit together or not at all. A
//! new ticket's number is drawn in that transaction too (see `store::tickets::next_counter`),
//! so numbers are unique under concurrency and a failed creation leaves no gap.

pub mod access;
pub mod files;
pub mod forms;
pub mod lifecycle;
pub mod notify;

use crate::clock::Clock;
use crate::config::Tickets as Settings;
use crate::domain::Sender;
use crate::domain::{Body, FieldError, TicketNumber, TicketState};
use crate::error::{Error, Result};
use crate::store::articles::{self, Article, NewArticle};
use crate::store::attachments::{self, Download, Home, Meta, NewFile};
use crate::store::tickets::{self, Change, Field, Filter, NewTicket as NewRow, Order, Ticket};
use crate::store::users::User;
use crate::store::{companies, Conn, Db};
pub use access::Viewer;
use files::Upload;
use forms::{NewTicket, Reply};
use notify::{AgentEvent, CustomerUpdate, Notifier};
use std::sync::Arc;

/// An article of a thread with its files.
#[derive(Debug, Clone)]
pub struct ThreadArticle {
    pub article: Article,
    pub files: Vec<Meta>,
}

/// Everything a ticket's page shows.
#[derive(Debug, Clone)]
pub struct Thread {
    pub ticket: Ticket,
    /// Oldest first; internal notes only for agents.
    pub articles: Vec<ThreadArticle>,
    /// Who changed what; agents only (empty for customers).
    pub history: Vec<Change>,
    /// The ticket this one follows up on, if the viewer may see it.
    pub refers_to: Option<TicketNumber>,
    /// Tickets that follow up on this one.
    pub follow_ups: Vec<TicketNumber>,
}

/// The conditions of a list page.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Filter,
    pub order: Order,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    pub tickets: Vec<Ticket>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
}

/// The tickets service.
#[derive(Clone, Debug)]
pub struct Tickets {
    db: Db,
    clock: Clock,
    settings: Arc<Settings>,
    notifier: Notifier,
}

/// The deepest page a list goes to (an offset costs as much as the rows it skips).
const MAX_PAGE: u32 = 10_000;

impl Tickets {
    /// `notifier` must have been built on the same `settings`.
    pub fn new(db: Db, clock: Clock, settings: Arc<Settings>, notifier: Notifier) -> Tickets {
        Tickets {
            db,
            clock,
            settings,
            notifier,
        }
    }

    /// When a ticket waiting for its customer will move on by itself, and to what state
    /// (for the ticket pages: "2025-12-03 に自動的にクローズ確認中になります").
    pub fn timed_change(&self, ticket: &Ticket) -> Option<(TicketState, i64)> {
        self.notifier.timed_change(ticket)
    }

    /// The `[tickets]` settings: types, queues, dynamic fields, limits.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    // -----------------------------------------------------------------------------------
    // Reading

    /// A page of the tickets the viewer may see, under the query's conditions.
    pub async fn list(&self, viewer: Viewer<'_>, q: &ListQuery) -> Result<Page> {
        let mut filter = q.filter.clone();
        if let Some(company) = viewer.company() {
            filter.company = Some(company);
            filter.owner = None;
        }
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.clamp(1, MAX_PAGE);
        let offset = i64::from(page - 1) * i64::from(per_page);
        let (tickets, total) =
            tickets::list(&self.db, &filter, q.order, i64::from(per_page), offset).await?;
        let pages = u32::try_from((total + i64::from(per_page) - 1) / i64::from(per_page))
            .unwrap_or(u32::MAX)
            .max(1);
        Ok(Page {
            tickets,
            total,
            page,
            pages,
        })
    }

    /// A ticket by number (as typed), if the viewer may see it; else `NotFound`.
    pub async fn get(&self, viewer: Viewer<'_>, number: &str) -> Result<Ticket> {
        let Ok(number) = TicketNumber::parse(number) else {
            return Err(Error::NotFound);
        };
        viewer.check(tickets::by_number(&self.db, &number).await?)
    }

    /// A ticket by id, if the viewer may see it; else `NotFound`.
    pub async fn get_by_id(&self, viewer: Viewer<'_>, id: i64) -> Result<Ticket> {
        viewer.check(tickets::by_id(&self.db, id).await?)
    }

    /// The whole page of a ticket: its thread (without notes for customers), files,
    /// history (agents), and links to and from other tickets.
    pub async fn thread(&self, viewer: Viewer<'_>, number: &str) -> Result<Thread> {
        let ticket = self.get(viewer, number).await?;
        let articles = articles::of_ticket(&self.db, ticket.id, viewer.notes()).await?;
        let mut files = attachments::of_ticket(&self.db, ticket.id).await?;
        let articles = articles
            .into_iter()
            .map(|article| {
                let (mine, rest): (Vec<Meta>, Vec<Meta>) = std::mem::take(&mut files)
                    .into_iter()
                    .partition(|f| f.article_id == Some(article.id));
                files = rest;
                ThreadArticle {
                    article,
                    files: mine,
                }
            })
            .collect();
        let history = if viewer.is_agent() {
            tickets::history(&self.db, ticket.id).await?
        } else {
            Vec::new()
        };
        let refers_to = match ticket.refers_to {
            Some(id) => match tickets::by_id(&self.db, id).await? {
                Some(t) if viewer.may_see(&t) => Some(t.number),
                _ => None,
            },
            None => None,
        };
        let follow_ups = tickets::follow_ups(&self.db, ticket.id)
            .await?
            .into_iter()
            .map(|(_, number)| number)
            .collect();
        Ok(Thread {
            ticket,
            articles,
            history,
            refers_to,
            follow_ups,
        })
    }

    /// A file, if the viewer may read it: a customer only from their company's tickets and
    /// never from an internal note. Anything else is `NotFound`, like a missing file.
    pub async fn attachment(&self, viewer: Viewer<'_>, id: i64) -> Result<Download> {
        match attachments::download(&self.db, id).await? {
            Some(d) if viewer.may_download(d.company_id, d.internal) => Ok(d),
            _ => Err(Error::NotFound),
        }
    }

    /// A ticket an agent is about to work on; customers get `NotFound`, as for a ticket
    /// that does not exist (agent routes do not admit they exist).
    async fn for_agent<'a>(&self, agent: &'a User, number: &str) -> Result<(Viewer<'a>, Ticket)> {
        let viewer = Viewer::of(agent)?;
        if !viewer.is_agent() {
            return Err(Error::NotFound);
        }
        let ticket = self.get(viewer, number).await?;
        Ok((viewer, ticket))
    }

    /// Tickets per queue and state, for the agents' overview.
    pub async fn overview(&self, viewer: Viewer<'_>) -> Result<Vec<(u32, TicketState, i64)>> {
        if !viewer.is_agent() {
            return Err(Error::NotFound);
        }
        Ok(tickets::counts_by_queue_and_state(&self.db).await?)
    }

    // -----------------------------------------------------------------------------------
    // Writing

    /// Whether `user` may open and answer tickets today: agents always, customers while
    /// their company's maintenance contract runs (in the system time zone). The refusal
    /// says why, so the page can tell the customer.
    pub async fn may_write(&self, user: &User) -> Result<()> {
        let company = match user.company_id {
            Some(id) => companies::by_id(&self.db, id).await?,
            None => None,
        };
        let today = self.clock.today(self.settings.system_time_zone);
        crate::accounts::can_open_tickets(user, company.as_ref(), today)
            .map_err(|block| Error::NotAllowed(block.message()))
    }

    /// Checks files against the limits (the web layer enforces them while the body
    /// arrives; this holds for every caller).
    fn check_files(&self, files: &[Upload]) -> Result<()> {
        let max_file = self.settings.attachment_max_file_bytes();
        let total: u64 = files.iter().map(|f| f.data.len() as u64).sum();
        if files.iter().any(|f| f.data.len() as u64 > max_file) {
            return Err(Error::PayloadTooLarge { limit: max_file });
        }
        let max_request = self.settings.attachment_max_request_bytes();
        if total > max_request {
            return Err(Error::PayloadTooLarge { limit: max_request });
        }
        Ok(())
    }

    /// Stores `files` and the files held under `draft` into an article (`(ticket id,
    /// article id)`).
    async fn store_files(
        &self,
        conn: &mut Conn,
        user: &User,
        (files, draft): (&[Upload], Option<&str>),
        (ticket_id, article_id): (i64, i64),
        now: i64,
    ) -> Result<()> {
        for f in files {
            let sha = f.sha256();
            attachments::insert(
                conn,
                &NewFile {
                    user_id: user.id,
                    file_name: f.file_name.as_str(),
                    content_type: f.content_type(),
                    sha256: &sha,
                    data: &f.data,
                },
                Home::Article {
                    ticket_id,
                    article_id,
                },
                now,
            )
            .await?;
        }
        if let Some(token) = draft {
            attachments::attach_drafts(conn, token, user.id, ticket_id, article_id).await?;
        }
        Ok(())
    }

    /// Opens a ticket for `customer`'s company with its first article and files.
    pub async fn create(
        &self,
        customer: &User,
        t: NewTicket,
        files: &[Upload],
        draft: Option<&str>,
    ) -> Result<Ticket> {
        self.may_write(customer).await?;
        let viewer = Viewer::of(customer)?;
        let company_id = viewer.company().ok_or(Error::Forbidden)?;
        self.check_files(files)?;
        let refers_to = match &t.refers_to {
            Some(number) => Some(
                viewer
                    .check(tickets::by_number(&self.db, number).await?)
                    .map_err(|_| {
                        Error::validation("refers_to", FieldError::new("err_refers_to_unknown"))
                    })?,
            ),
            None => None,
        };
        let company_name = companies::by_id(&self.db, company_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        let now = self.clock.now();
        let day = self.clock.today(self.settings.system_time_zone);
        let mut tx = self.db.begin().await?;
        // First statement of the transaction: it takes the day's counter (and SQLite's
        // write lock) before anything else is read.
        let counter = tickets::next_counter(&mut tx, &day.format("%Y%m%d").to_string()).await?;
        let number = TicketNumber::new(day, &self.settings.system_id, counter);
        let id = tickets::insert(
            &mut tx,
            &NewRow {
                number: &number,
                company_id,
                customer_id: customer.id,
                type_id: t.type_id,
                queue_id: t.queue_id,
                subject: t.subject.as_str(),
                priority: t.priority,
                dynamic_fields: &t.fields,
                refers_to: refers_to.as_ref().map(|r| r.id),
            },
            now,
        )
        .await?;
        let article_id = articles::insert(
            &mut tx,
            &NewArticle {
                ticket_id: id,
                sender: Sender::Customer,
                author_id: Some(customer.id),
                internal: false,
                body: t.body.as_str(),
            },
            now,
        )
        .await?;
        self.store_files(&mut tx, customer, (files, draft), (id, article_id), now)
            .await?;
        tickets::record_change(
            &mut tx,
            id,
            Some(customer.id),
            "created",
            None,
            Some("new"),
            now,
        )
        .await?;
        // The row is not visible outside this transaction yet: describe it from what we have.
        let created = Ticket {
            id,
            number: number.clone(),
            company_id,
            company_name,
            customer_id: customer.id,
            customer_name: customer.display_name.clone(),
            type_id: t.type_id,
            queue_id: t.queue_id,
            subject: t.subject.as_str().to_string(),
            priority: t.priority,
            state: TicketState::New,
            owner_id: None,
            owner_name: None,
            dynamic_fields: t.fields.clone(),
            refers_to: refers_to.as_ref().map(|r| r.id),
            created_at: now,
            changed_at: now,
            state_changed_at: now,
        };
        self.notifier
            .to_agents(
                &mut tx,
                &created,
                AgentEvent::NewTicket {
                    text: t.body.as_str(),
                },
            )
            .await?;
        if let Some(old) = &refers_to {
            tickets::record_change(
                &mut tx,
                old.id,
                Some(customer.id),
                "follow_up",
                None,
                Some(number.as_str()),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.notifier.wake();
        tracing::info!(ticket = %number, user_id = customer.id, files = files.len(), "ticket created");
        self.get_by_id(viewer, id).await
    }

    /// A reply to a ticket: a customer's (they may close it; a ticket waiting for them
    /// goes back to support) or an agent's answer (any next state, and a priority).
    /// Closed tickets take no reply.
    pub async fn reply(
        &self,
        user: &User,
        number: &str,
        reply: Reply,
        files: &[Upload],
        draft: Option<&str>,
    ) -> Result<Ticket> {
        let viewer = Viewer::of(user)?;
        let ticket = self.get(viewer, number).await?;
        self.may_write(user).await?;
        if ticket.state == TicketState::Closed {
            return Err(Error::Conflict(FieldError::new("err_ticket_closed")));
        }
        let allowed: &[TicketState] = if viewer.is_agent() {
            &TicketState::AGENT_NEXT
        } else {
            &TicketState::CUSTOMER_NEXT
        };
        if !allowed.contains(&reply.next_state) {
            return Err(Error::validation(
                "next_state",
                FieldError::new("err_next_state_invalid"),
            ));
        }
        self.check_files(files)?;
        let (sender, target) = if viewer.is_agent() {
            (Sender::Agent, reply.next_state)
        } else {
            (
                Sender::Customer,
                lifecycle::after_customer_reply(ticket.state, reply.next_state),
            )
        };
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let article_id = articles::insert(
            &mut tx,
            &NewArticle {
                ticket_id: ticket.id,
                sender,
                author_id: Some(user.id),
                internal: false,
                body: reply.body.as_str(),
            },
            now,
        )
        .await?;
        self.store_files(&mut tx, user, (files, draft), (ticket.id, article_id), now)
            .await?;
        let mut priority = ticket.priority;
        if let (Some(p), true) = (reply.priority, viewer.is_agent()) {
            if p != ticket.priority {
                self.change_field(&mut tx, &ticket, user, Field::Priority(p), now)
                    .await?;
                priority = p;
            }
        }
        lifecycle::change_state(&mut tx, &ticket, target, Some(user.id), now).await?;
        tickets::touch(&mut tx, ticket.id, now).await?;
        let text = reply.body.as_str();
        if viewer.is_agent() {
            self.notifier
                .to_customers(
                    &mut tx,
                    &ticket,
                    target,
                    priority,
                    CustomerUpdate::Answer { text },
                )
                .await?;
        } else {
            self.notifier
                .to_agents(&mut tx, &ticket, AgentEvent::CustomerReply { text })
                .await?;
        }
        tx.commit().await?;
        self.notifier.wake();
        tracing::info!(ticket = %ticket.number, user_id = user.id, to = target.as_str(), "ticket reply");
        self.get_by_id(viewer, ticket.id).await
    }

    /// An agents' note: never shown to the customer. Also on closed tickets.
    pub async fn note(
        &self,
        agent: &User,
        number: &str,
        body: Body,
        files: &[Upload],
        draft: Option<&str>,
    ) -> Result<Ticket> {
        let (viewer, ticket) = self.for_agent(agent, number).await?;
        self.check_files(files)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let article_id = articles::insert(
            &mut tx,
            &NewArticle {
                ticket_id: ticket.id,
                sender: Sender::Agent,
                author_id: Some(agent.id),
                internal: true,
                body: body.as_str(),
            },
            now,
        )
        .await?;
        self.store_files(&mut tx, agent, (files, draft), (ticket.id, article_id), now)
            .await?;
        tickets::touch(&mut tx, ticket.id, now).await?;
        tx.commit().await?;
        self.get_by_id(viewer, ticket.id).await
    }

    /// An agent moves a ticket to another state without writing to the customer (e.g.
    /// closes a duplicate). Goes through the one state change.
    pub async fn set_state(&self, agent: &User, number: &str, to: TicketState) -> Result<Ticket> {
        let (viewer, ticket) = self.for_agent(agent, number).await?;
        let now = self.clock.now();
        if ticket.state == to {
            return Ok(ticket);
        }
        let mut tx = self.db.begin().await?;
        lifecycle::change_state(&mut tx, &ticket, to, Some(agent.id), now).await?;
        self.notifier
            .to_customers(
                &mut tx,
                &ticket,
                to,
                ticket.priority,
                CustomerUpdate::StateChanged { timed: false },
            )
            .await?;
        tx.commit().await?;
        self.notifier.wake();
        self.get_by_id(viewer, ticket.id).await
    }

    /// An agent changes the queue, type, priority or owner. Values are checked against
    /// the configuration (an owner must be an agent).
    pub async fn update(&self, agent: &User, number: &str, field: Field) -> Result<Ticket> {
        let (viewer, ticket) = self.for_agent(agent, number).await?;
        match field {
            Field::Queue(q) if self.settings.queue(q).is_none() => {
                return Err(Error::validation(
                    "queue",
                    FieldError::new("err_queue_invalid"),
                ))
            }
            Field::Type(t) if self.settings.ticket_type(t).is_none() => {
                return Err(Error::validation(
                    "ticket_type",
                    FieldError::new("err_type_invalid"),
                ))
            }
            Field::Owner(Some(id)) => {
                let is_agent = crate::store::users::by_id(&self.db, id)
                    .await?
                    .is_some_and(|u| u.is_agent());
                if !is_agent {
                    return Err(Error::validation(
                        "owner",
                        FieldError::new("err_owner_invalid"),
                    ));
                }
            }
            _ => {}
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        self.change_field(&mut tx, &ticket, agent, field, now)
            .await?;
        tx.commit().await?;
        self.get_by_id(viewer, ticket.id).await
    }

    async fn change_field(
        &self,
        conn: &mut Conn,
        ticket: &Ticket,
        actor: &User,
        field: Field,
        now: i64,
    ) -> Result<()> {
        let old = match field {
            Field::Queue(_) => Some(ticket.queue_id.to_string()),
            Field::Type(_) => Some(ticket.type_id.to_string()),
            Field::Priority(_) => Some(ticket.priority.get().to_string()),
            Field::Owner(_) => ticket.owner_id.map(|id| id.to_string()),
        };
        let new = field.value();
        if old == new {
            return Ok(());
        }
        tickets::set_field(conn, ticket.id, field, now).await?;
        tickets::record_change(
            conn,
            ticket.id,
            Some(actor.id),
            field.name(),
            old.as_deref(),
            new.as_deref(),
            now,
        )
        .await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Timed state changes

    /// Moves every ticket whose waiting time is up (see [`lifecycle::timed_change`]) and
    /// returns how many changes it made. Each change is one transaction — the state (as of
    /// when it fell due, so a ticket that waited through a long downtime catches up through
    /// both steps), the history entry, a system article saying what happened and why, and
    /// the customer's mail — so a sweep killed half-way leaves no ticket half-changed, and
    /// a ticket that another instance (or a customer's reply) changed first is left alone.
    pub async fn advance_waiting(&self, now: i64) -> Result<usize> {
        let day = 24 * 3600;
        let awaiting_before = now - i64::from(self.settings.awaiting_customer_days) * day;
        let pending_before = now - i64::from(self.settings.pending_close_days) * day;
        let mut changed = 0;
        // Bounded: a catching-up ticket needs two rounds; more are for large backlogs.
        for _ in 0..1000 {
            let due = tickets::due_for_timed_change(&self.db, awaiting_before, pending_before, 200)
                .await?;
            let mut progressed = 0;
            for id in &due {
                if self.advance_one(*id, now).await? {
                    progressed += 1;
                }
            }
            changed += progressed;
            if due.is_empty() || progressed == 0 {
                break;
            }
        }
        if changed > 0 {
            self.notifier.wake();
        }
        Ok(changed)
    }

    /// One timed change; `false` when the ticket is not (or no longer) due.
    async fn advance_one(&self, id: i64, now: i64) -> Result<bool> {
        let Some(ticket) = tickets::by_id(&self.db, id).await? else {
            return Ok(false);
        };
        let Some((to, due_at)) =
            lifecycle::timed_change(ticket.state, ticket.state_changed_at, &self.settings)
        else {
            return Ok(false);
        };
        if due_at > now {
            return Ok(false);
        }
        let lang = crate::store::users::by_id(&self.db, ticket.customer_id)
            .await?
            .map(|u| u.language)
            .unwrap_or_default();
        let note = self.notifier.timed_note(to, lang);
        let mut tx = self.db.begin().await?;
        // The guarded update comes first: it takes SQLite's write lock and PostgreSQL's row
        // lock, and sees any change committed since the ticket was read.
        match lifecycle::change_state(&mut tx, &ticket, to, None, due_at).await {
            Err(Error::Conflict(_)) => return Ok(false),
            other => other?,
        }
        articles::insert(
            &mut tx,
            &NewArticle {
                ticket_id: ticket.id,
                sender: Sender::System,
                author_id: None,
                internal: false,
                body: &note,
            },
            now,
        )
        .await?;
        tickets::touch(&mut tx, ticket.id, now).await?;
        self.notifier
            .to_customers(
                &mut tx,
                &ticket,
                to,
                ticket.priority,
                CustomerUpdate::StateChanged { timed: true },
            )
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    // -----------------------------------------------------------------------------------
    // Files held for a form that came back with an error

    /// Holds `files` under a form's token for `user`, so a form shown again with an error
    /// keeps them. The per-request limit counts what is already held.
    pub async fn hold(&self, user: &User, token: &str, files: &[Upload]) -> Result<Vec<Meta>> {
        if files.is_empty() {
            return self.held(user, token).await;
        }
        self.check_files(files)?;
        let held = attachments::draft_bytes(&self.db, token, user.id).await?;
        let adding: u64 = files.iter().map(|f| f.data.len() as u64).sum();
        let max_request = self.settings.attachment_max_request_bytes();
        if held.max(0) as u64 + adding > max_request {
            return Err(Error::PayloadTooLarge { limit: max_request });
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        for f in files {
            let sha = f.sha256();
            attachments::insert(
                &mut tx,
                &NewFile {
                    user_id: user.id,
                    file_name: f.file_name.as_str(),
                    content_type: f.content_type(),
                    sha256: &sha,
                    data: &f.data,
                },
                Home::Draft { token },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.held(user, token).await
    }

    /// The files held under a form's token for `user`.
    pub async fn held(&self, user: &User, token: &str) -> Result<Vec<Meta>> {
        Ok(attachments::drafts(&self.db, token, user.id).await?)
    }

    /// Lets go of one held file.
    pub async fn release_held(&self, user: &User, token: &str, id: i64) -> Result<bool> {
        Ok(attachments::delete_draft(&self.db, id, token, user.id).await?)
    }
}

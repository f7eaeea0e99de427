//! The queue overview and the agents' ticket list.

use super::{agents, choices};
use crate::domain::TicketState;
use crate::error::Result;
use crate::http::encode_component;
use crate::http::extract::CurrentAgent;
use crate::http::view;
use crate::http::view::fill;
use crate::state::AppState;
use crate::store::tickets::{Filter, Order, OwnerFilter, StateFilter};
use crate::tickets::{ListQuery, Viewer};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;

/// Longest text search taken.
const MAX_QUERY_CHARS: usize = 200;

/// One cell of the overview: a count and the list it links to.
#[derive(Serialize)]
struct Cell {
    count: i64,
    url: String,
}

#[derive(Serialize)]
struct QueueRow {
    label: String,
    cells: Vec<Cell>,
    open: Cell,
}

/// `GET /agent`: tickets per queue and state.
pub async fn overview(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
) -> Result<Response> {
    let ctx = current.ctx;
    let user = current.user;
    let counts = state.tickets.overview(Viewer::of(&user)?).await?;
    let settings = state.tickets.settings();
    let mut by_queue: BTreeMap<u32, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for (queue, st, n) in &counts {
        *by_queue
            .entry(*queue)
            .or_default()
            .entry(st.as_str())
            .or_default() += n;
    }
    // Configured queues in their order, then any a ticket still has but the configuration
    // no longer lists.
    let mut ids: Vec<u32> = settings.queues.iter().map(|q| q.id).collect();
    ids.extend(
        by_queue
            .keys()
            .filter(|id| !ids.contains(id))
            .copied()
            .collect::<Vec<_>>(),
    );
    let cell = |queue: Option<u32>, st: &str, count: i64| Cell {
        count,
        url: match queue {
            Some(q) => format!("/agent/tickets?queue={q}&state={st}"),
            None => format!("/agent/tickets?state={st}"),
        },
    };
    let row = |queue: Option<u32>, label: String, m: &BTreeMap<&'static str, i64>| {
        let cells = TicketState::ALL
            .iter()
            .map(|s| cell(queue, s.as_str(), m.get(s.as_str()).copied().unwrap_or(0)))
            .collect();
        let open = TicketState::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| m.get(s.as_str()).copied().unwrap_or(0))
            .sum();
        QueueRow {
            label,
            cells,
            open: cell(queue, "open", open),
        }
    };
    let empty = BTreeMap::new();
    let rows: Vec<QueueRow> = ids
        .iter()
        .map(|id| {
            row(
                Some(*id),
                view::queue_label(settings, *id, ctx.lang),
                by_queue.get(id).unwrap_or(&empty),
            )
        })
        .collect();
    let mut all: BTreeMap<&'static str, i64> = BTreeMap::new();
    for m in by_queue.values() {
        for (k, v) in m {
            *all.entry(k).or_default() += v;
        }
    }
    let total = row(None, view::text(ctx.strings(), "agent_all_queues"), &all);
    let mut tc = tera::Context::new();
    tc.insert(
        "states",
        &view::state_choices(ctx.strings(), &TicketState::ALL),
    );
    tc.insert("rows", &rows);
    tc.insert("total", &total);
    Ok(ctx
        .render("service/agent/overview.html", "agent_overview_title", tc)?
        .into_response())
}

/// The list's conditions as given in the query string (unknown values are ignored, so an
/// old bookmark still shows a list).
#[derive(Debug, Default, Serialize)]
struct ListParams {
    queue: String,
    state: String,
    company: String,
    owner: String,
    q: String,
    order: String,
    page: u32,
}

impl ListParams {
    fn parse(raw: Option<&str>) -> ListParams {
        let mut p = ListParams {
            page: 1,
            state: "open".into(),
            ..ListParams::default()
        };
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            match k.as_str() {
                "queue" => p.queue = v,
                "state" if !v.is_empty() => p.state = v,
                "company" => p.company = v,
                "owner" => p.owner = v,
                "q" => p.q = v.chars().take(MAX_QUERY_CHARS).collect(),
                "order" => p.order = v,
                "page" => p.page = v.parse().unwrap_or(1).max(1),
                _ => {}
            }
        }
        p
    }

    fn filter(&self, me: i64) -> Filter {
        let state = match self.state.as_str() {
            "closed" => StateFilter::Closed,
            "all" => StateFilter::All,
            s => TicketState::parse(s)
                .map(StateFilter::One)
                .unwrap_or(StateFilter::Open),
        };
        let owner = match self.owner.as_str() {
            "mine" => Some(OwnerFilter::Agent(me)),
            "none" => Some(OwnerFilter::Unassigned),
            s => s.parse().ok().map(OwnerFilter::Agent),
        };
        Filter {
            company: self.company.parse().ok(),
            state,
            queue: self.queue.parse().ok(),
            owner,
            text: Some(self.q.clone()).filter(|t| !t.is_empty()),
        }
    }

    fn order(&self) -> Order {
        if self.order == "oldest" {
            Order::OldestChange
        } else {
            Order::NewestChange
        }
    }

    /// The list's URL with these conditions on another page.
    fn url(&self, page: u32) -> String {
        let mut parts = vec![format!("state={}", encode_component(&self.state))];
        for (k, v) in [
            ("queue", &self.queue),
            ("company", &self.company),
            ("owner", &self.owner),
            ("q", &self.q),
            ("order", &self.order),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", encode_component(v)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        format!("/agent/tickets?{}", parts.join("&"))
    }
}

#[derive(Serialize)]
struct Row {
    number: String,
    url: String,
    subject: String,
    state: String,
    state_key: &'static str,
    priority: String,
    queue: String,
    company: String,
    customer: String,
    owner: Option<String>,
    changed: String,
}

/// `GET /agent/tickets`.
pub async fn list(
    State(state): State<AppState>,
    CurrentAgent(current): CurrentAgent,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let ctx = current.ctx;
    let user = current.user;
    let strings = ctx.strings();
    let params = ListParams::parse(raw.as_deref());
    let query = ListQuery {
        filter: params.filter(user.id),
        order: params.order(),
        page: params.page,
        per_page: user.page_size.get(),
    };
    let page = state.tickets.list(Viewer::of(&user)?, &query).await?;
    let settings = state.tickets.settings();
    let rows: Vec<Row> = page
        .tickets
        .iter()
        .map(|t| Row {
            number: t.number.to_string(),
            url: format!("/agent/tickets/{}", t.number),
            subject: t.subject.clone(),
            state: view::state_label(strings, t.state),
            state_key: t.state.as_str(),
            priority: view::priority_label(strings, t.priority),
            queue: view::queue_label(settings, t.queue_id, ctx.lang),
            company: t.company_name.clone(),
            customer: t.customer_name.clone(),
            owner: t.owner_name.clone(),
            changed: view::datetime(t.changed_at, user.time_zone),
        })
        .collect();
    let mut state_options = vec![
        ("open".to_string(), view::text(strings, "agent_state_open")),
        ("closed".to_string(), view::text(strings, "state_closed")),
        ("all".to_string(), view::text(strings, "agent_state_all")),
    ];
    state_options.extend(
        TicketState::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| (s.as_str().to_string(), view::state_label(strings, *s))),
    );
    let mut owner_options = vec![
        (String::new(), view::text(strings, "agent_owner_any")),
        ("mine".to_string(), view::text(strings, "agent_owner_mine")),
        ("none".to_string(), view::text(strings, "agent_owner_none")),
    ];
    owner_options.extend(
        agents(&state)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name)),
    );
    let mut company_options = vec![(String::new(), view::text(strings, "agent_company_any"))];
    company_options.extend(
        state
            .accounts
            .companies()
            .await?
            .into_iter()
            .map(|c| (c.id.to_string(), c.name)),
    );
    let mut queue_options = vec![(String::new(), view::text(strings, "agent_all_queues"))];
    queue_options.extend(
        view::queue_choices(settings, ctx.lang)
            .into_iter()
            .map(|c| (c.value, c.label)),
    );
    let mut tc = tera::Context::new();
    tc.insert("params", &params);
    tc.insert("rows", &rows);
    tc.insert("queue_options", &choices(queue_options));
    tc.insert("state_options", &choices(state_options));
    tc.insert("owner_options", &choices(owner_options));
    tc.insert("company_options", &choices(company_options));
    tc.insert(
        "order_options",
        &choices([
            (
                "newest".to_string(),
                view::text(strings, "agent_order_newest"),
            ),
            (
                "oldest".to_string(),
                view::text(strings, "agent_order_oldest"),
            ),
        ]),
    );
    tc.insert(
        "total_label",
        &fill(
            strings,
            "agent_list_total",
            &[("n", &page.total.to_string())],
        ),
    );
    tc.insert(
        "page_of",
        &fill(
            strings,
            "agent_page_of",
            &[
                ("page", &page.page.to_string()),
                ("pages", &page.pages.to_string()),
            ],
        ),
    );
    tc.insert("pages", &page.pages);
    tc.insert(
        "prev_url",
        &(page.page > 1).then(|| params.url(page.page - 1)),
    );
    tc.insert(
        "next_url",
        &(page.page < page.pages).then(|| params.url(page.page + 1)),
    );
    if user.refresh.as_minutes() > 0 {
        tc.insert(
            "refresh_seconds",
            &(u64::from(user.refresh.as_minutes()) * 60),
        );
    }
    Ok(ctx
        .render("service/agent/list.html", "agent_list_title", tc)?
        .into_response())
}

//! The agents' pages under `/agent/`, black-box over HTTP on both backends: the queue
//! overview's counts, the list's filters and paging, the ticket view with internal notes
//! and history, answering (state, history, what the customer then sees through the API),
//! notes that never reach the customer, taking and changing tickets, bad forms shown again
//! with what was typed (files held), 404 for customers, CSRF, and inert XSS.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Client;
use serde_json::Value;
use std::collections::BTreeMap;
use ticket_service::domain::{FileName, PageSize, TicketState};
use ticket_service::store::users::{Preferences, User};
use ticket_service::tickets::files::Upload;
use ticket_service::tickets::forms::NewTicketInput;
use ticket_service::tickets::Viewer;

// ---------------------------------------------------------------------------------------
// Helpers

/// Opens a ticket for `customer` through the service (queue, subject, body as given).
async fn open_in(app: &TestApp, customer: &User, queue: u32, subject: &str, body: &str) -> String {
    let t = NewTicketInput {
        ticket_type: "8".into(),
        queue: queue.to_string(),
        subject: subject.into(),
        body: body.into(),
        priority: String::new(),
        fields: BTreeMap::from([("end_user".into(), "株式会社さくら精機".into())]),
        refers_to: String::new(),
    }
    .parse(app.state.tickets.settings())
    .expect("valid form");
    app.state
        .tickets
        .create(customer, t, &[], None)
        .await
        .expect("ticket created")
        .number
        .to_string()
}

async fn open(app: &TestApp, customer: &User, subject: &str) -> String {
    open_in(
        app,
        customer,
        1,
        subject,
        "社外宛のメールが送信できません。",
    )
    .await
}

/// A page's HTML with the slashes Tera escapes (`&#x2F;`) put back, so the tests can look
/// for paths as written.
async fn html_of(response: reqwest::Response) -> String {
    response.text().await.expect("body").replace("&#x2F;", "/")
}

async fn page(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let response = app.get(client, path).await;
    let status = response.status().as_u16();
    (status, html_of(response).await)
}

/// The ticket as the JSON API shows it to `client`'s user (session cookie; GET needs no
/// CSRF header).
async fn api_ticket(app: &TestApp, client: &Client, number: &str) -> (u16, Value) {
    let response = app.get(client, &format!("/api/v1/tickets/{number}")).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

struct Desk {
    app: TestApp,
    agent: User,
    customer: User,
    agent_client: Client,
}

async fn desk(backend: Backend) -> Desk {
    let app = spawn_app(backend).await;
    let agent = app.add_agent("sato@madoguchi.test", "佐藤 花子").await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent_client = app.logged_in("sato@madoguchi.test", PASSWORD).await;
    Desk {
        app,
        agent,
        customer,
        agent_client,
    }
}

/// Where a ticket's link first appears on a page.
fn pos(html: &str, number: &str) -> usize {
    html.find(&format!("/agent/tickets/{number}\""))
        .unwrap_or_else(|| panic!("{number} is not on the page"))
}

/// How many ticket rows a list page shows.
fn rows(html: &str) -> usize {
    html.matches("<td><span class=\"agent-state ").count()
}

// ---------------------------------------------------------------------------------------
// Tests

async fn the_overview_counts_tickets_per_queue_and_state(backend: Backend) {
    let Desk {
        app,
        agent,
        customer,
        agent_client,
    } = desk(backend).await;
    for i in 0..3 {
        open_in(&app, &customer, 1, &format!("ゲートウェイ {i}"), "本文").await;
    }
    let answered = open_in(&app, &customer, 1, "回答済み", "本文").await;
    agent_answers(&app, &agent, &answered, "ご確認ください。", "pending_close").await;
    open_in(&app, &customer, 2, "アーカイブ", "本文").await;
    let closed = open_in(&app, &customer, 3, "完了済み", "本文").await;
    agent_answers(&app, &agent, &closed, "ご確認ください。", "closed").await;

    for path in ["/agent", "/agent/"] {
        let (status, html) = page(&app, &agent_client, path).await;
        assert_eq!(status, 200, "{path}");
        let cell = |queue: &str, state: &str, n: u32| {
            format!("href=\"/agent/tickets?queue={queue}&amp;state={state}\">{n}</a>")
        };
        for expected in [
            cell("1", "new", 3),
            cell("1", "pending_close", 1),
            cell("1", "open", 4),
            cell("2", "new", 1),
            cell("2", "open", 1),
            cell("3", "closed", 1),
            cell("3", "open", 0),
            "href=\"/agent/tickets?state=open\">5</a>".to_string(),
            "href=\"/agent/tickets?state=new\">4</a>".to_string(),
        ] {
            assert!(html.contains(&expected), "{path} lacks {expected}: {html}");
        }
        assert!(html.contains("SoraMail Gateway") && html.contains("キュー一覧"));
    }
    // The link of a count lists exactly those tickets.
    let (_, html) = page(&app, &agent_client, "/agent/tickets?queue=1&state=new").await;
    assert_eq!(rows(&html), 3, "{html}");

    // In the agent's language.
    app.state
        .accounts
        .update_preferences(
            agent.id,
            &Preferences {
                language: kb_builder::Language::En,
                time_zone: agent.time_zone,
                refresh: agent.refresh,
                page_size: agent.page_size,
            },
        )
        .await
        .expect("preferences");
    let (_, html) = page(&app, &agent_client, "/agent").await;
    assert!(
        html.contains("<h1>Queues</h1>") && html.contains("Open in total"),
        "{html}"
    );
    assert!(html.contains(">Pending close<"), "{html}");
    let (_, html) = page(&app, &agent_client, &format!("/agent/tickets/{answered}")).await;
    assert!(
        html.contains("Answer the customer") && html.contains("Internal note"),
        "{html}"
    );
    assert!(!html.contains("お客様へ回答"), "{html}");
}

async fn the_list_filters_by_queue_state_company_owner_and_text_and_pages(backend: Backend) {
    let Desk {
        app,
        agent,
        customer,
        agent_client,
    } = desk(backend).await;
    let other_company = app
        .add_company("北海商事", "2000-01-01", "2999-12-31")
        .await;
    let other = app
        .add_customer_of(other_company, "kita@example.com", "北 一郎")
        .await;
    let gateway = open_in(&app, &customer, 1, "メール送信不可", "本文").await;
    let archive = open_in(&app, &customer, 2, "アーカイブ検索が遅い", "本文").await;
    let northern = open_in(&app, &other, 3, "Webmail ログイン不可", "本文").await;
    let answered = open_in(&app, &other, 1, "証明書の更新", "本文").await;
    agent_answers(
        &app,
        &agent,
        &answered,
        "ご確認ください。",
        "awaiting_customer",
    )
    .await;
    let closed = open_in(&app, &customer, 1, "完了した件", "本文").await;
    agent_answers(&app, &agent, &closed, "ご確認ください。", "closed").await;
    app.state
        .tickets
        .update(
            &agent,
            &archive,
            ticket_service::store::tickets::Field::Owner(Some(agent.id)),
        )
        .await
        .expect("owner set");

    let list = |query: &str| {
        let path = format!("/agent/tickets{query}");
        let app = &app;
        let client = &agent_client;
        async move {
            let (status, html) = page(app, client, &path).await;
            assert_eq!(status, 200, "{path}");
            html
        }
    };
    let shows = |html: &str, numbers: &[&str]| {
        assert_eq!(rows(html), numbers.len(), "{html}");
        for n in numbers {
            assert!(
                html.contains(&format!("/agent/tickets/{n}\"")),
                "{n}: {html}"
            );
        }
    };
    // Default: open tickets of every queue and company.
    shows(&list("").await, &[&gateway, &archive, &northern, &answered]);
    shows(&list("?queue=1").await, &[&gateway, &answered]);
    let closed_page = list("?state=closed").await;
    shows(&closed_page, &[&closed]);
    // The owner filter offers the agents, not the customers (北 一郎 has no closed ticket,
    // so the rows do not name him).
    assert!(
        closed_page.contains(&format!(">{}</option>", agent.display_name))
            && !closed_page.contains("北 一郎"),
        "{closed_page}"
    );
    shows(&list("?state=awaiting_customer").await, &[&answered]);
    shows(
        &list("?state=all").await,
        &[&gateway, &archive, &northern, &answered, &closed],
    );
    shows(
        &list(&format!("?company={other_company}")).await,
        &[&northern, &answered],
    );
    shows(&list("?owner=mine").await, &[&archive]);
    shows(&list(&format!("?owner={}", agent.id)).await, &[&archive]);
    shows(
        &list("?owner=none").await,
        &[&gateway, &northern, &answered],
    );
    shows(
        &list("?q=%E3%82%A2%E3%83%BC%E3%82%AB%E3%82%A4%E3%83%96").await,
        &[&archive],
    );
    shows(
        &list(&format!("?q={}", &northern[..10])).await,
        &[&gateway, &archive, &northern, &answered],
    );
    shows(&list(&format!("?q={northern}")).await, &[&northern]);
    // Conditions combine; the form keeps them.
    let html = list("?queue=1&state=all&company=").await;
    shows(&html, &[&gateway, &answered, &closed]);
    assert!(html.contains("<option value=\"all\" selected>"), "{html}");
    // Newest change first (open ones before closed ones), or oldest first when asked; the
    // time of the last change is shown in the agent's time zone.
    app.state.clock.advance(std::time::Duration::from_secs(120));
    agent_answers(&app, &agent, &gateway, "ご確認ください。", "in_progress").await;
    let html = list("").await;
    assert!(
        pos(&html, &gateway) < pos(&html, &archive),
        "newest change first"
    );
    let html = list("?order=oldest").await;
    assert!(
        pos(&html, &archive) < pos(&html, &gateway),
        "oldest first when asked"
    );
    let t = app
        .state
        .tickets
        .get(Viewer::of(&agent).unwrap(), &gateway)
        .await
        .unwrap();
    let shown = ticket_service::http::view::datetime(t.changed_at, agent.time_zone);
    assert_ne!(agent.time_zone.name(), "UTC");
    assert!(
        html.contains(&format!("<td class=\"agent-nowrap\">{shown}</td>")),
        "{shown}: {html}"
    );

    // Paging by the agent's "tickets per page".
    app.state
        .accounts
        .update_preferences(
            agent.id,
            &Preferences {
                language: agent.language,
                time_zone: agent.time_zone,
                refresh: agent.refresh,
                page_size: PageSize::parse("15").unwrap(),
            },
        )
        .await
        .expect("preferences");
    for i in 0..14 {
        open_in(&app, &customer, 4, &format!("契約の件 {i}"), "本文").await;
    }
    let first = list("?queue=4").await;
    assert_eq!(rows(&first), 14);
    assert!(!first.contains("rel=\"next\""));
    let first = list("?state=all").await;
    assert_eq!(rows(&first), 15, "{first}");
    assert!(
        first.contains("19 件") && first.contains("1 / 2 ページ"),
        "{first}"
    );
    assert!(
        first.contains("href=\"/agent/tickets?state=all&amp;page=2\""),
        "{first}"
    );
    let second = list("?state=all&page=2").await;
    assert_eq!(rows(&second), 4);
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
}

async fn the_ticket_view_shows_notes_history_and_info_and_answers_reach_the_customer(
    backend: Backend,
) {
    let Desk {
        app,
        agent,
        customer,
        agent_client,
    } = desk(backend).await;
    let number = open(&app, &customer, "メール送信不可について").await;
    let path = format!("/agent/tickets/{number}");
    let (status, html) = page(&app, &agent_client, &path).await;
    assert_eq!(status, 200);
    for expected in [
        "社外宛のメールが送信できません。",
        "株式会社さくら精機",
        "SoraMail Gateway",
        "8: サーバログ調査",
        "3 中",
        "新規",
        "テスト株式会社",
        "山田 太郎",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }
    let csrf = csrf_from(&html).expect("token");

    // An internal note with a file.
    let note_draft = value_of(&html[html.find("/note\"").unwrap()..], "draft").expect("the input");
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/note"),
        &[
            ("csrf", &csrf),
            ("draft", &note_draft),
            ("body", "顧客のMTA設定を確認中。社内限定。"),
        ],
        &[("internal-trace.txt", b"trace: 451 from relay")],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("{path}?done=note"));

    // The answer: クローズ確認中 with priority 4.
    let (_, html) = page(&app, &agent_client, &path).await;
    assert!(html.contains("顧客のMTA設定を確認中。社内限定。"));
    assert!(html.contains("internal-trace.txt"));
    assert!(
        html.contains("class=\"thread-article sender-agent internal\""),
        "{html}"
    );
    let draft = value_of(&html[html.find("/answer\"").unwrap()..], "draft").expect("the input");
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/answer"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            (
                "body",
                "リレー先の制限が原因でした。設定を変更しましたのでご確認ください。",
            ),
            ("next_state", "pending_close"),
            ("priority", "4"),
        ],
        &[("answer.txt", b"relay settings")],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("{path}?done=answer"));

    let (_, html) = page(&app, &agent_client, &format!("{path}?done=answer")).await;
    assert!(html.contains("お客様へ回答しました。"));
    assert!(html.contains("リレー先の制限が原因でした。"));
    // History: who, from → to, in words.
    let history = &html[html.find("id=\"history-h\"").expect("history")..];
    assert!(
        history.contains("<td>佐藤 花子</td><td>状態</td><td>新規</td><td>クローズ確認中</td>"),
        "{history}"
    );
    assert!(
        history.contains("<td>佐藤 花子</td><td>優先度</td><td>3 中</td><td>4 高い</td>"),
        "{history}"
    );
    assert!(
        history.contains("<td>山田 太郎</td><td>作成</td>"),
        "{history}"
    );
    // The timed change line.
    assert!(html.contains("に自動的に完了になります。"), "{html}");

    // The customer sees the answer and its file, never the note or its file.
    let customer_client = app.logged_in("yamada@example.com", PASSWORD).await;
    let (status, detail) = api_ticket(&app, &customer_client, &number).await;
    assert_eq!(status, 200);
    assert_eq!(detail["ticket"]["state"], "pending_close");
    assert_eq!(detail["ticket"]["priority"], 4);
    let text = detail.to_string();
    assert!(text.contains("リレー先の制限が原因でした。"));
    assert!(text.contains("answer.txt"));
    assert!(!text.contains("社内限定"), "{text}");
    assert!(!text.contains("internal-trace.txt"), "{text}");
    assert!(detail["articles"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["internal"] == false));
    // Nor through a guessed attachment URL.
    let thread = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    let note_file = thread
        .articles
        .iter()
        .find(|a| a.article.internal)
        .and_then(|a| a.files.first())
        .expect("the note's file")
        .id;
    let response = app
        .get(&customer_client, &format!("/attachments/{note_file}"))
        .await;
    assert_eq!(response.status(), 404);
    let response = app
        .get(&agent_client, &format!("/attachments/{note_file}"))
        .await;
    assert_eq!(response.status(), 200);
    // The customer's JSON list shows the ticket, the agent page's list too.
    let (_, list) = page(&app, &agent_client, "/agent/tickets?state=pending_close").await;
    assert_eq!(rows(&list), 1);
}

async fn a_bad_answer_is_shown_again_with_what_was_typed_and_files_held(backend: Backend) {
    let Desk {
        app,
        agent,
        customer,
        agent_client,
    } = desk(backend).await;
    let number = open(&app, &customer, "ログ調査のお願い").await;
    let path = format!("/agent/tickets/{number}");
    let (_, html) = page(&app, &agent_client, &path).await;
    let csrf = csrf_from(&html).unwrap();
    let draft = value_of(&html[html.find("/answer\"").unwrap()..], "draft").expect("the input");
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/answer"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("body", "   "),
            ("next_state", "awaiting_customer"),
            ("priority", "5"),
        ],
        &[("held-log.txt", b"held bytes")],
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = html_of(response).await;
    assert!(html.contains("本文を入力してください。"), "{html}");
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"answer-body-error\""));
    assert!(html.contains("<option value=\"awaiting_customer\" selected>"));
    assert!(
        html.contains("<option value=\"5\" selected>5 非常に高い"),
        "{html}"
    );
    assert!(html.contains("held-log.txt"), "the file is held: {html}");
    assert_eq!(
        value_of(&html[html.find("/answer\"").unwrap()..], "draft").expect("the input"),
        draft
    );
    // Nothing changed.
    let t = app
        .state
        .tickets
        .get(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    assert_eq!((t.state, t.priority.get()), (TicketState::New, 3));

    // A state the agent may not choose, typed text kept.
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/answer"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("body", "<b>確認</b>します"),
            ("next_state", "new"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = html_of(response).await;
    assert!(html.contains("次の状態を一覧から選んでください。"));
    assert!(
        html.contains("&lt;b&gt;確認&lt;&#x2F;b&gt;します")
            || html.contains("&lt;b&gt;確認&lt;/b&gt;します"),
        "{html}"
    );

    // Sent again right: the held file goes with it.
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/answer"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("body", "ログを確認しています。"),
            ("next_state", "in_progress"),
            ("priority", "5"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    let thread = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    let last = thread.articles.last().unwrap();
    assert_eq!(last.article.body, "ログを確認しています。");
    assert_eq!(
        last.files
            .iter()
            .map(|f| f.file_name.as_str())
            .collect::<Vec<_>>(),
        ["held-log.txt"]
    );
    assert_eq!(thread.ticket.state, TicketState::InProgress);
    assert_eq!(thread.ticket.priority.get(), 5);

    // An empty note comes back too.
    let note_draft = value_of(&html[html.find("/note\"").unwrap()..], "draft").expect("the input");
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/note"),
        &[("csrf", &csrf), ("draft", &note_draft), ("body", "")],
        &[],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(html_of(response).await.contains("note-body-error"));
}

async fn agents_take_change_and_move_tickets(backend: Backend) {
    let Desk {
        app,
        agent,
        customer,
        agent_client,
    } = desk(backend).await;
    let colleague = app.add_agent("suzuki@madoguchi.test", "鈴木 一郎").await;
    let number = open(&app, &customer, "アーカイブの容量").await;
    let path = format!("/agent/tickets/{number}");
    let (_, html) = page(&app, &agent_client, &path).await;
    let csrf = csrf_from(&html).unwrap();
    let get = || async {
        app.state
            .tickets
            .get(Viewer::of(&agent).unwrap(), &number)
            .await
            .unwrap()
    };

    let response = app
        .post_form(&agent_client, &format!("{path}/take"), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(get().await.owner_id, Some(agent.id));
    let (_, html) = page(&app, &agent_client, &path).await;
    assert!(html.contains("あなたが担当しています。"));

    let colleague_id = colleague.id.to_string();
    let response = app
        .post_form(
            &agent_client,
            &format!("{path}/update"),
            &[
                ("csrf", &csrf),
                ("queue", "2"),
                ("ticket_type", "1"),
                ("priority", "5"),
                ("owner", &colleague_id),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let t = get().await;
    assert_eq!(
        (t.queue_id, t.type_id, t.priority.get(), t.owner_id),
        (2, 1, 5, Some(colleague.id))
    );
    let (_, html) = page(&app, &agent_client, &path).await;
    let history = &html[html.find("id=\"history-h\"").unwrap()..];
    for row in [
        "<td>キュー</td><td>SoraMail Gateway</td><td>SoraMail Archive</td>",
        "<td>タイプ</td><td>8: サーバログ調査</td><td>1: 仕様・操作に関するご質問</td>",
        "<td>担当者</td><td>佐藤 花子</td><td>鈴木 一郎</td>",
        "<td>担当者</td><td>—</td><td>佐藤 花子</td>",
    ] {
        assert!(history.contains(row), "{row}: {history}");
    }

    // Bad values: shown again, nothing changed.
    let response = app
        .post_form(
            &agent_client,
            &format!("{path}/update"),
            &[
                ("csrf", &csrf),
                ("queue", "99"),
                ("ticket_type", "1"),
                ("priority", "9"),
                ("owner", &customer.id.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = html_of(response).await;
    assert!(html.contains("選ばれた宛先はありません。"), "{html}");
    assert!(html.contains("優先度は 1 から 5 の中から選んでください。"));
    assert!(html.contains("担当者にはサポート担当者を選んでください。"));
    assert!(html.contains("aria-describedby=\"update-queue-error\""));
    let t = get().await;
    assert_eq!((t.queue_id, t.priority.get()), (2, 5));

    // Unassign.
    let response = app
        .post_form(
            &agent_client,
            &format!("{path}/update"),
            &[
                ("csrf", &csrf),
                ("queue", "2"),
                ("ticket_type", "1"),
                ("priority", "5"),
                ("owner", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(get().await.owner_id, None);

    // A state change without a message: no article, a history entry.
    let articles_before = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap()
        .articles
        .len();
    let response = app
        .post_form(
            &agent_client,
            &format!("{path}/state"),
            &[("csrf", &csrf), ("state", "closed")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let thread = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    assert_eq!(thread.ticket.state, TicketState::Closed);
    assert_eq!(thread.articles.len(), articles_before);
    let (_, html) = page(&app, &agent_client, &path).await;
    assert!(html.contains("このチケットは完了しているため、お客様へは回答できません。"));
    assert!(
        !html.contains("/answer\""),
        "no answer form on a closed ticket"
    );
    let response = app
        .post_form(
            &agent_client,
            &format!("{path}/state"),
            &[("csrf", &csrf), ("state", "new")],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("次の状態を一覧から選んでください。"));
}

async fn customers_get_404_on_every_agent_page_and_action(backend: Backend) {
    let Desk { app, customer, .. } = desk(backend).await;
    let number = open(&app, &customer, "自社のチケット").await;
    let client = app.logged_in("yamada@example.com", PASSWORD).await;
    for path in [
        "/agent".to_string(),
        "/agent/".to_string(),
        "/agent/tickets".to_string(),
        format!("/agent/tickets/{number}"),
    ] {
        let (status, html) = page(&app, &client, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!html.contains("自社のチケット"), "{path}");
    }
    let csrf = app.csrf(&client, "/settings").await;
    for action in ["take", "update", "state"] {
        let response = app
            .post_form(
                &client,
                &format!("/agent/tickets/{number}/{action}"),
                &[
                    ("csrf", &csrf),
                    ("state", "closed"),
                    ("queue", "2"),
                    ("ticket_type", "1"),
                    ("priority", "5"),
                    ("owner", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), 404, "{action}");
    }
    for action in ["answer", "note"] {
        let response = post_multipart(
            &app,
            &client,
            &format!("/agent/tickets/{number}/{action}"),
            &[
                ("csrf", &csrf),
                ("body", "なりすまし"),
                ("next_state", "closed"),
            ],
            &[],
        )
        .await;
        assert_eq!(response.status(), 404, "{action}");
    }
    let agent = app.add_agent("kato@madoguchi.test", "加藤").await;
    let thread = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    assert_eq!(thread.ticket.state, TicketState::New);
    assert_eq!(thread.ticket.owner_id, None);
    assert_eq!(thread.articles.len(), 1);
    // Anonymous visitors are sent to the login page.
    let response = app.get(&app.client(), "/agent/tickets").await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/login?next="));
    // An agent asking for a ticket that does not exist gets 404 too.
    let agent_client = app.logged_in("kato@madoguchi.test", PASSWORD).await;
    for missing in ["/agent/tickets/209901011099999", "/agent/tickets/nonsense"] {
        assert_eq!(page(&app, &agent_client, missing).await.0, 404, "{missing}");
    }
}

async fn agent_forms_without_the_csrf_token_are_refused(backend: Backend) {
    let Desk {
        app,
        agent,
        customer,
        agent_client,
    } = desk(backend).await;
    let number = open(&app, &customer, "CSRF の確認").await;
    let path = format!("/agent/tickets/{number}");
    let response = app
        .post_form(&agent_client, &format!("{path}/take"), &[])
        .await;
    assert_eq!(response.status(), 403);
    let response = app
        .post_form(
            &agent_client,
            &format!("{path}/state"),
            &[("csrf", "wrong"), ("state", "closed")],
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/answer"),
        &[("body", "CSRF なし"), ("next_state", "closed")],
        &[("x.txt", b"x")],
    )
    .await;
    assert_eq!(response.status(), 403);
    let response = post_multipart(
        &app,
        &agent_client,
        &format!("{path}/note"),
        &[("csrf", "forged-token"), ("body", "CSRF なし")],
        &[],
    )
    .await;
    assert_eq!(response.status(), 403);
    let thread = app
        .state
        .tickets
        .thread(Viewer::of(&agent).unwrap(), &number)
        .await
        .unwrap();
    assert_eq!(thread.ticket.state, TicketState::New);
    assert_eq!(thread.ticket.owner_id, None);
    assert_eq!(thread.articles.len(), 1);
}

async fn markup_in_subjects_bodies_and_fields_stays_inert_on_agent_pages(backend: Backend) {
    let Desk {
        app,
        customer,
        agent_client,
        ..
    } = desk(backend).await;
    let t = NewTicketInput {
        ticket_type: "8".into(),
        queue: "1".into(),
        subject: "<script>alert('s')</script>件名".into(),
        body: "<img src=x onerror=alert('b')> 本文 \"><svg onload=alert(1)>".into(),
        priority: String::new(),
        fields: BTreeMap::from([("end_user".into(), "<iframe src=javascript:alert(1)>".into())]),
        refers_to: String::new(),
    }
    .parse(app.state.tickets.settings())
    .unwrap();
    let upload = Upload {
        file_name: FileName::parse("<img src=x onerror=alert(2)>.txt").unwrap(),
        data: b"x".to_vec(),
    };
    let number = app
        .state
        .tickets
        .create(&customer, t, &[upload], None)
        .await
        .unwrap()
        .number
        .to_string();
    for path in [
        "/agent/tickets".to_string(),
        "/agent/tickets?q=script".to_string(),
        format!("/agent/tickets/{number}"),
    ] {
        let (status, html) = page(&app, &agent_client, &path).await;
        assert_eq!(status, 200, "{path}");
        for raw in ["<script>alert", "<img src=x", "<svg onload", "<iframe"] {
            assert!(!html.contains(raw), "{path} has {raw}: {html}");
        }
        assert!(html.contains("&lt;script&gt;alert("), "{path}: {html}");
    }
    let (_, html) = page(&app, &agent_client, &format!("/agent/tickets/{number}")).await;
    assert!(html.contains("&lt;img src=x onerror=alert("), "{html}");
    assert!(
        html.contains("&lt;iframe src=javascript:alert(1)&gt;"),
        "{html}"
    );
}

both_backends!(
    the_overview_counts_tickets_per_queue_and_state,
    the_list_filters_by_queue_state_company_owner_and_text_and_pages,
    the_ticket_view_shows_notes_history_and_info_and_answers_reach_the_customer,
    a_bad_answer_is_shown_again_with_what_was_typed_and_files_held,
    agents_take_change_and_move_tickets,
    customers_get_404_on_every_agent_page_and_action,
    agent_forms_without_the_csrf_token_are_refused,
    markup_in_subjects_bodies_and_fields_stays_inert_on_agent_pages,
);

//! The JSON API under `/api/v1`, black-box over HTTP on both backends: API tokens made on
//! the settings page, the session with its CSRF header, the support manual's flow through
//! the API, isolation between companies and of internal notes, validation and size limits,
//! and the OpenAPI document against the routes and the real answers.

use crate::helpers::*;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use ticket_service::http::api::ROUTES;

// ---------------------------------------------------------------------------------------
// Helpers

/// The value of the input with `id` on a page.
fn input_value(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("value=\"")? + "value=\"".len();
    let end = rest[start..].find('"')? + start;
    Some(rest[start..end].to_string())
}

/// Posts the settings page's token form; the page answered.
async fn post_token_form(app: &TestApp, client: &Client, name: &str) -> reqwest::Response {
    let csrf = app.csrf(client, "/settings").await;
    app.post_form(
        client,
        "/settings/api-tokens",
        &[("csrf", &csrf), ("name", name)],
    )
    .await
}

/// Makes a token on the settings page as `client`'s user and reads it off the answer.
async fn make_token(app: &TestApp, client: &Client, name: &str) -> String {
    let response = post_token_form(app, client, name).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("page");
    input_value(&html, "new-token").expect("the new token is on the page")
}

/// A token for a user who logs in for it.
async fn token_of(app: &TestApp, email: &str) -> String {
    let client = app.logged_in(email, PASSWORD).await;
    make_token(app, &client, "テスト用").await
}

/// A request with a bearer token (or none).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client().request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{path} answered {status} with non-JSON: {text}"));
    (status, value)
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    call(app, Method::GET, path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, path, Some(token), Some(body)).await
}

async fn post_multipart(
    app: &TestApp,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> (StatusCode, Value) {
    let (content_type, body) = multipart(fields, files);
    let response = app
        .client()
        .post(app.url(path))
        .bearer_auth(token)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

fn new_ticket(subject: &str) -> Value {
    json!({
        "ticket_type": 8,
        "queue": 1,
        "subject": subject,
        "body": "社外宛のメールが 451 エラーで送信できません。\n発生: 本日 9:00 頃",
        "priority": 4,
        "fields": {"end_user": "株式会社さくら精機"},
    })
}

const MAILLOG: &[u8] = b"Jun 19 09:00:01 gw postfix/smtp[311]: 451 4.7.1 try again later\n";

/// Opens a ticket with a file (multipart); (number, file id).
async fn open_with_file(app: &TestApp, token: &str, subject: &str) -> (String, i64) {
    let (status, body) = post_multipart(
        app,
        "/api/v1/tickets",
        token,
        &[
            ("ticket_type", "8"),
            ("queue", "1"),
            ("subject", subject),
            ("body", "ログを添付します。"),
            ("field.end_user", "株式会社さくら精機"),
        ],
        &[("maillog.txt", MAILLOG)],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let number = body["ticket"]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let file = body["articles"][0]["attachments"][0]["id"]
        .as_i64()
        .expect("file id");
    (number, file)
}

fn numbers(list: &Value) -> Vec<String> {
    list["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["number"].as_str().unwrap_or("").to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tokens

async fn api_tokens_are_shown_once_work_as_bearer_and_die_when_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let client = app.logged_in("yamada@example.com", PASSWORD).await;

    // No credentials, a malformed token, another scheme: 401 JSON with a challenge.
    for auth in [None, Some("Bearer not-a-token"), Some("Basic eWFtYWRhOng=")] {
        let mut request = app.client().get(app.url("/api/v1/me"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{auth:?}");
        assert!(response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized", "{auth:?}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }

    // A name is required; the form says so next to the field.
    let response = post_token_form(&app, &client, "  ").await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("トークンの名前を入力してください。"),
        "{html}"
    );
    assert!(input_value(&html, "new-token").is_none());

    let token = make_token(&app, &client, "在庫連携バッチ").await;
    assert_eq!(token.len(), 43, "256 random bits, base64url");
    // Shown once: the settings page lists the token by name, never its value again.
    let page = app.get(&client, "/settings").await.text().await.unwrap();
    assert!(page.contains("在庫連携バッチ"));
    assert!(page.contains("未使用"), "never used yet");
    assert!(!page.contains(&token));
    // Only its SHA-256 is stored.
    let db = &app.state.db;
    use ticket_service::store::api_tokens::by_hash;
    assert!(by_hash(db, &token).await.unwrap().is_none());
    let stored = by_hash(db, &ticket_service::token::hash_token(&token))
        .await
        .unwrap()
        .expect("stored by hash");
    assert_eq!(stored.user_id, customer.id);

    // The token acts as its user.
    let (status, me) = get(&app, "/api/v1/me", &token).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], customer.id);
    assert_eq!(me["kind"], "customer");
    assert_eq!(me["auth"], "token");
    assert_eq!(me["csrf_token"], Value::Null);
    // Its use is recorded (at most once a minute) and listed.
    let page = app.get(&client, "/settings").await.text().await.unwrap();
    assert!(!page.contains("未使用"), "last use shown");

    // Revoking needs the form's token; another user's token is not there to revoke.
    let revoke = format!("/settings/api-tokens/{}/revoke", stored.id);
    let response = app.post_form(&client, &revoke, &[("csrf", "forged")]).await;
    assert_eq!(response.status(), 403);
    app.add_customer("emily@example.com", "Emily Carter").await;
    let colleague = app.logged_in("emily@example.com", PASSWORD).await;
    let csrf = app.csrf(&colleague, "/settings").await;
    let response = app.post_form(&colleague, &revoke, &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 404);
    assert_eq!(get(&app, "/api/v1/me", &token).await.0, 200);

    let csrf = app.csrf(&client, "/settings").await;
    let response = app.post_form(&client, &revoke, &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    let page = app
        .get(&client, &location(&response))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("トークンを無効にしました"));
    assert!(!page.contains("在庫連携バッチ"));
    let (status, body) = get(&app, "/api/v1/me", &token).await;
    assert_eq!(
        (status.as_u16(), body["code"].as_str()),
        (401, Some("unauthorized"))
    );
}

async fn a_user_holds_at_most_twenty_tokens_even_when_creations_race(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.add_customer("yamada@example.com", "山田 太郎").await;
    let client = app.logged_in("yamada@example.com", PASSWORD).await;
    let csrf = app.csrf(&client, "/settings").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let (client, csrf, url) = (
            client.clone(),
            csrf.clone(),
            app.url("/settings/api-tokens"),
        );
        tasks.spawn(async move {
            let name = format!("並行 {i}");
            let form = [("csrf", csrf.as_str()), ("name", name.as_str())];
            client.post(url).form(&form).send().await.unwrap().status()
        });
    }
    let mut made = 0;
    while let Some(status) = tasks.join_next().await {
        let status = status.unwrap();
        assert!([200, 409, 422].contains(&status.as_u16()), "{status}");
        made += usize::from(status == 200);
    }
    let stored = app.state.api_tokens.list(&customer).await.unwrap().len();
    assert_eq!(stored, made);
    assert!(stored <= 20, "{stored} tokens");
    for _ in stored..20 {
        make_token(&app, &client, "追加").await;
    }
    let response = post_token_form(&app, &client, "21 個目").await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("すでに 20 個"));
    assert_eq!(
        app.state.api_tokens.list(&customer).await.unwrap().len(),
        20
    );
}

// ---------------------------------------------------------------------------------------
// The session with its CSRF header

async fn a_session_needs_the_csrf_header_to_change_anything(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let client = app.logged_in("yamada@example.com", PASSWORD).await;
    let me: Value = app.get(&client, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["auth"], "session");
    let csrf = me["csrf_token"]
        .as_str()
        .expect("the session's token")
        .to_string();
    assert_eq!(csrf, app.csrf(&client, "/settings").await);

    let send = |header: Option<&str>| {
        let mut request = client
            .post(app.url("/api/v1/tickets"))
            .json(&new_ticket("セッションから"));
        if let Some(h) = header {
            request = request.header("x-csrf-token", h);
        }
        request.send()
    };
    for header in [None, Some(""), Some("forged-token")] {
        let response = send(header).await.unwrap();
        assert_eq!(response.status(), 403, "{header:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "csrf");
    }
    let (status, list) = {
        let r = app.get(&client, "/api/v1/tickets?state=all").await;
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(
        (status.as_u16(), list["total"].as_i64()),
        (200, Some(0)),
        "nothing made"
    );

    let response = send(Some(&csrf)).await.unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()[LOCATION].to_str().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!(
            "/api/v1/tickets/{}",
            body["ticket"]["number"].as_str().unwrap()
        )
    );
    // A valid header from another site is still refused.
    let response = client
        .post(app.url("/api/v1/tickets"))
        .header("x-csrf-token", &csrf)
        .header("origin", "https://evil.example")
        .json(&new_ticket("他サイトから"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Reads need no header.
    let r = app.get(&client, "/api/v1/tickets").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["total"], 1);
}

// ---------------------------------------------------------------------------------------
// The support manual's flow

async fn the_support_flow_through_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    app.add_agent("sato@example.com", "佐藤 健").await;
    let customer = token_of(&app, "yamada@example.com").await;
    let agent = token_of(&app, "sato@example.com").await;

    // The customer opens a ticket with a log file.
    let (number, file) = open_with_file(&app, &customer, "メール送信不可について").await;
    let (status, t) = get(&app, &format!("/api/v1/tickets/{number}"), &customer).await;
    assert_eq!(status, 200);
    assert_eq!(t["ticket"]["state"], "new");
    assert_eq!(t["ticket"]["state_label"], "新規");
    assert_eq!(t["ticket"]["ticket_type"]["label"], "8: サーバログ調査");
    assert_eq!(t["ticket"]["priority"], 3);
    assert_eq!(t["ticket"]["fields"][0]["label"], "エンドユーザ名");
    assert_eq!(t["ticket"]["fields"][0]["value"], "株式会社さくら精機");
    let attachment = &t["articles"][0]["attachments"][0];
    assert_eq!(attachment["file_name"], "maillog.txt");
    assert_eq!(attachment["size"], MAILLOG.len());
    assert_eq!(attachment["url"], format!("/api/v1/attachments/{file}"));
    // In English when asked.
    let (_, en) = get(
        &app,
        &format!("/api/v1/tickets/{number}?lang=en"),
        &customer,
    )
    .await;
    assert_eq!(en["ticket"]["state_label"], "New");
    assert_eq!(en["ticket"]["fields"][0]["label"], "End user name");

    // The file comes back as it went in, as an attachment that cannot run as a page.
    let response = app
        .client()
        .get(app.url(&format!("/api/v1/attachments/{file}")))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let h = response.headers().clone();
    assert_eq!(h[CONTENT_TYPE], "text/plain; charset=utf-8");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"maillog.txt\"; filename*=UTF-8''maillog.txt"
    );
    assert_eq!(response.bytes().await.unwrap(), MAILLOG);

    // The agent answers and expects no more: pending close.
    let (status, t) = post(
        &app,
        &format!("/api/v1/tickets/{number}/replies"),
        &agent,
        json!({"body": "設定をご確認ください。", "next_state": "pending_close", "priority": "4"}),
    )
    .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["ticket"]["state"], "pending_close");
    assert_eq!(t["ticket"]["priority"], 4);
    // The customer sees the answer and replies: back to support.
    let (_, t) = get(&app, &format!("/api/v1/tickets/{number}"), &customer).await;
    assert_eq!(t["articles"][1]["sender"], "agent");
    assert_eq!(t["articles"][1]["author"], "佐藤 健");
    assert_eq!(t["articles"][1]["body"], "設定をご確認ください。");
    assert_eq!(t["history"], json!([]), "history is the agents'");
    let reply = format!("/api/v1/tickets/{number}/replies");
    let (status, t) = post(&app, &reply, &customer, json!({"body": "まだ送れません。"})).await;
    assert_eq!(status, 201);
    assert_eq!(t["ticket"]["state"], "in_progress");
    // A customer cannot choose an agent's state.
    let (status, e) = post(
        &app,
        &reply,
        &customer,
        json!({"body": "x", "next_state": "pending_close"}),
    )
    .await;
    assert_eq!(
        (status.as_u16(), e["code"].as_str()),
        (422, Some("validation"))
    );
    assert!(e["errors"]["next_state"].is_string());
    // The customer closes it.
    let (status, t) = post(
        &app,
        &reply,
        &customer,
        json!({"body": "解決しました。", "next_state": "closed"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(t["ticket"]["state"], "closed");
    // A closed ticket takes no reply, from either side.
    for token in [&customer, &agent] {
        let (status, e) = post(&app, &reply, token, json!({"body": "追記です。"})).await;
        assert_eq!(status, 409);
        assert_eq!(e["code"], "conflict");
        assert!(
            e["message"].as_str().unwrap().contains("新規チケット"),
            "{e}"
        );
    }
    let (_, t) = get(&app, &format!("/api/v1/tickets/{number}"), &agent).await;
    assert_eq!(t["articles"].as_array().unwrap().len(), 4);
    let changes: Vec<(&str, &str)> = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["field"] == "state")
        .map(|h| (h["from"].as_str().unwrap(), h["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [
            ("new", "pending_close"),
            ("pending_close", "in_progress"),
            ("in_progress", "closed")
        ]
    );

    // Lists: open by default, closed on request; a follow-up cites the closed one.
    let (_, open_list) = get(&app, "/api/v1/tickets", &customer).await;
    assert_eq!(open_list["total"], 0);
    let (_, closed) = get(&app, "/api/v1/tickets?state=closed", &customer).await;
    assert_eq!(numbers(&closed), [number.as_str()]);
    let mut follow_up = new_ticket("追加の質問");
    follow_up["refers_to"] = json!(number);
    let (status, t) = post(&app, "/api/v1/tickets", &customer, follow_up).await;
    assert_eq!(status, 201);
    assert_eq!(t["refers_to"], number);

    // An agent reopens the old one without a message; a customer may not.
    let state = format!("/api/v1/tickets/{number}/state");
    let (status, _) = post(&app, &state, &customer, json!({"state": "in_progress"})).await;
    assert_eq!(status, 404);
    let (status, e) = post(&app, &state, &agent, json!({"state": "bogus"})).await;
    assert_eq!(
        (status.as_u16(), e["code"].as_str()),
        (422, Some("validation"))
    );
    let (status, t) = post(&app, &state, &agent, json!({"state": "in_progress"})).await;
    assert_eq!(status, 200);
    assert_eq!(t["ticket"]["state"], "in_progress");
    let (_, all) = get(
        &app,
        "/api/v1/tickets?state=all&order=oldest&per_page=1",
        &agent,
    )
    .await;
    assert_eq!(
        (all["total"].as_i64(), all["pages"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(numbers(&all), [number.as_str()]);
}

// ---------------------------------------------------------------------------------------
// Isolation

async fn another_companys_tickets_and_files_do_not_exist(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let other = app
        .add_company("他社株式会社", "2000-01-01", "2999-12-31")
        .await;
    app.add_customer_of(other, "stranger@example.com", "他社 一郎")
        .await;
    app.add_agent("sato@example.com", "佐藤 健").await;
    let owner = token_of(&app, "yamada@example.com").await;
    let stranger = token_of(&app, "stranger@example.com").await;
    let agent = token_of(&app, "sato@example.com").await;
    let (number, file) = open_with_file(&app, &owner, "メール送信不可について").await;
    let missing_number = format!("{}9999", &number[..10]);

    // By number, by attachment id, in every endpoint: the same 404 as something missing.
    for (theirs, missing) in [
        (
            format!("/api/v1/tickets/{number}"),
            format!("/api/v1/tickets/{missing_number}"),
        ),
        (
            format!("/api/v1/tickets/{number}/attachments"),
            format!("/api/v1/tickets/{missing_number}/attachments"),
        ),
        (
            format!("/api/v1/attachments/{file}"),
            "/api/v1/attachments/987654321".to_string(),
        ),
        (
            format!("/api/v1/attachments/{file}"),
            "/api/v1/attachments/not-a-number".to_string(),
        ),
    ] {
        let a = get(&app, &theirs, &stranger).await;
        let b = get(&app, &missing, &stranger).await;
        assert_eq!(a.0, 404, "{theirs}");
        assert_eq!(a, b, "{theirs} vs {missing}");
        assert_eq!(a.1["code"], "not_found");
    }
    for (path, body) in [
        ("replies", json!({"body": "横から失礼します。"})),
        ("notes", json!({"body": "x"})),
        ("state", json!({"state": "closed"})),
    ] {
        let a = post(
            &app,
            &format!("/api/v1/tickets/{number}/{path}"),
            &stranger,
            body.clone(),
        )
        .await;
        let b = post(
            &app,
            &format!("/api/v1/tickets/{missing_number}/{path}"),
            &stranger,
            body,
        )
        .await;
        assert_eq!(a.0, 404, "{path}");
        assert_eq!(a, b, "{path}");
    }
    // Lists are limited to the own company, whatever is asked for.
    let owner_company = app.user("yamada@example.com").await.company_id.unwrap();
    for q in [
        "",
        "?state=all",
        &format!("?state=all&company={owner_company}&q={number}"),
    ] {
        let (status, list) = get(&app, &format!("/api/v1/tickets{q}"), &stranger).await;
        assert_eq!(status, 200);
        assert_eq!(list["total"], 0, "{q}");
    }
    // The ticket is still there for its company and for agents.
    assert_eq!(
        get(&app, &format!("/api/v1/tickets/{number}"), &owner)
            .await
            .0,
        200
    );
    let (_, list) = get(
        &app,
        &format!("/api/v1/tickets?company={owner_company}"),
        &agent,
    )
    .await;
    assert_eq!(numbers(&list), [number.as_str()]);
    let (_, list) = get(&app, &format!("/api/v1/tickets?company={other}"), &agent).await;
    assert_eq!(list["total"], 0);
}

async fn internal_notes_and_their_files_never_reach_customers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    app.add_customer("emily@example.com", "Emily Carter").await;
    app.add_agent("sato@example.com", "佐藤 健").await;
    let customer = token_of(&app, "yamada@example.com").await;
    let colleague = token_of(&app, "emily@example.com").await;
    let agent = token_of(&app, "sato@example.com").await;
    let (number, question_file) = open_with_file(&app, &customer, "メール送信不可について").await;

    // Customers cannot write notes: the endpoint does not exist for them.
    let notes = format!("/api/v1/tickets/{number}/notes");
    let (status, e) = post(&app, &notes, &customer, json!({"body": "メモ"})).await;
    assert_eq!(
        (status.as_u16(), e["code"].as_str()),
        (404, Some("not_found"))
    );

    let (status, t) = post_multipart(
        &app,
        &notes,
        &agent,
        &[("body", "NOTE-CANARY: 既知の不具合 #4711")],
        &[("internal-analysis.txt", b"NOTE-FILE-CANARY")],
    )
    .await;
    assert_eq!(status, 201, "{t}");
    let note = &t["articles"][1];
    assert_eq!(note["internal"], true);
    let note_file = note["attachments"][0]["id"].as_i64().unwrap();

    for token in [&customer, &colleague] {
        let (status, t) = get(&app, &format!("/api/v1/tickets/{number}"), token).await;
        assert_eq!(status, 200);
        let text = t.to_string();
        assert!(!text.contains("CANARY"), "{text}");
        assert!(!text.contains("internal-analysis"), "{text}");
        assert_eq!(t["articles"].as_array().unwrap().len(), 1);
        let (_, files) = get(
            &app,
            &format!("/api/v1/tickets/{number}/attachments"),
            token,
        )
        .await;
        let ids: Vec<i64> = files["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [question_file]);
        let hidden = get(&app, &format!("/api/v1/attachments/{note_file}"), token).await;
        let missing = get(&app, "/api/v1/attachments/987654321", token).await;
        assert_eq!(hidden.0, 404);
        assert_eq!(hidden, missing);
    }
    // Agents see both, and the note's file downloads for them.
    let (_, files) = get(
        &app,
        &format!("/api/v1/tickets/{number}/attachments"),
        &agent,
    )
    .await;
    assert_eq!(files["attachments"].as_array().unwrap().len(), 2);
    let response = app
        .client()
        .get(app.url(&format!("/api/v1/attachments/{note_file}")))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), &b"NOTE-FILE-CANARY"[..]);
}

async fn related_articles_come_from_the_customer_edition(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    app.add_agent("sato@example.com", "佐藤 健").await;
    let customer = token_of(&app, "yamada@example.com").await;
    let agent = token_of(&app, "sato@example.com").await;
    let (status, related) = get(
        &app,
        "/api/v1/related?subject=narwhal&body=gateway",
        &customer,
    )
    .await;
    assert_eq!(status, 200, "{related}");
    let ids: Vec<u64> = related["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_u64().unwrap())
        .collect();
    assert!(ids.contains(&u64::from(kb::CUSTOMER)), "{related}");
    assert_eq!(related["total"], ids.len());
    let hit = related["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == kb::CUSTOMER)
        .unwrap();
    assert!(hit["url"].as_str().unwrap().starts_with("/kb/"), "{hit}");
    // The internal edition's words find nothing, for agents too: it is never searched.
    for token in [&customer, &agent] {
        let (status, related) = get(&app, "/api/v1/related?subject=axolotl", token).await;
        assert_eq!(status, 200);
        assert!(
            !related.to_string().contains("axolotl"),
            "internal article leaked: {related}"
        );
    }
    let (status, e) = get(&app, "/api/v1/related?subject=x&limit=0", &customer).await;
    assert_eq!(status, 422);
    assert!(e["errors"]["limit"].is_string());
    let (_, empty) = get(&app, "/api/v1/related", &customer).await;
    assert_eq!(empty, json!({"total": 0, "hits": []}));
}

// ---------------------------------------------------------------------------------------
// Validation and limits

async fn validation_errors_name_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let ended = app
        .add_company("青葉システム株式会社", "2020-01-01", "2021-12-31")
        .await;
    app.add_customer_of(ended, "suzuki@aoba.example", "鈴木 花子")
        .await;
    let token = token_of(&app, "yamada@example.com").await;

    let (status, e) = post(&app, "/api/v1/tickets", &token, json!({})).await;
    assert_eq!(status, 422);
    assert_eq!(e["code"], "validation");
    assert_eq!(e["error"], "validation");
    let fields: Vec<&str> = e["errors"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        ["body", "field.end_user", "queue", "subject", "ticket_type"]
    );
    assert_eq!(e["errors"]["subject"], "表題を入力してください。");
    assert_eq!(e["errors"]["field.end_user"], "この項目は必須です。");
    // The same in English when asked.
    let (_, en) = post(&app, "/api/v1/tickets?lang=en", &token, json!({})).await;
    assert_eq!(en["errors"]["subject"], "Please enter a subject.");
    assert_eq!(en["errors"]["field.end_user"], "This field is required.");

    // Wrong values and unknown fields are named too.
    let mut bad = new_ticket("a\nb");
    bad["priority"] = json!(9);
    bad["queue"] = json!("99");
    bad["fields"]["colour"] = json!("blue");
    let (status, e) = post(&app, "/api/v1/tickets?lang=en", &token, bad).await;
    assert_eq!(status, 422);
    let fields: BTreeSet<&str> = e["errors"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["field.colour", "priority", "queue", "subject"])
    );
    // A body that is not the request's JSON says why.
    let (status, e) = post(
        &app,
        "/api/v1/tickets?lang=en",
        &token,
        json!({"subjct": "typo"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        e["errors"]["body"].as_str().unwrap().contains("subjct"),
        "{e}"
    );
    let response = app
        .client()
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = app
        .client()
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "text/plain")
        .body("subject=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    // List parameters.
    let (status, e) = get(
        &app,
        "/api/v1/tickets?state=bogus&per_page=0&page=x&order=up",
        &token,
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = e["errors"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["order", "page", "per_page", "state"]);
    // Nothing was created by any of it.
    assert_eq!(
        get(&app, "/api/v1/tickets?state=all", &token).await.1["total"],
        0
    );

    // An ended contract reads, and cannot write: 403 `not_allowed` with the reason.
    let late = token_of(&app, "suzuki@aoba.example").await;
    let (status, e) = post(&app, "/api/v1/tickets", &late, new_ticket("契約終了後")).await;
    assert_eq!(status, 403);
    assert_eq!(e["code"], "not_allowed");
    assert_eq!(get(&app, "/api/v1/tickets", &late).await.0, 200);
}

async fn oversized_bodies_are_refused_with_413(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.server.max_form_kib = 16;
        c.tickets.attachment_max_file_mib = 1;
        c.tickets.attachment_max_request_mib = 2;
    })
    .await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let token = token_of(&app, "yamada@example.com").await;

    // A JSON body over the form limit (16 KiB).
    let mut big = new_ticket("大きすぎる本文");
    big["body"] = json!("あ".repeat(10_000));
    let (status, e) = post(&app, "/api/v1/tickets", &token, big).await;
    assert_eq!(status, 413);
    assert_eq!(e["code"], "payload_too_large");
    assert!(!e["message"].as_str().unwrap().is_empty());
    // A file over the file limit (1 MiB), and files over the request limit (2 MiB).
    let fields = [
        ("ticket_type", "8"),
        ("queue", "1"),
        ("subject", "大きすぎる添付"),
        ("body", "ログです。"),
        ("field.end_user", "株式会社さくら精機"),
    ];
    let too_big = vec![b'x'; 1024 * 1024 + 1];
    let (status, e) = post_multipart(
        &app,
        "/api/v1/tickets",
        &token,
        &fields,
        &[("huge.log", &too_big)],
    )
    .await;
    assert_eq!(
        (status.as_u16(), e["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let part = vec![b'y'; 900 * 1024];
    let (status, _) = post_multipart(
        &app,
        "/api/v1/tickets",
        &token,
        &fields,
        &[("a.log", &part), ("b.log", &part), ("c.log", &part)],
    )
    .await;
    assert_eq!(status, 413);
    // Nothing was stored; within the limits the same form goes through.
    assert_eq!(
        get(&app, "/api/v1/tickets?state=all", &token).await.1["total"],
        0
    );
    let (status, t) = post_multipart(
        &app,
        "/api/v1/tickets",
        &token,
        &fields,
        &[("a.log", &part)],
    )
    .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["articles"][0]["attachments"][0]["size"], 900 * 1024);
}

// ---------------------------------------------------------------------------------------
// The OpenAPI document

/// Follows a `$ref` to its schema.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            let target = &doc["components"]["schemas"][name];
            assert!(!target.is_null(), "dangling {r}");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// Whether `value` has the schema's type(s).
fn type_matches(value: &Value, schema: &Value) -> bool {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return true,
    };
    types.iter().any(|t| match *t {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    })
}

/// Checks a real answer against a schema of the document: types, enums, required keys,
/// and no key the schema does not name, all the way down. Returns the problems.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    if let Some(alternatives) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fits = alternatives
            .iter()
            .any(|alt| check(doc, alt, value, at).is_empty());
        return if fits {
            Vec::new()
        } else {
            vec![format!("{at}: fits no alternative: {value}")]
        };
    }
    if !type_matches(value, schema) {
        return vec![format!("{at}: {value} is not {}", schema["type"])];
    }
    if let Some(values) = schema["enum"].as_array() {
        if !values.contains(value) {
            return vec![format!("{at}: {value} not in {values:?}")];
        }
    }
    let mut problems = Vec::new();
    if let (Some(props), Some(object)) = (schema["properties"].as_object(), value.as_object()) {
        for key in object.keys() {
            if !props.contains_key(key) {
                problems.push(format!("{at}.{key}: answered but not in the schema"));
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let key = required.as_str().expect("required names are strings");
            if !object.contains_key(key) {
                problems.push(format!("{at}.{key}: required but not answered"));
            }
        }
        for (key, sub) in props {
            if let Some(v) = object.get(key) {
                problems.extend(check(doc, sub, v, &format!("{at}.{key}")));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            problems.extend(check(doc, items, v, &format!("{at}[{i}]")));
        }
    }
    problems
}

/// The schema of an operation's JSON answer for a status.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> &'a Value {
    let schema = &doc["paths"][path][method]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path} documents no {status} JSON"
    );
    schema
}

async fn the_openapi_document_matches_the_routes_and_the_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    app.add_agent("sato@example.com", "佐藤 健").await;

    // Served without credentials, valid JSON, OpenAPI 3.1.
    let response = app
        .client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = serde_json::from_str(&response.text().await.unwrap()).expect("valid JSON");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );

    // Its operations are exactly the router's.
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served);
    let ids: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|ops| ops.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), ROUTES.len(), "operation ids are unique");
    // And the router really serves each of them: without credentials every one but the
    // document answers 401, where a path it does not serve is a 404.
    for (method, path) in ROUTES {
        if *path == "/api/v1/openapi.json" {
            continue;
        }
        let concrete = path
            .replace("{number}", "201806191010")
            .replace("{id}", "1");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (status, body) = call(&app, method.clone(), &concrete, None, Some(json!({}))).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
    }
    let (status, _) = call(&app, Method::GET, "/api/v1/nothing-here", None, None).await;
    assert_eq!(status, 404);

    // Real answers fit the schemas the document gives for them.
    let customer = token_of(&app, "yamada@example.com").await;
    let agent = token_of(&app, "sato@example.com").await;
    let (number, file) = open_with_file(&app, &customer, "スキーマ確認").await;
    post(
        &app,
        &format!("/api/v1/tickets/{number}/notes"),
        &agent,
        json!({"body": "メモ"}),
    )
    .await;
    post(
        &app,
        &format!("/api/v1/tickets/{number}/replies"),
        &agent,
        json!({"body": "回答です。", "next_state": "awaiting_customer"}),
    )
    .await;
    let client = app.logged_in("yamada@example.com", PASSWORD).await;
    let session_me: Value = app.get(&client, "/api/v1/me").await.json().await.unwrap();
    let cases: Vec<(&str, String, u16, Value)> = vec![
        (
            "get",
            "/api/v1/tickets".into(),
            200,
            get(&app, "/api/v1/tickets", &customer).await.1,
        ),
        (
            "get",
            "/api/v1/tickets".into(),
            200,
            get(&app, "/api/v1/tickets", &agent).await.1,
        ),
        (
            "get",
            "/api/v1/tickets/{number}".into(),
            200,
            get(&app, &format!("/api/v1/tickets/{number}"), &agent)
                .await
                .1,
        ),
        (
            "get",
            "/api/v1/tickets/{number}".into(),
            200,
            get(&app, &format!("/api/v1/tickets/{number}"), &customer)
                .await
                .1,
        ),
        (
            "get",
            "/api/v1/tickets/{number}/attachments".into(),
            200,
            get(
                &app,
                &format!("/api/v1/tickets/{number}/attachments"),
                &customer,
            )
            .await
            .1,
        ),
        (
            "get",
            "/api/v1/me".into(),
            200,
            get(&app, "/api/v1/me", &customer).await.1,
        ),
        ("get", "/api/v1/me".into(), 200, session_me),
        (
            "post",
            "/api/v1/tickets".into(),
            201,
            post(&app, "/api/v1/tickets", &customer, new_ticket("二件目"))
                .await
                .1,
        ),
        (
            "post",
            "/api/v1/tickets".into(),
            422,
            post(&app, "/api/v1/tickets", &customer, json!({})).await.1,
        ),
        (
            "get",
            "/api/v1/attachments/{id}".into(),
            404,
            get(
                &app,
                &format!("/api/v1/attachments/{}", file + 1000),
                &customer,
            )
            .await
            .1,
        ),
        (
            "get",
            "/api/v1/tickets".into(),
            401,
            call(&app, Method::GET, "/api/v1/tickets", None, None)
                .await
                .1,
        ),
    ];
    for (method, path, status, answer) in &cases {
        let schema = response_schema(&doc, method, path, *status);
        let problems = check(&doc, schema, answer, &format!("{method} {path} {status}"));
        assert!(problems.is_empty(), "{problems:#?}\n{answer:#}");
    }
    // The check itself catches a shape the document does not describe.
    let mut wrong = cases[2].3.clone();
    wrong["ticket"]["surprise"] = json!(1);
    wrong["articles"][0]["id"] = json!("one");
    let problems = check(
        &doc,
        response_schema(&doc, "get", "/api/v1/tickets/{number}", 200),
        &wrong,
        "x",
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

/// A password reset means someone may know the old password and may have made a token with
/// it: every token of the user dies; another user's token lives on.
async fn a_password_reset_revokes_the_users_api_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("reset-token@example.com", "トークン 太郎")
        .await;
    app.add_customer("bystander@example.com", "Bystander").await;
    let first = token_of(&app, "reset-token@example.com").await;
    let second = token_of(&app, "reset-token@example.com").await;
    let other = token_of(&app, "bystander@example.com").await;
    assert_eq!(get(&app, "/api/v1/me", &first).await.0, 200);

    let path = crate::reset::request_reset(&app, "reset-token@example.com", 1).await;
    let client = app.client();
    let r = crate::reset::set_new_password(&app, &client, &path, "nagai-aikotoba-2026-fuji").await;
    assert_eq!(r.status(), 303);

    assert_eq!(get(&app, "/api/v1/me", &first).await.0, 401);
    assert_eq!(get(&app, "/api/v1/me", &second).await.0, 401);
    assert_eq!(get(&app, "/api/v1/me", &other).await.0, 200);
}

crate::both_backends!(
    a_password_reset_revokes_the_users_api_tokens,
    api_tokens_are_shown_once_work_as_bearer_and_die_when_revoked,
    a_user_holds_at_most_twenty_tokens_even_when_creations_race,
    a_session_needs_the_csrf_header_to_change_anything,
    the_support_flow_through_the_api,
    another_companys_tickets_and_files_do_not_exist,
    internal_notes_and_their_files_never_reach_customers,
    related_articles_come_from_the_customer_edition,
    validation_errors_name_every_field,
    oversized_bodies_are_refused_with_413,
    the_openapi_document_matches_the_routes_and_the_answers,
);

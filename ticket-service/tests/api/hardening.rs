//! Issue 11, the rest: password strength, read timeouts, methods and caching of the static
//! editions, the contract policy of `/kb/`.

use crate::helpers::*;
use crate::reset::{request_reset, set_new_password};
use crate::settings::change_password;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REPEAT_JA: &str = "同じ文字や並びの繰り返し";
const REPEAT_EN: &str = "repeated characters or patterns";

async fn weak_passwords_are_refused_with_the_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("weak@example.com", "Weak").await;
    let client = app.logged_in("weak@example.com", PASSWORD).await;

    // Settings, in Japanese (the user's language).
    let r = change_password(&app, &client, PASSWORD, "aaaaaaaaaa", "aaaaaaaaaa").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(REPEAT_JA), "{html}");
    assert!(
        !html.contains("Repeats like"),
        "zxcvbn's own English text is not shown"
    );
    assert!(
        app.login(&app.client(), "weak@example.com", "aaaaaaaaaa")
            .await
            .status()
            != 303,
        "the weak password was not set"
    );

    // The same in English once the user reads English.
    let csrf = app.csrf(&client, "/settings").await;
    let r = app
        .post_form(
            &client,
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
    assert!(r.status().is_redirection(), "{}", r.status());
    let r = change_password(&app, &client, PASSWORD, "aaaaaaaaaa", "aaaaaaaaaa").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(REPEAT_EN), "{html}");

    // A passphrase is accepted.
    let strong = "tea kettle under the maple";
    let r = change_password(&app, &client, PASSWORD, strong, strong).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(
        app.login(&app.client(), "weak@example.com", strong)
            .await
            .status(),
        303
    );

    // Through a reset link (the page of an anonymous visitor, in Japanese).
    let path = request_reset(&app, "weak@example.com", 1).await;
    let client = app.client();
    let r = set_new_password(&app, &client, &path, "0000000000").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(REPEAT_JA), "{html}");
    let r = set_new_password(&app, &client, &path, "another quiet harbour morning").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.login(
            &app.client(),
            "weak@example.com",
            "another quiet harbour morning"
        )
        .await
        .status(),
        303
    );
}

async fn the_strength_rule_is_configurable(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.security.min_password_score = 0).await;
    app.add_customer("lax@example.com", "Lax").await;
    let client = app.logged_in("lax@example.com", PASSWORD).await;
    let r = change_password(&app, &client, PASSWORD, "aaaaaaaaaa", "aaaaaaaaaa").await;
    assert_eq!(r.status(), 303);
}

async fn with_short_timeouts(backend: Backend) -> TestApp {
    spawn_app_with(backend, |c| {
        c.server.header_timeout_secs = 1;
        c.server.body_timeout_secs = 1;
        c.server.idle_timeout_secs = 3;
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (at most 10 s); returns what was read
/// and when the connection was closed, counted from `since`.
async fn read_until_closed(stream: &mut TcpStream, since: Instant) -> (String, Duration) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Err(_) => panic!("still open after 10 s: {}", String::from_utf8_lossy(&seen)),
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
    (String::from_utf8_lossy(&seen).into_owned(), since.elapsed())
}

async fn slow_and_idle_connections_are_closed(backend: Backend) {
    let app = with_short_timeouts(backend).await;

    // Half a header.
    let mut s = connect(&app).await;
    let started = Instant::now();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let (_, after) = read_until_closed(&mut s, started).await;
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(3),
        "half a header: closed after {after:?}"
    );

    // A kept-alive connection that goes quiet: it serves two requests, then is closed.
    let mut s = connect(&app).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    s.write_all(request).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.write_all(request).await.unwrap();
    let n = s.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "still open after a short pause"
    );
    let started = Instant::now();
    let (rest, after) = read_until_closed(&mut s, started).await;
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(4),
        "idle keep-alive: closed after {after:?} ({rest})"
    );

    // Half a body: the request fails and the connection is closed.
    let mut s = connect(&app).await;
    let started = Instant::now();
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\nemail=a%40",
    )
    .await
    .unwrap();
    let (answer, after) = read_until_closed(&mut s, started).await;
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(4),
        "half a body: closed after {after:?} ({answer})"
    );
    assert!(!answer.contains(" 200 "), "{answer}");

    // The server still serves.
    assert_eq!(app.get(&app.client(), "/healthz").await.status(), 200);
}

fn allows_only_get_and_head(r: &reqwest::Response) -> bool {
    let allow = r
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut methods: Vec<&str> = allow.split(',').map(str::trim).collect();
    methods.sort_unstable();
    methods == ["GET", "HEAD"]
}

async fn static_routes_answer_only_get_and_head(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("methods@example.com", "Methods").await;
    let customer = app.logged_in("methods@example.com", PASSWORD).await;
    let anon = app.client();
    for (client, path) in [
        (&anon, "/"),
        (&anon, "/en/"),
        (&anon, "/assets/site.css"),
        (&anon, "/nope.html"),
        (&anon, "/static/madoguchi.css"),
        (&customer, "/kb/"),
        (&customer, "/kb/faq/"),
    ] {
        for method in ["PUT", "DELETE", "POST", "TRACE", "PATCH", "OPTIONS"] {
            let r = client
                .request(method.parse().unwrap(), app.url(path))
                .body("x=1")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 405, "{method} {path}");
            assert!(allows_only_get_and_head(&r), "{method} {path}: {r:?}");
            let body = r.text().await.unwrap();
            assert!(!body.contains("HOME"), "{method} {path}: no file: {body}");
        }
        let r = client.head(app.url(path)).send().await.unwrap();
        assert!(r.status() == 200 || r.status() == 404, "HEAD {path}");
        let r = client.get(app.url(path)).send().await.unwrap();
        assert!(r.status() == 200 || r.status() == 404, "GET {path}");
    }
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn static_files_are_cacheable_compressed_and_ranged(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("cache@example.com", "Cache").await;
    let customer = app.logged_in("cache@example.com", PASSWORD).await;
    let anon = app.client();
    let page = "<p>窓口 madoguchi</p>\n".repeat(400);
    std::fs::write(app.site_dir.join("public/big.html"), &page).unwrap();
    std::fs::write(app.site_dir.join("customer/big.html"), &page).unwrap();

    // Validators and the 304s.
    let r = app.get(&anon, "/big.html").await;
    assert_eq!(r.status(), 200);
    let etag = header(&r, "etag").to_string();
    let modified = header(&r, "last-modified").to_string();
    assert!(!etag.is_empty() && modified.ends_with(" GMT"), "{r:?}");
    assert_eq!(header(&r, "cache-control"), "public, max-age=300");
    assert_eq!(r.text().await.unwrap(), page);
    let r = anon
        .get(app.url("/big.html"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "etag"), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = anon
        .get(app.url("/big.html"))
        .header("if-none-match", "W/\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = anon
        .get(app.url("/big.html"))
        .header("if-modified-since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = anon
        .get(app.url("/big.html"))
        .header("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Compression by Accept-Encoding, with Vary.
    for (accept, encoding, magic) in [
        ("gzip", "gzip", &[0x1f_u8, 0x8b][..]),
        ("br", "br", &[][..]),
    ] {
        let r = anon
            .get(app.url("/big.html"))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-encoding"), encoding);
        assert!(header(&r, "vary")
            .to_ascii_lowercase()
            .contains("accept-encoding"));
        let body = r.bytes().await.unwrap();
        assert!(
            body.len() < page.len() / 4,
            "{accept}: {} bytes",
            body.len()
        );
        assert!(body.starts_with(magic), "{accept}");
    }
    let r = anon.get(app.url("/big.html")).send().await.unwrap();
    assert_eq!(
        header(&r, "content-encoding"),
        "",
        "identity when not asked"
    );
    let r = anon
        .get(app.url("/static/madoguchi.css"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "content-encoding"), "gzip", "theme assets too");

    // Ranges.
    let payload: Vec<u8> = (0..700_001u32).map(|i| (i % 251) as u8).collect();
    std::fs::create_dir_all(app.site_dir.join("public/files")).unwrap();
    std::fs::write(app.site_dir.join("public/files/module.zip"), &payload).unwrap();
    for (range, from, to) in [
        ("bytes=0-99", 0, 99),
        ("bytes=300000-", 300_000, 700_000),
        ("bytes=-10", 699_991, 700_000),
        ("bytes=699990-999999999", 699_990, 700_000),
    ] {
        let r = anon
            .get(app.url("/files/module.zip"))
            .header("range", range)
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            header(&r, "content-range"),
            format!("bytes {from}-{to}/700001"),
            "{range}"
        );
        assert_eq!(header(&r, "content-encoding"), "");
        let body = r.bytes().await.unwrap();
        assert!(body[..] == payload[from..=to], "{range}");
    }
    let r = anon
        .get(app.url("/files/module.zip"))
        .header("range", "bytes=800000-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(header(&r, "content-range"), "bytes */700001");
    let r = anon.get(app.url("/files/module.zip")).send().await.unwrap();
    assert_eq!(header(&r, "accept-ranges"), "bytes");
    assert_eq!(r.bytes().await.unwrap().len(), payload.len());

    // The customer edition: never stored, but revalidation works, and only with a session.
    let r = app.get(&customer, "/kb/big.html").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let etag = header(&r, "etag").to_string();
    let r = customer
        .get(app.url("/kb/big.html"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let r = anon
        .get(app.url("/kb/big.html"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "no 304 without a session");
}

async fn customer_articles_close_after_the_contract_grace_period(backend: Backend) {
    let app = spawn_app(backend).await;
    let today = app.state.accounts.today();
    let end = today.format("%Y-%m-%d").to_string();
    let company = app.add_company("終了株式会社", "2020-01-01", &end).await;
    app.add_customer_of(company, "ended@example.com", "Ended")
        .await;
    app.add_agent("agent@example.com", "Agent").await;
    let day = Duration::from_secs(24 * 3600);

    // The grace period: 30 days after the end the customer edition is still there.
    app.state.clock.advance(30 * day);
    let customer = app.logged_in("ended@example.com", PASSWORD).await;
    let r = app.get(&customer, "/kb/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "<h1>CUSTOMER HOME</h1>");
    let home = app.get(&customer, "/home").await.text().await.unwrap();
    assert_eq!(
        home.matches("href=\"/kb/\"").count(),
        2,
        "the navigation and the start page link the customer edition: {home}"
    );
    let search = app.get(&customer, "/kb/search").await.text().await.unwrap();
    assert!(search.contains("href=\"/kb/\""), "{search}");

    // The day after, it closes: a page that says why, with the renewal article.
    app.state.clock.advance(day);
    let customer = app.logged_in("ended@example.com", PASSWORD).await;
    for path in ["/kb/", "/kb/faq/", "/kb/nope.html"] {
        let r = app.get(&customer, path).await;
        assert_eq!(r.status(), 403, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-store");
        let html = r.text().await.unwrap();
        assert!(!html.contains("CUSTOMER"), "{path}: {html}");
        assert!(html.contains(&format!("{end}に終了しました")), "{html}");
        assert!(html.contains("30日後"), "{html}");
        assert!(
            html.contains("href=\"&#x2F;articles&#x2F;1303.html\""),
            "{html}"
        );
        assert!(!html.contains("href=\"/kb/\""), "no link back here: {html}");
    }
    // They keep the public edition and their tickets, and the navigation and the start
    // page link the public edition instead of the closed one.
    assert_eq!(app.get(&customer, "/").await.status(), 200);
    let r = app.get(&customer, "/home").await;
    assert_eq!(r.status(), 200);
    let home = r.text().await.unwrap();
    assert!(!home.contains("href=\"/kb/\""), "{home}");
    assert_eq!(home.matches("href=\"/\">FAQ</a>").count(), 2, "{home}");
    let r = app.get(&customer, "/kb/search").await;
    assert_eq!(r.status(), 200, "search answers from the public edition");
    let search = r.text().await.unwrap();
    assert!(!search.contains("href=\"/kb/\""), "{search}");
    assert_eq!(app.get(&customer, "/api/v1/tickets").await.status(), 200);
    // Agents are not affected.
    let agent = app.logged_in("agent@example.com", PASSWORD).await;
    assert_eq!(app.get(&agent, "/kb/").await.status(), 200);
    let home = app.get(&agent, "/home").await.text().await.unwrap();
    assert!(home.contains("href=\"/kb/\""), "{home}");
}

async fn the_grace_period_is_configurable(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.security.contract_kb_grace_days = 0;
        c.tickets.renewal_article = 77;
    })
    .await;
    let today = app.state.accounts.today();
    let end = today.format("%Y-%m-%d").to_string();
    let company = app
        .add_company("当日終了株式会社", "2020-01-01", &end)
        .await;
    app.add_customer_of(company, "zero@example.com", "Zero")
        .await;
    let customer = app.logged_in("zero@example.com", PASSWORD).await;
    assert_eq!(
        app.get(&customer, "/kb/").await.status(),
        200,
        "the last day"
    );
    app.state.clock.advance(Duration::from_secs(24 * 3600));
    let customer = app.logged_in("zero@example.com", PASSWORD).await;
    let r = app.get(&customer, "/kb/").await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"&#x2F;articles&#x2F;77.html\""),
        "{html}"
    );
}

/// A renewal (`admin set-contract`, a separate process on the same database) opens the
/// customer edition again; a period that ends before it starts, or an unknown company, is
/// refused with the reason and changes nothing.
async fn a_renewed_contract_opens_the_customer_edition_again(backend: Backend) {
    // No read cache here: the command is another process, which this instance sees only
    // after the cache time (the sessions tests cover that bound).
    let app = spawn_app_with(backend, |c| c.security.session_cache_seconds = 0).await;
    let today = app.state.accounts.today();
    let end = today.format("%Y-%m-%d").to_string();
    let company = app.add_company("更新株式会社", "2020-01-01", &end).await;
    app.add_customer_of(company, "renew@example.com", "Renew")
        .await;
    app.state.clock.advance(Duration::from_secs(31 * 24 * 3600));
    let customer = app.logged_in("renew@example.com", PASSWORD).await;
    assert_eq!(app.get(&customer, "/kb/").await.status(), 403);

    let url = app.state.config.database.database_url.expose().to_string();
    let admin = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ticket-service"))
            .args(["--database-url", &url, "admin"])
            .args(args)
            .env("RUST_LOG", "warn")
            .env("MADOGUCHI_MAIL_DIR", app.mail_dir.display().to_string())
            .env("MADOGUCHI_SITE_DIR", app.site_dir.display().to_string())
            .output()
            .expect("ticket-service runs")
    };
    let set_contract = |name: &str, start: &str, end: &str| {
        admin(&[
            "set-contract",
            name,
            "--contract-start",
            start,
            "--contract-end",
            end,
        ])
    };
    let backwards = set_contract("更新株式会社", "2030-04-01", "2030-03-31");
    assert!(!backwards.status.success());
    assert!(
        String::from_utf8_lossy(&backwards.stderr).contains("contract_end"),
        "{backwards:?}"
    );
    let unknown = set_contract("無名株式会社", "2020-01-01", "2099-12-31");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("無名株式会社"),
        "{unknown:?}"
    );
    assert_eq!(app.get(&customer, "/kb/").await.status(), 403, "unchanged");

    let renewed = set_contract("更新株式会社", "2020-01-01", "2099-12-31");
    assert!(renewed.status.success(), "{renewed:?}");
    assert_eq!(app.get(&customer, "/kb/").await.status(), 200);
    let home = app.get(&customer, "/home").await.text().await.unwrap();
    assert!(home.contains("href=\"/kb/\""), "{home}");
    let list = admin(&["list-companies"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.lines()
            .any(|l| l.contains("2020-01-01 2099-12-31 更新株式会社")),
        "{list}"
    );
}

/// Through the instance that makes it, a renewal is seen at once, with the read cache on
/// (the company's row was cached by the refused request before it).
async fn a_renewal_through_this_instance_is_seen_at_once(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.security.session_cache_seconds = 60).await;
    let today = app.state.accounts.today();
    let end = today.format("%Y-%m-%d").to_string();
    let company = app
        .add_company("即時更新株式会社", "2020-01-01", &end)
        .await;
    app.add_customer_of(company, "now@example.com", "Now").await;
    app.state.clock.advance(Duration::from_secs(31 * 24 * 3600));
    let customer = app.logged_in("now@example.com", PASSWORD).await;
    assert_eq!(app.get(&customer, "/kb/").await.status(), 403);
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let renewed = app
        .state
        .accounts
        .set_contract("即時更新株式会社", d("2020-01-01"), d("2099-12-31"))
        .await
        .unwrap()
        .expect("the company");
    assert_eq!(renewed.contract_end, d("2099-12-31"));
    assert_eq!(app.get(&customer, "/kb/").await.status(), 200);
}

/// Past the grace period the customer edition is gone from search and suggestions too, not
/// only from the /kb/ pages: the same question finds the customer-only article before and
/// not after, and public articles still answer.
async fn search_and_suggestions_follow_the_contract_policy(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    let today = app.state.accounts.today();
    let end = today.format("%Y-%m-%d").to_string();
    let company = app
        .add_company("終了検索株式会社", "2020-01-01", &end)
        .await;
    app.add_customer_of(company, "ended-search@example.com", "Ended")
        .await;
    let day = Duration::from_secs(24 * 3600);
    // The test knowledge base: "narwhal" only in the customer article, "gateway" also in a
    // public one.
    let search = "/kb/search?q=narwhal+gateway";
    let related = "/api/related?subject=narwhal+gateway";
    let customer_page = format!("{}.html", kb::CUSTOMER);
    let customer_hit = format!("\"id\":{}", kb::CUSTOMER);
    let public_hit = format!("\"id\":{}", kb::PUBLIC_JA);

    let customer = app.logged_in("ended-search@example.com", PASSWORD).await;
    let page = app.get(&customer, search).await.text().await.unwrap();
    assert!(
        page.contains(&customer_page),
        "within the grace period: {page}"
    );
    let hits = app.get(&customer, related).await.text().await.unwrap();
    assert!(hits.contains(&customer_hit), "{hits}");

    app.state.clock.advance(31 * day);
    let customer = app.logged_in("ended-search@example.com", PASSWORD).await;
    let r = app.get(&customer, search).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        !page.contains(&customer_page),
        "after the grace period: {page}"
    );
    let r = app.get(&customer, related).await;
    assert_eq!(r.status(), 200);
    let hits = r.text().await.unwrap();
    assert!(
        !hits.contains(&customer_hit) && hits.contains(&public_hit),
        "public hits only: {hits}"
    );
}

crate::both_backends!(
    search_and_suggestions_follow_the_contract_policy,
    a_renewed_contract_opens_the_customer_edition_again,
    a_renewal_through_this_instance_is_seen_at_once,
    customer_articles_close_after_the_contract_grace_period,
    the_grace_period_is_configurable,
    static_files_are_cacheable_compressed_and_ranged,
    static_routes_answer_only_get_and_head,
    weak_passwords_are_refused_with_the_reason,
    the_strength_rule_is_configurable,
    slow_and_idle_connections_are_closed,
);

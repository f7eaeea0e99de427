//! FAQ usage over HTTP: the view beacon (de-duplicated, robots ignored), votes (one per
//! user and article, under concurrency), saved searches, and the stats export read back by
//! a kb-builder build.

use crate::helpers::*;
use std::time::Duration;

/// Page text with tera's escapes of `/` and `&` undone, to compare with what a reader sees.
fn text(html: String) -> String {
    html.replace("&#x2F;", "/").replace("&amp;", "&")
}

const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";

async fn beacon(app: &TestApp, id: u32, ua: &str, from: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(&format!("/faq/{id}/view.gif")))
        .header("user-agent", ua)
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
}

async fn views(app: &TestApp, id: u32) -> u64 {
    app.state
        .faq
        .export()
        .await
        .unwrap()
        .get(&id)
        .map(|s| s.views)
        .unwrap_or(0)
}

async fn views_count_once_per_visitor_within_ten_minutes(backend: Backend) {
    let app = spawn_app_with_kb_and(backend, |c| {
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let id = kb::PUBLIC_JA;
    let r = beacon(&app, id, BROWSER, "203.0.113.1").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/gif");
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-store"));
    // The same visitor, 100 times at once: one view.
    let many = (0..100).map(|_| beacon(&app, id, BROWSER, "203.0.113.1"));
    for r in futures_util::future::join_all(many).await {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(views(&app, id).await, 1);
    // Another visitor counts; robots, scripts and unknown articles do not.
    beacon(&app, id, BROWSER, "203.0.113.2").await;
    beacon(
        &app,
        id,
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "203.0.113.3",
    )
    .await;
    beacon(&app, id, "curl/8.5.0", "203.0.113.4").await;
    beacon(&app, id, "", "203.0.113.5").await;
    assert_eq!(
        beacon(&app, 999_999, BROWSER, "203.0.113.6").await.status(),
        200
    );
    assert_eq!(views(&app, id).await, 2);
    assert_eq!(views(&app, 999_999).await, 0);
    // Ten minutes later the first visitor counts again.
    app.state.clock.advance(Duration::from_secs(10 * 60 + 1));
    beacon(&app, id, BROWSER, "203.0.113.1").await;
    assert_eq!(views(&app, id).await, 3);
}

async fn vote(app: &TestApp, client: &reqwest::Client, id: u32, stars: &str) -> reqwest::Response {
    let csrf = app.csrf(client, &format!("/faq/{id}/vote")).await;
    app.post_form(
        client,
        &format!("/faq/{id}/vote"),
        &[("csrf", &csrf), ("stars", stars)],
    )
    .await
}

async fn customers_vote_once_per_article_and_may_change_it(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("a@example.com", "A").await;
    app.add_customer("b@example.com", "B").await;
    app.add_agent("agent@example.com", "Agent").await;
    let a = app.logged_in("a@example.com", PASSWORD).await;
    let b = app.logged_in("b@example.com", PASSWORD).await;
    let id = kb::CUSTOMER;
    let r = vote(&app, &a, id, "4").await;
    assert_eq!(r.status(), 200);
    let html = text(r.text().await.unwrap());
    assert!(html.contains("4.0 / 5（1 票）"), "{html}");
    assert_eq!(
        vote(&app, &a, id, "2").await.status(),
        200,
        "changed, not added"
    );
    vote(&app, &b, id, "5").await;
    let stats = app.state.faq.export().await.unwrap()[&id];
    assert_eq!((stats.votes, stats.rating), (2, 3.5));

    // The same vote sent 50 times at once is still one vote.
    let csrf = app.csrf(&a, &format!("/faq/{id}/vote")).await;
    let many = (0..50).map(|i| {
        a.post(app.url(&format!("/faq/{id}/vote")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("stars", if i % 2 == 0 { "1" } else { "3" }),
            ])
            .send()
    });
    for r in futures_util::future::join_all(many).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    assert_eq!(app.state.faq.export().await.unwrap()[&id].votes, 2);

    // Bad values, articles outside the customer edition, agents, anonymous visitors.
    assert_eq!(vote(&app, &a, id, "6").await.status(), 422);
    assert_eq!(vote(&app, &a, kb::INTERNAL, "5").await.status(), 404);
    assert_eq!(vote(&app, &a, 999_999, "5").await.status(), 404);
    let agent = app.logged_in("agent@example.com", PASSWORD).await;
    assert_eq!(
        app.get(&agent, &format!("/faq/{id}/vote")).await.status(),
        404
    );
    let anonymous = app.client();
    let r = app.get(&anonymous, &format!("/faq/{id}/vote")).await;
    assert_eq!(r.status(), 303, "to the login");
    let r = app
        .post_form(&a, &format!("/faq/{id}/vote"), &[("stars", "5")])
        .await;
    assert_eq!(r.status(), 403, "no CSRF token");
}

async fn saved_searches_are_named_run_and_deleted(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("a@example.com", "A").await;
    app.add_customer("b@example.com", "B").await;
    let a = app.logged_in("a@example.com", PASSWORD).await;
    let b = app.logged_in("b@example.com", PASSWORD).await;
    let csrf = app.csrf(&a, "/kb/search?q=narwhal").await;
    let r = app
        .post_form(
            &a,
            "/kb/search/saved",
            &[
                ("csrf", &csrf),
                ("name", "契約者手順"),
                ("q", "narwhal"),
                ("language", "ja"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = text(app.get(&a, &location(&r)).await.text().await.unwrap());
    assert!(html.contains("契約者手順"), "{html}");
    assert!(html.contains("/kb/search?q=narwhal&language=ja"), "{html}");
    // The same name again: the form comes back with the reason and the name typed.
    let r = app
        .post_form(
            &a,
            "/kb/search/saved",
            &[("csrf", &csrf), ("name", "契約者手順"), ("q", "quokka")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = text(r.text().await.unwrap());
    assert!(html.contains("すでに保存されています"), "{html}");
    // Saved searches are personal.
    let other = app.get(&b, "/kb/search").await.text().await.unwrap();
    assert!(!other.contains("契約者手順"));
    let id = {
        let start = html.find("/kb/search/saved/").unwrap() + "/kb/search/saved/".len();
        html[start..].split('/').next().unwrap().to_string()
    };
    let csrf_b = app.csrf(&b, "/kb/search").await;
    let r = app
        .post_form(
            &b,
            &format!("/kb/search/saved/{id}/delete"),
            &[("csrf", &csrf_b)],
        )
        .await;
    assert_eq!(r.status(), 404, "another user's saved search");
    let r = app
        .post_form(
            &a,
            &format!("/kb/search/saved/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = app.get(&a, "/kb/search").await.text().await.unwrap();
    assert!(!html.contains("契約者手順"));
}

async fn the_stats_export_feeds_the_top_ten_and_ratings_of_a_build(backend: Backend) {
    let app = spawn_app_with_kb_and(backend, |c| {
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    app.add_customer("a@example.com", "A").await;
    // Lemming 405 is viewed by three visitors, 407 by two, 102 by one.
    for (id, visitors) in [(405u32, 3), (407, 2), (kb::PUBLIC_EN, 1)] {
        for v in 0..visitors {
            beacon(&app, id, BROWSER, &format!("198.51.100.{v}")).await;
        }
    }
    let a = app.logged_in("a@example.com", PASSWORD).await;
    vote(&app, &a, 405, "4").await;
    // The export the cron line writes, read by kb-builder.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ticket-service"))
        .args([
            "--database-url",
            app.state.config.database.database_url.expose(),
            "export-faq-stats",
        ])
        .env("RUST_LOG", "warn")
        .env("MADOGUCHI_SITE_DIR", app.site_dir.display().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats_file = app.content_dir.parent().unwrap().join("stats.json");
    std::fs::write(&stats_file, &out.stdout).unwrap();
    let opts = kb_builder::site::BuildOptions {
        content: app.content_dir.clone(),
        out: app.site_dir.clone(),
        theme: kb_builder::theme::default_dir(),
        stats: Some(stats_file),
        progress: false,
        base_url: None,
        precompress: false,
    };
    tokio::task::spawn_blocking(move || kb_builder::site::build(&opts))
        .await
        .unwrap()
        .unwrap();
    let home = std::fs::read_to_string(app.site_dir.join("public/index.html")).unwrap();
    let top = &home[home.find("id=\"top10\"").expect("a top-10 list")..];
    let (p405, p407, p102) = (
        top.find("lemming 記事 405").unwrap(),
        top.find("lemming 記事 407").unwrap(),
        top.find("Setting up quokka").unwrap(),
    );
    assert!(p405 < p407 && p407 < p102, "ordered by views");
    let article = std::fs::read_to_string(
        app.site_dir
            .join("customer")
            .join(kb_builder::urls::article_path(405)),
    )
    .unwrap();
    let info = &article[article.find("class=\"infobox\"").unwrap()..];
    assert!(
        info.contains("4.0 / 5 (1 "),
        "rating and votes on the page: {info}"
    );
}

/// The stars a radio button of the vote form has checked, in order.
fn checked(html: &str) -> Vec<String> {
    html.split("<input type=\"radio\" name=\"stars\" value=\"")
        .skip(1)
        .filter(|rest| rest[..rest.find('>').unwrap()].contains("checked"))
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

async fn the_article_page_s_stars_are_preselected_on_the_vote_page(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("a@example.com", "A").await;
    let a = app.logged_in("a@example.com", PASSWORD).await;
    let id = kb::CUSTOMER;
    // The customer edition's article page sends the chosen stars to the vote page.
    let page = app
        .get(&a, &format!("/kb/{}", kb_builder::urls::article_path(id)))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text(page).contains(&format!("<form method=\"get\" action=\"/faq/{id}/vote\"")),
        "the article page has the vote form"
    );
    let page = |query: &'static str| {
        let (app, a) = (&app, &a);
        async move {
            let r = app.get(a, &format!("/faq/{id}/vote{query}")).await;
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    assert_eq!(checked(&page("?stars=4").await), ["4"]);
    assert!(checked(&page("").await).is_empty());
    // Opening the page records nothing: the customer confirms with the form.
    assert!(!app.state.faq.export().await.unwrap().contains_key(&id));
    // An earlier vote is shown unless other stars were chosen; nonsense is ignored.
    assert_eq!(vote(&app, &a, id, "2").await.status(), 200);
    assert_eq!(checked(&page("").await), ["2"]);
    assert_eq!(checked(&page("?stars=5").await), ["5"]);
    assert_eq!(checked(&page("?stars=9").await), ["2"]);
    assert_eq!(checked(&page("?stars=x").await), ["2"]);
}

crate::both_backends!(
    views_count_once_per_visitor_within_ten_minutes,
    customers_vote_once_per_article_and_may_change_it,
    saved_searches_are_named_run_and_deleted,
    the_stats_export_feeds_the_top_ten_and_ratings_of_a_build,
    the_article_page_s_stars_are_preselected_on_the_vote_page,
);

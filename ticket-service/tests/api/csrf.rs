use crate::helpers::*;

async fn posts_without_a_valid_token_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("csrf@example.com", "Csrf").await;

    // Login: no session at all, no token, wrong token.
    let bare = app.client();
    let r = app
        .post_form(
            &bare,
            "/login",
            &[("email", "csrf@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 403);
    let client = app.client();
    let _ = app.csrf(&client, "/login").await;
    let r = app
        .post_form(
            &client,
            "/login",
            &[("email", "csrf@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("再読み込み"));
    let r = app
        .post_form(
            &client,
            "/login",
            &[
                ("csrf", "x".repeat(43).as_str()),
                ("email", "csrf@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(!app.is_logged_in(&client).await);

    // Logged in: settings and password forms, logout.
    let client = app.logged_in("csrf@example.com", PASSWORD).await;
    let before = app.user("csrf@example.com").await;
    let r = app
        .post_form(
            &client,
            "/settings/preferences",
            &[
                ("language", "en"),
                ("time_zone", "UTC"),
                ("refresh", "5"),
                ("page_size", "50"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_form(
            &client,
            "/settings/password",
            &[
                ("csrf", "wrong"),
                ("current", PASSWORD),
                ("new", "brand-new-secret-1"),
                ("confirm", "brand-new-secret-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.post_form(&client, "/logout", &[]).await.status(), 403);

    let after = app.user("csrf@example.com").await;
    assert_eq!(
        after.password_hash, before.password_hash,
        "password unchanged"
    );
    assert_eq!(after.time_zone, before.time_zone, "preferences unchanged");
    assert_eq!(after.language, before.language);
    assert!(app.is_logged_in(&client).await, "still logged in");

    // The anonymous pre-session token is not valid for another visitor.
    let other = app.client();
    let stolen = app.csrf(&app.client(), "/login").await;
    let _ = app.csrf(&other, "/login").await;
    let r = app
        .post_form(
            &other,
            "/login",
            &[
                ("csrf", &stolen),
                ("email", "csrf@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
}

async fn cross_site_requests_are_refused_even_with_a_valid_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("csrf@example.com", "Csrf").await;
    let client = app.logged_in("csrf@example.com", PASSWORD).await;
    let csrf = app.csrf(&client, "/settings").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("language", "en"),
        ("time_zone", "UTC"),
        ("refresh", "5"),
        ("page_size", "50"),
    ];
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = client
            .post(app.url("/settings/preferences"))
            .header(name, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
    }
    assert_eq!(
        app.user("csrf@example.com").await.time_zone.name(),
        "Asia/Tokyo"
    );
    // The same request from our own pages goes through.
    let r = client
        .post(app.url("/settings/preferences"))
        .header("origin", BASE_URL)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.user("csrf@example.com").await.time_zone.name(), "UTC");
}

async fn anonymous_form_views_write_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    for page in ["/login", "/forgot", "/login?next=/home"] {
        for _ in 0..20 {
            let client = app.client();
            let r = app.get(&client, page).await;
            assert_eq!(r.status(), 200);
            assert!(csrf_from(&r.text().await.unwrap()).is_some());
        }
    }
    let rows = ticket_service::store::sessions::count_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows, 0, "a flood of form views is not a flood of writes");
}

async fn oversized_form_bodies_get_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    let csrf = app.csrf(&client, "/login").await;
    let big = "x".repeat(3 * 1024 * 1024);
    let r = app
        .post_form(
            &client,
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("email", big.as_str()),
                ("password", "p"),
            ],
        )
        .await;
    assert_eq!(r.status(), 413);
    let html = r.text().await.unwrap();
    assert!(html.contains("1 MiB"), "{html}");
}

crate::both_backends!(
    cross_site_requests_are_refused_even_with_a_valid_token,
    anonymous_form_views_write_nothing,
    oversized_form_bodies_get_413,
    posts_without_a_valid_token_are_refused
);

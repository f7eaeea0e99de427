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

crate::both_backends!(posts_without_a_valid_token_are_refused);

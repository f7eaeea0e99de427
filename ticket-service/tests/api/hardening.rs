//! Issue 11, the rest: password strength, read timeouts, methods and caching of the static
//! editions, the contract policy of `/kb/`.

use crate::helpers::*;
use crate::reset::{request_reset, set_new_password};
use crate::settings::change_password;

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

crate::both_backends!(
    weak_passwords_are_refused_with_the_reason,
    the_strength_rule_is_configurable,
);

use crate::helpers::*;

async fn post_prefs(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = app.csrf(client, "/settings").await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(client, "/settings/preferences", &form).await
}

pub(crate) async fn change_password(
    app: &TestApp,
    client: &reqwest::Client,
    current: &str,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    let csrf = app.csrf(client, "/settings").await;
    app.post_form(
        client,
        "/settings/password",
        &[
            ("csrf", &csrf),
            ("current", current),
            ("new", new),
            ("confirm", confirm),
        ],
    )
    .await
}

async fn preferences_are_validated_and_kept_as_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("prefs@example.com", "Prefs").await;
    let client = app.logged_in("prefs@example.com", PASSWORD).await;
    let before = app.user("prefs@example.com").await;

    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 3] = [
        (
            &[
                ("language", "ja"),
                ("time_zone", "Mars/Olympus"),
                ("refresh", "5"),
                ("page_size", "50"),
            ],
            "有効なタイムゾーン名ではありません",
            "Mars/Olympus",
        ),
        (
            &[
                ("language", "fr"),
                ("time_zone", "Europe/Berlin"),
                ("refresh", "5"),
                ("page_size", "50"),
            ],
            "表示言語は一覧から選択してください",
            "Europe/Berlin",
        ),
        (
            &[
                ("language", "en"),
                ("time_zone", "Europe/Berlin"),
                ("refresh", "5"),
                ("page_size", "40"),
            ],
            "表示件数は一覧から選択してください",
            "Europe/Berlin",
        ),
    ];
    for (fields, message, kept) in cases {
        let r = post_prefs(&app, &client, fields).await;
        assert_eq!(r.status(), 422, "{fields:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{fields:?}: {html}");
        assert!(
            html.contains("class=\"field-error\""),
            "message next to the field"
        );
        let kept = kept.replace('/', "&#x2F;");
        assert!(
            html.contains(&format!("<option selected>{kept}</option>"))
                || html.contains(&format!("value=\"{kept}\" selected")),
            "typed value kept: {kept}"
        );
        let after = app.user("prefs@example.com").await;
        assert_eq!(
            (after.language, after.time_zone, after.page_size),
            (before.language, before.time_zone, before.page_size),
            "nothing saved"
        );
    }

    let r = post_prefs(
        &app,
        &client,
        &[
            ("language", "en"),
            ("time_zone", "Europe/Berlin"),
            ("refresh", "7"),
            ("page_size", "50"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let after = app.user("prefs@example.com").await;
    assert_eq!(after.language, kb_builder::Language::En);
    assert_eq!(after.time_zone.name(), "Europe/Berlin");
    assert_eq!(after.refresh.minutes(), Some(7));
    assert_eq!(after.page_size.get(), 50);
    let html = app
        .get(&client, "/settings?saved=preferences")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<html lang=\"en\">") && html.contains("Your settings have been saved."),
        "{html}"
    );
}

async fn password_rules_apply(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("rules@example.com", "Rules").await;
    let client = app.logged_in("rules@example.com", PASSWORD).await;

    let r = change_password(&app, &client, PASSWORD, "password123", "password123").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("よく使われており"));
    let r = change_password(&app, &client, PASSWORD, "short", "short").await;
    assert!(r.text().await.unwrap().contains("10文字以上"));
    let r = change_password(
        &app,
        &client,
        "not-my-password",
        "perfectly-fine-1",
        "perfectly-fine-1",
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("現在のパスワードが正しくありません"),
        "{html}"
    );
    assert!(
        !html.contains("perfectly-fine-1") && !html.contains("not-my-password"),
        "passwords are never echoed"
    );

    // 128 characters work.
    let long: String = "長いパスワード-".repeat(16);
    assert_eq!(long.chars().count(), 128);
    assert_eq!(
        change_password(&app, &client, PASSWORD, &long, &long)
            .await
            .status(),
        303
    );
    assert_eq!(
        app.login(&app.client(), "rules@example.com", &long)
            .await
            .status(),
        303
    );

    // No truncation: a 100-character password and the same with its last character changed differ.
    let ninety_nine: String = "Tq8!vWz3#pLk".chars().cycle().take(99).collect();
    let hundred = ninety_nine.clone() + "b";
    let changed_last = ninety_nine + "c";
    assert_eq!(
        change_password(&app, &client, &long, &hundred, &hundred)
            .await
            .status(),
        303
    );
    assert_eq!(
        app.login(&app.client(), "rules@example.com", &changed_last)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&app.client(), "rules@example.com", &hundred)
            .await
            .status(),
        303
    );

    let too_long = "x".repeat(1025);
    let r = change_password(&app, &client, &hundred, &too_long, &too_long).await;
    assert!(r.text().await.unwrap().contains("1024文字以内"));
}

async fn changing_the_password_ends_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("multi@example.com", "Multi").await;
    let here = app.logged_in("multi@example.com", PASSWORD).await;
    let there = app.logged_in("multi@example.com", PASSWORD).await;
    // Pages that only read may take the session from the read cache; this one is in it.
    assert!(app.is_logged_in(&there).await);
    let r = change_password(
        &app,
        &here,
        PASSWORD,
        "a-new-good-password",
        "a-new-good-password",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/settings?saved=password");
    assert!(app.is_logged_in(&here).await, "the current session stays");
    assert!(!app.is_logged_in(&there).await, "other sessions end");
    assert_eq!(
        app.login(&app.client(), "multi@example.com", PASSWORD)
            .await
            .status(),
        401
    );
}

async fn guessing_the_current_password_is_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("guess@example.com", "Guess").await;
    let stolen = app.logged_in("guess@example.com", PASSWORD).await;
    for i in 0..5 {
        let r = change_password(
            &app,
            &stolen,
            &format!("wrong-guess-{i}"),
            "a-new-good-password",
            "a-new-good-password",
        )
        .await;
        assert_eq!(r.status(), 422, "guess {i} is a form error");
    }
    // The sixth guess is refused before the password is even checked, right or wrong.
    let r = change_password(
        &app,
        &stolen,
        PASSWORD,
        "a-new-good-password",
        "a-new-good-password",
    )
    .await;
    assert_eq!(r.status(), 429);
    // The counter is the login form's: that account cannot be guessed there either.
    assert_eq!(
        app.login(&app.client(), "guess@example.com", PASSWORD)
            .await
            .status(),
        429
    );
    // The window passes; the real password works again.
    app.state
        .clock
        .advance(std::time::Duration::from_secs(16 * 60));
    let fresh = app.logged_in("guess@example.com", PASSWORD).await;
    let r = change_password(
        &app,
        &fresh,
        PASSWORD,
        "a-new-good-password",
        "a-new-good-password",
    )
    .await;
    assert_eq!(r.status(), 303);
}

async fn weak_hashes_are_upgraded_at_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.add_customer("legacy@example.com", "Legacy").await;
    let weak = ticket_service::auth::password::legacy_hash(
        "legacy-password-1",
        argon2::Algorithm::Argon2i,
        4096,
        1,
        1,
    )
    .unwrap();
    ticket_service::store::users::upgrade_hash(&app.state.db, user.id, &user.password_hash, &weak)
        .await
        .unwrap();
    assert_eq!(
        app.login(&app.client(), "legacy@example.com", "legacy-password-1")
            .await
            .status(),
        303
    );
    let after = app.user("legacy@example.com").await;
    assert!(
        after
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        after.password_hash
    );
    assert_eq!(
        app.login(&app.client(), "legacy@example.com", "legacy-password-1")
            .await
            .status(),
        303
    );
}

crate::both_backends!(
    guessing_the_current_password_is_rate_limited,
    preferences_are_validated_and_kept_as_typed,
    password_rules_apply,
    changing_the_password_ends_other_sessions,
    weak_hashes_are_upgraded_at_login,
);

use crate::helpers::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn body(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let r = app.get(client, path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn editions_are_served_to_the_right_people(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("cust@example.com", "Cust").await;
    app.add_agent("agent@example.com", "Agent").await;
    let anon = app.client();
    let customer = app.logged_in("cust@example.com", PASSWORD).await;
    let agent = app.logged_in("agent@example.com", PASSWORD).await;

    // Everyone: the public edition at /.
    assert_eq!(
        body(&app, &anon, "/").await,
        (200, "<h1>PUBLIC HOME</h1>".into())
    );
    assert_eq!(
        body(&app, &anon, "/en/").await,
        (200, "<h1>PUBLIC EN HOME</h1>".into())
    );
    assert_eq!(
        body(&app, &anon, "/nope.html").await,
        (404, "<h1>PUBLIC NOT FOUND</h1>".into())
    );
    assert_eq!(
        body(&app, &anon, "/en/nope.html").await,
        (404, "<h1>PUBLIC EN NOT FOUND</h1>".into())
    );
    let r = app.get(&anon, "/faq").await;
    assert_eq!((r.status().as_u16(), location(&r)), (308, "/faq/".into()));
    assert_eq!(body(&app, &anon, "/assets/site.css").await.0, 200);

    // Anonymous: no /kb/, no /agent/kb/.
    for path in ["/kb/", "/kb/faq/", "/agent/kb/", "/agent/kb/secret.html"] {
        let r = app.get(&anon, path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert!(location(&r).starts_with("/login?next=%2F"), "{path}");
    }
    // Customer: /kb/ yes, /agent/kb/ does not exist for them.
    assert_eq!(
        body(&app, &customer, "/kb/").await,
        (200, "<h1>CUSTOMER HOME</h1>".into())
    );
    assert_eq!(
        body(&app, &customer, "/kb/faq/").await,
        (200, "<h1>CUSTOMER FAQ FOLDER</h1>".into())
    );
    assert_eq!(
        body(&app, &customer, "/kb/missing").await,
        (404, "<h1>CUSTOMER NOT FOUND</h1>".into())
    );
    let (status, html) = body(&app, &customer, "/agent/kb/").await;
    assert_eq!(status, 404);
    assert!(!html.contains("INTERNAL"));
    assert_eq!(body(&app, &customer, "/agent/kb/secret.html").await.0, 404);
    // Agent: both.
    assert_eq!(body(&app, &agent, "/kb/").await.1, "<h1>CUSTOMER HOME</h1>");
    assert_eq!(
        body(&app, &agent, "/agent/kb/").await.1,
        "<h1>INTERNAL HOME</h1>"
    );
    assert_eq!(
        body(&app, &agent, "/agent/kb/secret.html").await.1,
        "INTERNAL SECRET"
    );
    let html = app.get(&agent, "/home").await.text().await.unwrap();
    assert!(
        html.contains("href=\"/agent/kb/\""),
        "agents get the internal link"
    );
}

async fn path_traversal_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_customer("trav@example.com", "Trav").await;
    let customer = app.logged_in("trav@example.com", PASSWORD).await;
    for path in [
        "/kb/..%2finternal%2fsecret.html",
        "/kb/%2e%2e%2finternal%2fsecret.html",
        "/kb/..%5cinternal%5csecret.html",
        "/%2e%2e%2fsecret.txt",
        "/..%2f..%2fsecret.txt",
        "/static/..%2ftemplates%2fbase.html",
        "/kb/%2e%2e/%2e%2e/secret.txt",
    ] {
        let (status, text) = body(&app, &customer, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            !text.contains("SECRET") && !text.contains("OUTSIDE") && !text.contains("{% block"),
            "{path}: {text}"
        );
    }
    // A raw request line that no client library would normalise.
    let addr = app.address.trim_start_matches("http://");
    for target in [
        "/../secret.txt",
        "/kb/../internal/secret.html",
        "/static/../templates/base.html",
    ] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(
            !response.starts_with("HTTP/1.1 200"),
            "{target}: {response}"
        );
        assert!(
            !response.contains("SECRET")
                && !response.contains("OUTSIDE")
                && !response.contains("{% block"),
            "{target}"
        );
    }
}

async fn service_paths_win_over_the_public_edition(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, html) = body(&app, &app.client(), "/login").await;
    assert_eq!(status, 200);
    assert!(!html.contains("FAKE LOGIN") && html.contains("action=\"/login\""));
    // The service's search page, not a file of the public edition.
    let (status, html) = body(&app, &app.client(), "/search").await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("PUBLIC NOT FOUND") && html.contains("class=\"svc-search\""),
        "the service's search page"
    );
}

async fn large_attachments_arrive_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    // Above the size that is streamed rather than read at once; not a multiple of the
    // chunk size, so the last chunk is a short one.
    let payload: Vec<u8> = (0..1_500_001u32).map(|i| (i % 251) as u8).collect();
    let file = app.site_dir.join("public/files/1801/manual.pdf");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &payload).unwrap();
    let r = app.get(&app.client(), "/files/1801/manual.pdf").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    let got = r.bytes().await.unwrap();
    assert_eq!(got.len(), payload.len());
    assert!(got[..] == payload[..], "the streamed file differs");
}

crate::both_backends!(
    editions_are_served_to_the_right_people,
    path_traversal_is_refused,
    service_paths_win_over_the_public_edition,
    large_attachments_arrive_whole,
);

//! Knowledge-base search: the pages of the three editions, the JSON API, related
//! articles, and reopening the indexes after kb-builder rebuilds the site.

use crate::helpers::*;
use kb_builder::urls::article_path;
use serde_json::Value;

/// Status and HTML of a page, with tera's escaped slashes (`&#x2F;`) turned back into `/`
/// for readable assertions.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let r = app.get(client, path).await;
    let status = r.status().as_u16();
    (status, r.text().await.unwrap().replace("&#x2F;", "/"))
}

async fn json(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, Value) {
    let r = app.get(client, path).await;
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON body"))
}

/// The article links of a results page, in order.
fn result_links(html: &str) -> Vec<String> {
    let Some(start) = html.find("class=\"search-results\"") else {
        return Vec::new();
    };
    let end = html[start..]
        .find("</ol>")
        .map_or(html.len(), |e| start + e);
    html[start..end]
        .split("<a href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

fn ids(body: &Value) -> Vec<u64> {
    body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_u64().expect("id"))
        .collect()
}

async fn public_search_finds_only_public_articles(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    let anon = app.client();

    let (status, html) = page(&app, &anon, "/search?q=quokka").await;
    assert_eq!(status, 200, "{html}");
    let mut links = result_links(&html);
    links.sort();
    let mut expected = vec![
        format!("/{}", article_path(kb::PUBLIC_JA)),
        format!("/{}", article_path(kb::PUBLIC_EN)),
    ];
    expected.sort();
    assert_eq!(links, expected);
    assert!(html.contains("2件"), "{html}");
    assert!(html.contains(&format!("FAQ#{}", kb::PUBLIC_JA)));
    assert!(html.contains("<mark>quokka</mark>"), "{html}");
    // The search box keeps the query.
    assert!(html.contains("value=\"quokka\""));

    // A word shared by every edition's articles finds only the public one here.
    let (_, html) = page(&app, &anon, "/search?q=gateway").await;
    assert_eq!(
        result_links(&html),
        vec![format!("/{}", article_path(kb::PUBLIC_JA))]
    );
    for word in ["narwhal", "axolotl"] {
        let (status, html) = page(&app, &anon, &format!("/search?q={word}")).await;
        assert_eq!(status, 200);
        assert!(result_links(&html).is_empty(), "{word}: {html}");
        assert!(html.contains("svc-search-none"), "{word}: says so clearly");
        assert!(html.contains("見つかりませんでした"));
        assert!(!html.contains(&format!("FAQ#{}", kb::CUSTOMER)));
        assert!(!html.contains(&format!("FAQ#{}", kb::INTERNAL)));
    }

    // Filters: the articles' language, and a category (with its subcategories).
    let (_, html) = page(&app, &anon, "/search?q=quokka&language=en").await;
    assert_eq!(
        result_links(&html),
        vec![format!("/{}", article_path(kb::PUBLIC_EN))]
    );
    let (_, html) = page(&app, &anon, "/search?q=quokka&category=faq/gateway").await;
    assert_eq!(
        result_links(&html),
        vec![format!("/{}", article_path(kb::PUBLIC_JA))]
    );
    let (_, html) = page(&app, &anon, "/search?q=quokka&category=faq").await;
    assert_eq!(result_links(&html).len(), 2);

    // `lang` is the interface language (kb-builder's forms send it): English pages link
    // to the English tree.
    let (_, html) = page(&app, &anon, "/search?q=quokka&language=ja&lang=en").await;
    assert_eq!(
        result_links(&html),
        vec![format!("/en/{}", article_path(kb::PUBLIC_JA))]
    );
    assert!(html.contains("1 found"), "{html}");
}

async fn snippets_are_escaped(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    let anon = app.client();
    let (_, html) = page(&app, &anon, "/search?q=alert").await;
    assert_eq!(result_links(&html).len(), 1, "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    let (_, body) = json(&app, &anon, "/api/search?edition=public&q=alert").await;
    let snippet = body["hits"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(!snippet.contains("<script"), "{snippet}");
}

async fn empty_query_and_paging(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    let anon = app.client();

    // No query: just the form.
    for path in ["/search", "/search?q=", "/search?q=+++"] {
        let (status, html) = page(&app, &anon, path).await;
        assert_eq!(status, 200);
        assert!(html.contains("action=\"/search\""), "{path}");
        assert!(!html.contains("svc-search-results"), "{path}");
        assert!(!html.contains("svc-search-none"), "{path}");
    }

    let (_, html) = page(&app, &anon, "/search?q=lemming").await;
    assert!(html.contains("12件"), "{html}");
    assert_eq!(result_links(&html).len(), 10);
    assert!(
        html.contains("href=\"/search?q=lemming&amp;page=2\""),
        "{html}"
    );
    assert!(!html.contains("rel=\"prev\""));
    let (_, html2) = page(&app, &anon, "/search?q=lemming&page=2").await;
    let second = result_links(&html2);
    assert_eq!(second.len(), 2);
    assert!(
        html2.contains("rel=\"prev\" href=\"/search?q=lemming\""),
        "{html2}"
    );
    assert!(!html2.contains("rel=\"next\""));
    // Every article once over both pages.
    let mut all = result_links(&html);
    all.extend(second);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 12);
    // Nonsense page numbers do not break the page.
    assert_eq!(page(&app, &anon, "/search?q=lemming&page=x").await.0, 200);
    let (status, html) = page(&app, &anon, "/search?q=lemming&page=9").await;
    assert_eq!(status, 200);
    assert!(result_links(&html).is_empty());
    // A page number whose offset would overflow is answered, not a crash.
    let huge = format!("/search?q=lemming&page={}", usize::MAX);
    assert!(page(&app, &anon, &huge).await.0 < 500);
}

async fn customer_and_internal_search_pages(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("cust@example.com", "Cust").await;
    app.add_agent("agent@example.com", "Agent").await;
    let anon = app.client();
    let customer = app.logged_in("cust@example.com", PASSWORD).await;
    let agent = app.logged_in("agent@example.com", PASSWORD).await;

    // Anonymous: the usual login redirect, back to the search afterwards.
    for path in ["/kb/search?q=narwhal", "/agent/kb/search?q=axolotl"] {
        let r = app.get(&anon, path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(
            location(&r),
            format!(
                "/login?next={}",
                ticket_service::http::encode_component(path)
            )
        );
    }

    // Customer: the customer edition (which includes the public articles), never internal.
    let (status, html) = page(&app, &customer, "/kb/search?q=narwhal").await;
    assert_eq!(status, 200);
    assert_eq!(
        result_links(&html),
        vec![format!("/kb/{}", article_path(kb::CUSTOMER))]
    );
    let (_, html) = page(&app, &customer, "/kb/search?q=gateway").await;
    let mut links = result_links(&html);
    links.sort();
    let mut expected = vec![
        format!("/kb/{}", article_path(kb::PUBLIC_JA)),
        format!("/kb/{}", article_path(kb::CUSTOMER)),
    ];
    expected.sort();
    assert_eq!(links, expected);
    let (_, html) = page(&app, &customer, "/kb/search?q=axolotl").await;
    assert!(result_links(&html).is_empty());
    assert!(!html.contains(&format!("FAQ#{}", kb::INTERNAL)));
    // The internal search does not exist for customers.
    let (status, html) = page(&app, &customer, "/agent/kb/search?q=axolotl").await;
    assert_eq!(status, 404);
    assert!(!html.contains("axolotl"));

    // Agent: the internal edition.
    let (status, html) = page(&app, &agent, "/agent/kb/search?q=axolotl").await;
    assert_eq!(status, 200);
    assert_eq!(
        result_links(&html),
        vec![format!("/agent/kb/{}", article_path(kb::INTERNAL))]
    );
    let (_, html) = page(&app, &agent, "/agent/kb/search?q=gateway").await;
    assert_eq!(result_links(&html).len(), 3);

    // With the slash, the path stays kb-builder's static search page of the edition.
    let (status, html) = page(&app, &customer, "/kb/search/").await;
    assert_eq!(status, 200);
    assert!(!html.contains("svc-search"), "{html}");
    let (status, html) = page(&app, &anon, "/search/").await;
    assert_eq!(status, 200);
    assert!(!html.contains("svc-search"), "{html}");
}

async fn search_api(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("cust@example.com", "Cust").await;
    app.add_agent("agent@example.com", "Agent").await;
    let anon = app.client();
    let customer = app.logged_in("cust@example.com", PASSWORD).await;
    let agent = app.logged_in("agent@example.com", PASSWORD).await;

    // Public: anyone, from any origin.
    let r = app
        .get(&anon, "/api/search?edition=public&q=quokka&language=ja")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["total"], 1);
    let hit = &body["hits"][0];
    let mut keys: Vec<&str> = hit
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(keys, ["category", "id", "score", "snippet", "title", "url"]);
    assert_eq!(hit["id"], kb::PUBLIC_JA);
    assert_eq!(hit["title"], "quokka の設定手順");
    assert_eq!(hit["category"], "よくあるご質問 / ゲートウェイ");
    assert_eq!(hit["url"], format!("/{}", article_path(kb::PUBLIC_JA)));
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"));
    let (_, body) = json(&app, &anon, "/api/search?edition=public&q=quokka&lang=en").await;
    assert_eq!(body["total"], 2);
    assert!(body["hits"][0]["url"].as_str().unwrap().starts_with("/en/"));
    let (_, body) = json(&app, &anon, "/api/search?edition=public&q=narwhal").await;
    assert_eq!(body, serde_json::json!({"total": 0, "hits": []}));
    let (status, body) = json(&app, &anon, "/api/search?edition=public&q=").await;
    assert_eq!((status, body["total"].clone()), (200, 0.into()));

    // limit is clamped to 1..=50; offset pages.
    let (_, body) = json(&app, &anon, "/api/search?edition=public&q=lemming&limit=0").await;
    assert_eq!((body["total"].clone(), ids(&body).len()), (12.into(), 1));
    let (_, body) = json(
        &app,
        &anon,
        "/api/search?edition=public&q=lemming&limit=500",
    )
    .await;
    assert_eq!(ids(&body).len(), 12);
    let (_, first) = json(&app, &anon, "/api/search?edition=public&q=lemming&limit=5").await;
    let (_, next) = json(
        &app,
        &anon,
        "/api/search?edition=public&q=lemming&limit=5&offset=5",
    )
    .await;
    assert_eq!(ids(&next).len(), 5);
    assert!(ids(&first).iter().all(|id| !ids(&next).contains(id)));
    let (status, body) = json(&app, &anon, "/api/search?edition=public&q=x&limit=many").await;
    assert_eq!((status, body["error"].as_str()), (422, Some("validation")));
    let (status, body) = json(&app, &anon, "/api/search?edition=secret&q=x").await;
    assert_eq!((status, body["error"].as_str()), (422, Some("validation")));

    // Customer edition: a login (401 JSON otherwise, no CORS).
    let r = app
        .get(&anon, "/api/search?edition=customer&q=narwhal")
        .await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    let (status, body) = json(&app, &customer, "/api/search?edition=customer&q=narwhal").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body), vec![kb::CUSTOMER as u64]);
    assert_eq!(
        body["hits"][0]["url"],
        format!("/kb/{}", article_path(kb::CUSTOMER))
    );
    let (_, body) = json(&app, &customer, "/api/search?edition=customer&q=axolotl").await;
    assert_eq!(body["total"], 0);

    // Internal edition: agents only; 404 for everyone else.
    for client in [&anon, &customer] {
        let (status, body) = json(&app, client, "/api/search?edition=internal&q=axolotl").await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
        assert!(!body.to_string().contains("axolotl"));
    }
    let (status, body) = json(&app, &agent, "/api/search?edition=internal&q=axolotl").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body), vec![kb::INTERNAL as u64]);
    assert_eq!(
        body["hits"][0]["url"],
        format!("/agent/kb/{}", article_path(kb::INTERNAL))
    );
}

async fn related_articles(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    app.add_customer("cust@example.com", "Cust").await;
    let anon = app.client();
    let customer = app.logged_in("cust@example.com", PASSWORD).await;
    // "axolotl" is in the internal edition only: it must not pull the internal article in.
    let path = "/api/related?subject=narwhal%20%E3%81%8C%E5%8B%95%E3%81%8B%E3%81%AA%E3%81%84\
                &body=axolotl%20%E3%81%A8%20narwhal&limit=5";

    let (status, body) = json(&app, &anon, path).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );

    let (status, body) = json(&app, &customer, path).await;
    assert_eq!(status, 200, "{body}");
    let found = ids(&body);
    assert!(found.contains(&(kb::CUSTOMER as u64)), "{body}");
    assert!(!found.contains(&(kb::INTERNAL as u64)), "{body}");
    let hit = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == kb::CUSTOMER)
        .unwrap();
    assert_eq!(hit["url"], format!("/kb/{}", article_path(kb::CUSTOMER)));
    for key in ["id", "title", "category", "snippet", "score", "url"] {
        assert!(hit.get(key).is_some(), "{key}");
    }
    let (_, body) = json(&app, &customer, "/api/related?subject=&body=").await;
    assert_eq!(body["total"], 0);
}

async fn indexes_are_reopened_after_a_rebuild(backend: Backend) {
    let app = spawn_app_with_kb(backend).await;
    let anon = app.client();
    let (_, body) = json(&app, &anon, "/api/search?edition=public&q=wombat").await;
    assert_eq!(body["total"], 0);

    app.rebuild_kb_with_a_wombat().await;

    let (_, body) = json(&app, &anon, "/api/search?edition=public&q=wombat").await;
    assert_eq!(ids(&body), vec![kb::PUBLIC_EN as u64], "{body}");
    let (_, html) = page(&app, &anon, "/search?q=wombat").await;
    assert_eq!(
        result_links(&html),
        vec![format!("/{}", article_path(kb::PUBLIC_EN))]
    );
    // The other editions were rebuilt too and are reopened as well.
    app.add_customer("cust@example.com", "Cust").await;
    let customer = app.logged_in("cust@example.com", PASSWORD).await;
    let (_, body) = json(&app, &customer, "/api/search?edition=customer&q=wombat").await;
    assert_eq!(ids(&body), vec![kb::PUBLIC_EN as u64]);
}

async fn missing_index_means_search_is_unavailable(backend: Backend) {
    // The fake site tree has pages but no search indexes.
    let app = spawn_app(backend).await;
    let anon = app.client();
    let (status, html) = page(&app, &anon, "/search?q=quokka").await;
    assert_eq!(status, 503);
    assert!(html.contains("svc-search-unavailable"), "{html}");
    assert!(html.contains("action=\"/search\""));
    // An empty query still shows the form.
    assert_eq!(page(&app, &anon, "/search").await.0, 200);
    let r = app.get(&anon, "/api/search?edition=public&q=quokka").await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("access-control-allow-origin").is_some());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");

    // Once kb-builder builds the site, search works without a restart.
    write_kb_content(&app.content_dir);
    build_kb(&app.content_dir, &app.site_dir).await;
    let (status, html) = page(&app, &anon, "/search?q=quokka").await;
    assert_eq!(status, 200);
    assert_eq!(result_links(&html).len(), 2);
}

crate::both_backends!(
    public_search_finds_only_public_articles,
    snippets_are_escaped,
    empty_query_and_paging,
    customer_and_internal_search_pages,
    search_api,
    related_articles,
    indexes_are_reopened_after_a_rebuild,
    missing_index_means_search_is_unavailable,
);

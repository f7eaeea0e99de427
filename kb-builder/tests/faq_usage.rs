//! FAQ usage on the article pages: the ticket service's view beacon, and on the customer
//! edition the "was this FAQ helpful?" form that opens the service's vote page.

mod common;
use common::*;
use std::path::Path;

fn page(site: &Path, edition: &str, lang: &str, id: u32) -> String {
    // tera escapes `/` in attribute values; a browser reads it back as `/`.
    read(
        &site
            .join(edition)
            .join(lang)
            .join(format!("articles/{id}.html")),
    )
    .replace("&#x2F;", "/")
}

fn tree_with(site_yaml: &str) -> tempfile::TempDir {
    let customer = "---\nid: 2\ntitle: 顧客記事\nvisibility: customer\nlanguage: ja\nkeywords: [a]\ncreated: 2024-01-01T00:00:00+09:00\nupdated: 2024-01-02T00:00:00+09:00\n---\n本文\n";
    tree(&[
        ("_site.yaml", site_yaml),
        ("a/_category.yaml", CATEGORY_YAML),
        ("a/public.md", &article(1, "", "本文")),
        ("a/customer.md", customer),
    ])
}

const VOTE_FORM: &str = r#"<form method="get" action="/faq/2/vote""#;

#[test]
fn the_customer_edition_has_the_vote_form_and_every_service_edition_the_beacon() {
    let content = tree_with(SITE_YAML);
    let (_dir, site, _) = build_site(content.path(), None);
    for lang in ["", "en"] {
        let customer = page(&site, "customer", lang, 2);
        assert!(customer.contains(VOTE_FORM), "{customer}");
        for n in 1..=5 {
            assert!(
                customer.contains(&format!(r#"<input type="radio" name="stars" value="{n}""#)),
                "{customer}"
            );
        }
        assert!(customer.contains(r#"<button type="submit">"#));
        assert!(customer
            .contains(r#"<img src="/faq/2/view.gif" alt="" width="1" height="1" class="beacon">"#));
        // Agents count views but do not vote.
        let internal = page(&site, "internal", lang, 2);
        assert!(internal.contains(r#"<img src="/faq/2/view.gif""#));
        assert!(!internal.contains("action=\"/faq/"), "{internal}");
    }
    assert!(page(&site, "customer", "", 2).contains("このFAQは役に立ちましたか"));
    assert!(page(&site, "customer", "en", 2).contains("Was this FAQ helpful?"));
}

#[test]
fn the_public_edition_counts_views_only_when_the_service_is_named() {
    let content = tree_with(SITE_YAML);
    let (_dir, site, _) = build_site(content.path(), None);
    for lang in ["", "en"] {
        let public = page(&site, "public", lang, 1);
        assert!(!public.contains("view.gif"), "{public}");
        assert!(!public.contains("class=\"beacon\""), "{public}");
        assert!(!public.contains("name=\"stars\""), "{public}");
    }

    let named = format!("{SITE_YAML}service_url: https://service.example.test/\n");
    let content = tree_with(&named);
    let (_dir, site, _) = build_site(content.path(), None);
    for lang in ["", "en"] {
        let public = page(&site, "public", lang, 1);
        assert!(
            public.contains(r#"<img src="https://service.example.test/faq/1/view.gif" alt="" width="1" height="1" class="beacon">"#),
            "{public}"
        );
        assert!(!public.contains("name=\"stars\""), "{public}");
    }
}

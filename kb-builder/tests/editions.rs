//! Edition filtering: an edition holds exactly the articles its audience may see, and no
//! byte of any other article — title, body, keyword, attachment, feed entry, category —
//! appears in any of its files.

mod common;
use common::*;
use std::fs;

const CUSTOMER_CANARIES: &[&str] = &[
    "canarycustomer",
    "canary-customer-attachment",
    "お客様向け管理マニュアル",
];
const INTERNAL_CANARIES: &[&str] = &[
    "canaryinternal",
    "canary-internal-attachment",
    "社内エスカレーション手順",
    "社内手順カナリアカテゴリ",
    "internal canary category",
];

fn assert_absent(dir: &std::path::Path, canaries: &[&str]) {
    let all = files(dir);
    assert!(
        all.len() > 5,
        "expected a whole edition in {}",
        dir.display()
    );
    for file in all {
        let bytes = fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        let name = file.to_string_lossy().to_lowercase();
        for canary in canaries {
            let c = canary.to_lowercase();
            assert!(!text.contains(&c), "{} contains {canary}", file.display());
            assert!(
                !name.contains(&c),
                "file name {} contains {canary}",
                file.display()
            );
        }
    }
}

#[test]
fn public_edition_holds_no_customer_or_internal_bytes() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    assert_absent(&site.join("public"), CUSTOMER_CANARIES);
    assert_absent(&site.join("public"), INTERNAL_CANARIES);
    assert_absent(&site.join("search/public"), CUSTOMER_CANARIES);
    assert_absent(&site.join("search/public"), INTERNAL_CANARIES);
}

#[test]
fn customer_edition_holds_customer_but_no_internal_bytes() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    assert_absent(&site.join("customer"), INTERNAL_CANARIES);
    assert_absent(&site.join("search/customer"), INTERNAL_CANARIES);
    let article = read(&site.join("customer/articles/102.html"));
    assert!(article.contains("CANARYCUSTOMERTITLE"));
    assert!(site
        .join("customer/files/102/canary-customer-attachment.txt")
        .is_file());
    assert!(!site.join("customer/files/103").exists());
}

#[test]
fn internal_edition_holds_everything() {
    let (_tmp, site, report) = build_site(&fixture("editions"), None);
    let counts: Vec<(String, usize)> = report
        .editions
        .iter()
        .map(|e| (e.edition.to_string(), e.articles))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("public".into(), 2),
            ("customer".into(), 3),
            ("internal".into(), 4)
        ]
    );
    for id in [101, 102, 103, 104] {
        assert!(
            site.join(format!("internal/articles/{id}.html")).is_file(),
            "article {id}"
        );
        assert!(
            site.join(format!("internal/en/articles/{id}.html"))
                .is_file(),
            "en article {id}"
        );
    }
    assert!(read(&site.join("internal/index.html")).contains("社内手順カナリアカテゴリ"));
}

#[test]
fn links_to_articles_an_edition_lacks_lead_to_the_edition_that_has_them() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    let public = read(&site.join("public/articles/101.html"));
    assert!(
        public.contains("href=\"https://service.example.test/kb/articles/102.html\""),
        "{public}"
    );
    let customer = read(&site.join("customer/articles/101.html"));
    assert!(
        customer.contains("href=\"../articles/102.html\""),
        "{customer}"
    );
    let customer_102 = read(&site.join("customer/articles/102.html"));
    assert!(customer_102.contains("https://service.example.test/agent/kb/articles/103.html"));
    assert!(customer_102.contains("href=\"../files/102/canary-customer-attachment.txt\""));
    let en = read(&site.join("customer/en/articles/102.html"));
    assert!(
        en.contains("href=\"../../files/102/canary-customer-attachment.txt\""),
        "{en}"
    );
}

#[test]
fn counts_are_per_edition() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    // The guide category holds 101 (public), 104 (public, two levels down) and 102 (customer).
    let row = |html: &str| -> String {
        let start = html.find("利用ガイド</a>").expect("guide row");
        html[start..start + 400].to_string()
    };
    let public = row(&read(&site.join("public/index.html")));
    assert!(
        public.contains("<td class=\"num\">1</td><td class=\"num\">2</td>"),
        "{public}"
    );
    let customer = row(&read(&site.join("customer/index.html")));
    assert!(
        customer.contains("<td class=\"num\">1</td><td class=\"num\">3</td>"),
        "{customer}"
    );
}

#[test]
fn every_page_exists_in_both_languages_with_its_strings() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    let p = site.join("public");
    for page in [
        "index.html",
        "404.html",
        "search/index.html",
        "category/guide/index.html",
        "category/guide/deep/nested/index.html",
        "articles/101.html",
        "articles/104.html",
        "feeds/latest-created.rss",
        "feeds/latest-updated.atom",
        "feeds/category/guide.rss",
    ] {
        assert!(p.join(page).is_file(), "{page}");
        assert!(p.join("en").join(page).is_file(), "en/{page}");
    }
    assert!(p.join("sitemap.xml").is_file());
    assert!(p.join("assets/madoguchi.css").is_file());
    let ja = read(&p.join("index.html"));
    let en = read(&p.join("en/index.html"));
    assert!(ja.contains("<html lang=\"ja\">") && ja.contains("最新の登録"));
    assert!(en.contains("<html lang=\"en\">") && en.contains("Latest articles"));
    assert!(en.contains("Test Support Site"));
    let article = read(&p.join("en/articles/104.html"));
    assert!(
        article.contains("Article information")
            && article.contains("How to renew the TLS certificate")
    );
    // A category holding only subcategories points to them, not to "no articles".
    let deep = read(&p.join("category/guide/deep/index.html"));
    assert!(
        deep.contains("さらに詳細") && !deep.contains("まだFAQがありません"),
        "{deep}"
    );
    let sitemap = read(&p.join("sitemap.xml"));
    assert!(sitemap.contains("<loc>https://kb.example.test/articles/101.html</loc>"));
    assert!(sitemap.contains("<loc>https://kb.example.test/en/articles/101.html</loc>"));
    assert!(!sitemap.contains("/articles/102.html"));
}

#[test]
fn article_pages_show_the_info_box_and_sanitised_body() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    let html = read(&site.join("public/articles/101.html"));
    for needle in [
        "FAQ#",
        "<dd>101</dd>",
        "メール, 不達, SMTP",
        "2024-04-01 10:00",
        "2024-05-10 15:30",
        "<table>",
        "type=\"checkbox\"",
        "footnote-definition",
        "id=\"ログの場所\"",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(!html.contains("<script>alert"), "raw script survived");
    let customer = read(&site.join("customer/articles/102.html"));
    assert!(
        customer.contains("canary-customer-attachment.txt</a> <span class=\"muted\">(52 B)</span>"),
        "{customer}"
    );
}

#[test]
fn top_ten_is_hidden_without_stats_and_shown_with_them() {
    let (_tmp, site, _) = build_site(&fixture("editions"), None);
    assert!(!read(&site.join("public/index.html")).contains("トップ10"));
    assert!(!site.join("public/feeds/top10.rss").exists());

    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    fs::write(&stats, r#"{"104": {"views": 50, "votes": 4, "rating": 4.5}, "101": {"views": 7}, "102": {"views": 900}}"#).unwrap();
    let (_tmp2, site, _) = build_site(&fixture("editions"), Some(stats));
    let home = read(&site.join("public/index.html"));
    let top = &home[home.find("id=\"top10\"").expect("top 10 list")..];
    let first = top.find("How to renew").unwrap();
    let second = top.find("メールが届かない").unwrap();
    assert!(first < second, "ordered by views");
    assert!(
        !top.contains("CANARYCUSTOMER"),
        "customer article in public top 10"
    );
    assert!(read(&site.join("public/articles/104.html")).contains("4.5 / 5 (4 "));
    assert!(site.join("public/feeds/top10.atom").is_file());
}

//! The search library: edition isolation (a customer-only or internal article is never a
//! hit in an index that may not hold it, whatever the query), filters, paging, snippets,
//! and related-article suggestions.

mod common;
use common::*;
use kb_builder::editions::Edition;
use kb_builder::search::{Filters, SearchIndex};
use kb_builder::Language;

fn site() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, site, _) = build_site(&fixture("editions"), None);
    (tmp, site)
}

fn ids(index: &SearchIndex, q: &str) -> Vec<u32> {
    index
        .search(q, &Filters::default(), 100, 0)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn no_query_finds_what_an_edition_may_not_show() {
    let (_tmp, site) = site();
    let public = SearchIndex::open_edition(&site, Edition::Public).unwrap();
    let customer = SearchIndex::open_edition(&site, Edition::Customer).unwrap();
    assert_eq!(public.len(), 2);
    assert_eq!(customer.len(), 3);
    let queries = [
        "canarycustomertitle",
        "canarycustomerkeyword",
        "canarycustomerbody",
        "お客様向け管理マニュアル",
        "canaryinternaltitle",
        "canaryinternalbody",
        "社内エスカレーション手順",
        "マニュアル",
        "社内",
        "の",
        "a e i o u メール 証明書 ログ",
    ];
    for q in queries {
        let hits = ids(&public, q);
        assert!(
            hits.iter().all(|id| [101, 104].contains(id)),
            "public {q:?}: {hits:?}"
        );
        let hits = ids(&customer, q);
        assert!(
            hits.iter().all(|id| [101, 102, 104].contains(id)),
            "customer {q:?}: {hits:?}"
        );
    }
    assert_eq!(ids(&customer, "canarycustomerkeyword"), vec![102]);
    let internal = SearchIndex::open_edition(&site, Edition::Internal).unwrap();
    assert_eq!(ids(&internal, "canaryinternalbody"), vec![103]);
}

#[test]
fn filters_paging_and_snippets() {
    let (_tmp, site) = site();
    let index = SearchIndex::open_edition(&site, Edition::Internal).unwrap();
    let en = Filters {
        language: Some(Language::En),
        ..Default::default()
    };
    assert_eq!(
        index
            .search("certificate 証明書 メール", &en, 10, 0)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        vec![104]
    );
    let deep = Filters {
        category: Some("guide/deep".into()),
        ..Default::default()
    };
    assert_eq!(
        index
            .search("certificate メール", &deep, 10, 0)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        vec![104]
    );
    let guide = Filters {
        category: Some("guide".into()),
        ..Default::default()
    };
    let all = index.search("の", &guide, 10, 0).unwrap();
    assert!(all.hits.iter().all(|h| [101, 102, 104].contains(&h.id)));

    let first = index
        .search("メール 記事 の", &Filters::default(), 1, 0)
        .unwrap();
    let second = index
        .search("メール 記事 の", &Filters::default(), 1, 1)
        .unwrap();
    assert_eq!(first.hits.len(), 1);
    assert!(first.total >= 2);
    assert_eq!(first.total, second.total);
    let beyond = index
        .search("メール 記事 の", &Filters::default(), 10, usize::MAX)
        .unwrap();
    assert!(beyond.hits.is_empty() && beyond.total == first.total);
    assert_ne!(first.hits[0].id, second.hits[0].id);

    let hit = &index
        .search("送信ログ", &Filters::default(), 1, 0)
        .unwrap()
        .hits[0];
    assert_eq!(hit.id, 101);
    assert!(hit.snippet.contains("<mark>"), "{}", hit.snippet);
    assert!(hit.snippet.contains("送信"), "{}", hit.snippet);
    assert_eq!(hit.category, "利用ガイド");
    assert_eq!(hit.category_path, "guide");

    assert_eq!(
        index
            .search("  、。!?  ", &Filters::default(), 10, 0)
            .unwrap()
            .total,
        0
    );
}

#[test]
fn snippets_escape_article_text() {
    let tree = tree(&[
        ("_site.yaml", SITE_YAML),
        (
            "a.md",
            &article(
                1,
                "",
                "本文に `<b>タグ</b>` と & 記号があります。検索語はここ。",
            ),
        ),
    ]);
    let (_tmp, site, _) = build_site(tree.path(), None);
    let index = SearchIndex::open_edition(&site, Edition::Public).unwrap();
    let hit = &index
        .search("検索語", &Filters::default(), 1, 0)
        .unwrap()
        .hits[0];
    assert!(!hit.snippet.contains("<b>"), "{}", hit.snippet);
    assert!(
        hit.snippet.contains("&lt;b&gt;タグ&lt;&#x2f;b&gt;")
            || hit.snippet.contains("&lt;b&gt;タグ&lt;/b&gt;"),
        "{}",
        hit.snippet
    );
    assert!(hit.snippet.contains("&amp;"), "{}", hit.snippet);
    assert!(hit.snippet.contains("<mark>"), "{}", hit.snippet);
}

#[test]
fn related_articles_come_from_a_ticket_s_text() {
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let (_tmp, site, _) = build_site(&content, None);
    let index = SearchIndex::open_edition(&site, Edition::Customer).unwrap();
    let related = index
        .related(
            "取引先にメールが届かない",
            "昨日から一部の取引先へのメールが届かず、送信元にエラーメールが返ってきます。550 のエラーが出ています。どこを確認すればよいでしょうか。",
            5,
        )
        .unwrap();
    let ids: Vec<u32> = related.iter().map(|h| h.id).collect();
    println!("related: {ids:?}");
    assert_eq!(ids.first(), Some(&1501), "{ids:?}");
    assert!(related.len() <= 5);
    let internal_ids = [1009, 1010, 1011, 1012, 1510, 1807];
    assert!(ids.iter().all(|id| !internal_ids.contains(id)));
    assert!(index.related("", "", 5).unwrap().is_empty());
}

#[test]
fn any_text_is_a_question_and_synonyms_reach_the_articles() {
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let (_tmp, site, _) = build_site(&content, None);
    let index = SearchIndex::open_edition(&site, Edition::Customer).unwrap();
    // What a search box may receive: control characters, emoji, lone combining marks,
    // other scripts, half-width kana with separate voicing marks, a very long paste.
    let long = "メールが届かない".repeat(2_000);
    for q in [
        "\u{0}\u{7}\t\r\n",
        "🙂🙂 メール🙂",
        "\u{3099}\u{309A}ｶﾞ\u{3099}",
        "مرحبا Привет 안녕하세요",
        "ＳＭＴＰ　サーバー",
        "する した して",
        long.as_str(),
    ] {
        index
            .search(q, &Filters::default(), 10, 0)
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
        index.related(q, q, 5).unwrap();
    }
    // content/_synonyms.yaml says ソラメール = SoraMail and 管理コンソール = 管理画面.
    assert!(kb_builder::search::dictionary::Dictionary::shared().is_some());
    let plan = index.plan("ソラメールの管理コンソール");
    let forms: Vec<&str> = plan
        .words
        .iter()
        .flat_map(|w| w.forms.iter().map(String::as_str))
        .collect();
    assert!(forms.contains(&"soramail"), "{forms:?}");
    // A compound's synonyms (管理コンソール = 管理画面) are asked for as terms.
    assert!(
        plan.terms.iter().any(|(t, _)| t == "画面"),
        "{:?}",
        plan.terms
    );
    assert!(!index
        .search("ソラメール", &Filters::default(), 10, 0)
        .unwrap()
        .hits
        .is_empty());
}

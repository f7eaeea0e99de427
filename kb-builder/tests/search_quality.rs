//! Search quality over the demo knowledge base: natural questions, written the way a
//! customer writes them, and the article(s) that should come first. MRR@10 and recall@5
//! are printed and must stay above floors set from measurement (see README).

mod common;
use common::*;
use kb_builder::editions::Edition;
use kb_builder::search::{Filters, SearchIndex};

/// (edition, query, relevant article ids)
const QUERIES: &[(&str, &str, &[u32])] = &[
    ("customer", "メールが届かない", &[1501]),
    ("customer", "送ったメールが相手に届きません", &[1501]),
    ("customer", "SPFとDKIMの設定をしたい", &[1502]),
    ("customer", "なりすましメール対策 DMARC", &[1502, 1506]),
    ("customer", "証明書の期限が切れそう 更新方法", &[1504]),
    ("customer", "キューにメールがたまって送信されない", &[1503]),
    ("customer", "添付ファイルの容量制限", &[1702, 1505]),
    ("customer", "メールサイズの上限を変えたい", &[1505]),
    (
        "customer",
        "パスワードを忘れてログインできない",
        &[1701, 1511],
    ),
    ("customer", "管理画面のadminパスワードがわからない", &[1511]),
    ("customer", "2段階認証を設定したい", &[1703]),
    ("customer", "対応しているブラウザは？", &[1705]),
    ("customer", "年末年始の休み", &[1201, 1202]),
    ("customer", "お盆休み", &[1204]),
    ("customer", "ゴールデンウィークのサポート", &[1203]),
    ("customer", "保守料金の値上げ", &[1205]),
    ("customer", "Gateway 7 のサポートはいつまで", &[1206]),
    ("customer", "迷惑メールに誤判定される", &[1507]),
    ("customer", "アーカイブの検索が遅い", &[1601]),
    ("customer", "PST形式で書き出す", &[1603]),
    ("customer", "アーカイブのディスクがいっぱい", &[1605]),
    ("customer", "Microsoft 365 のジャーナル", &[1604]),
    ("customer", "メールの保存期間", &[1602]),
    (
        "customer",
        "問い合わせの前に何を準備すればいい",
        &[1004, 1001],
    ),
    ("customer", "ログの取り方 診断情報", &[1004]),
    ("customer", "リモートで画面を見てもらいたい", &[1006]),
    ("customer", "クラウド版の稼働率", &[1102]),
    ("customer", "ファイアウォールに登録するIPアドレス", &[1103]),
    ("customer", "アプライアンスが故障した", &[1152]),
    ("customer", "OpenSSLの脆弱性の影響", &[1401]),
    ("customer", "フィッシングメールが届いた", &[1402]),
    ("customer", "チケットのステータスの意味", &[1003]),
    ("customer", "回答までの時間", &[1005]),
    ("customer", "ライセンスを追加したい", &[1301]),
    ("customer", "担当者が変わった", &[1302]),
    ("customer", "契約更新の手続き", &[1303]),
    ("customer", "インストール手順", &[1802]),
    ("customer", "管理者マニュアル PDF", &[1801, 1805]),
    ("customer", "修正モジュール ダウンロード", &[1804]),
    ("customer", "メンテナンスの予定", &[1903]),
    ("customer", "配送遅延の障害報告", &[1902, 1901]),
    ("customer", "Gmailに届かない 送信者ガイドライン", &[1506]),
    ("customer", "ＳＭＴＰスマグリング", &[1404]),
    ("public", "mail not delivered", &[1508]),
    ("public", "how to set up DKIM", &[1509]),
    ("public", "forgot password", &[1704]),
    ("public", "ticket states", &[1008]),
    ("public", "end of support Gateway 7", &[1208]),
    ("public", "year-end holidays", &[1207]),
    ("public", "planned maintenance December", &[1905]),
    ("internal", "エスカレーション", &[1009]),
    ("internal", "夜間のオンコール当番", &[1010]),
    ("internal", "sm-diagの見方", &[1011]),
];

/// Floors set from measurement (MRR@10 0.978, recall@5 0.991 when these were set), with a
/// margin for small ranking changes; a change that drops below them made search worse.
const MRR_FLOOR: f64 = 0.93;
const RECALL_FLOOR: f64 = 0.95;

#[test]
fn demo_queries_find_the_right_articles() {
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let (_tmp, site, _) = build_site(&content, None);
    let open = |e: &str| SearchIndex::open_edition(&site, Edition::parse(e).unwrap()).unwrap();
    let indexes = [
        ("public", open("public")),
        ("customer", open("customer")),
        ("internal", open("internal")),
    ];
    let mut rr_sum = 0.0;
    let mut recall_sum = 0.0;
    let mut misses = Vec::new();
    for (edition, query, relevant) in QUERIES {
        let index = &indexes.iter().find(|(e, _)| e == edition).unwrap().1;
        let hits: Vec<u32> = index
            .search(query, &Filters::default(), 10, 0)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.id)
            .collect();
        let rank = hits.iter().position(|id| relevant.contains(id));
        rr_sum += rank.map(|r| 1.0 / (r as f64 + 1.0)).unwrap_or(0.0);
        let found = relevant
            .iter()
            .filter(|id| hits.iter().take(5).any(|h| h == *id))
            .count();
        recall_sum += found as f64 / relevant.len().min(5) as f64;
        if rank != Some(0) {
            misses.push(format!(
                "  {query:?}: want {relevant:?}, got {:?}",
                &hits[..hits.len().min(5)]
            ));
        }
    }
    let n = QUERIES.len() as f64;
    let (mrr, recall) = (rr_sum / n, recall_sum / n);
    println!(
        "search quality over {} queries: MRR@10 = {mrr:.3}, recall@5 = {recall:.3}",
        QUERIES.len()
    );
    println!("not ranked first:\n{}", misses.join("\n"));
    assert!(QUERIES.len() >= 30);
    assert!(mrr >= MRR_FLOOR, "MRR@10 {mrr:.3} below {MRR_FLOOR}");
    assert!(
        recall >= RECALL_FLOOR,
        "recall@5 {recall:.3} below {RECALL_FLOOR}"
    );
}

#!/usr/bin/env python3
"""Synthetic knowledge-base content for the kb-builder build benchmark.

Usage:
    python3 tests/bench/gen_content.py N OUT_DIR [--hugo HUGO_DIR] [--seed S]

Writes N synthetic FAQ articles into OUT_DIR in kb-builder's content format (see
kb-builder/src/content.rs): `_site.yaml`, a 3-level tree of 40 category folders each with a
`_category.yaml`, and articles `<slug>.md` with YAML front matter
(id, title, visibility, language, keywords, created, updated) and a Markdown body.

Articles are "realistic-ish": ~3 KB bodies that mix Japanese sentences and English words,
with headings, a bullet list, a fenced code block, a table and (sometimes) a `faq:` link to
another article. Visibility is ~60 % public / 30 % customer / 10 % internal; language is
~85 % ja / 15 % en. Ids are unique, dates valid (updated >= created, RFC 3339 +09:00).
Output is deterministic for a given N and seed.

With `--hugo HUGO_DIR` the SAME articles (same folders, slugs, titles, dates and bodies) are
also written as a minimal one-language Hugo site (config.toml with taxonomies disabled,
layouts/_default/{baseof,single,list}.html, an `_index.md` per category) so that
`hugo --quiet` can be timed on identical input.

Python 3 standard library only.
"""

import argparse
import os
import random
import sys

# --- vocabulary -----------------------------------------------------------------------

PRODUCTS = ["SoraMail Gateway", "SoraMail Archive", "SoraMail Webmail", "クラウド版", "オンプレミス版"]
TOPICS_JA = [
    "証明書", "メール", "SMTP", "DKIM", "SPF", "DMARC", "TLS", "ライセンス", "バックアップ",
    "アーカイブ", "ログ", "パスワード", "二要素認証", "管理画面", "ウイルス対策", "迷惑メール",
    "添付ファイル", "メールボックス", "転送設定", "送信制限", "受信拒否", "DNS", "IMAP", "POP3",
    "LDAP", "シングルサインオン", "監査ログ", "ディスク容量", "アップデート", "再起動",
]
VERBS_JA = [
    "更新", "設定", "変更", "削除", "確認", "追加", "移行", "復元", "有効化", "無効化",
    "インストール", "エクスポート", "インポート",
]
PROBLEMS_JA = [
    "メールが届かない", "ログインできない", "証明書の期限が切れた", "送信が遅延する",
    "エラーが表示される", "文字化けする", "容量が不足している", "接続がタイムアウトする",
    "添付ファイルが開けない", "検索結果が表示されない", "画面が真っ白になる",
]
SENTENCES_JA = [
    "{p} の{t}を{v}する手順についてご案内します。",
    "{t}の{v}を行う前に、必ず現在の設定をバックアップしてください。",
    "{prob}場合は、まず {p} の管理画面で{t}の状態を確認してください。",
    "この操作は {p} のバージョン 9.2 以降で利用できます。",
    "{t}の{v}には管理者権限が必要です。作業は業務時間外に実施することをお勧めします。",
    "設定を{v}した後、{p} のサービスを再起動すると変更が反映されます。",
    "{prob}というお問い合わせを多くいただいています。原因の多くは{t}の設定誤りです。",
    "なお、{t}に関する詳細は管理者ガイドの該当章をご参照ください。",
    "サポート窓口へお問い合わせの際は、診断バンドルとエラーメッセージを添えてください。",
    "{t}を{v}しても解決しない場合は、ログに記録された時刻とメッセージIDをお知らせください。",
    "クラウド版では{t}の{v}は弊社で実施しますので、お客様の作業は不要です。",
    "{p} では{t}が既定で有効になっています。",
]
WORDS_EN = [
    "mail", "server", "certificate", "renewal", "SMTP", "relay", "queue", "timeout", "TLS",
    "handshake", "DNS", "record", "mailbox", "quota", "archive", "backup", "restore", "login",
    "password", "policy", "spam", "filter", "virus", "scan", "attachment", "header", "bounce",
    "delivery", "retry", "log", "audit", "license", "upgrade", "patch", "cluster", "node",
    "webmail", "IMAP", "LDAP", "sync", "export", "import", "admin", "console", "setting",
    "configuration", "error", "warning", "status", "service", "restart", "disk", "usage",
]
SENTENCES_EN = [
    "This article explains how to {v} the {t} in {p}.",
    "Back up the current {t} settings before you {v} them.",
    "If {prob}, first check the {t} status in the {p} admin console.",
    "The {t} {w1} requires administrator rights; schedule the work outside business hours.",
    "After you {v} the {t}, restart the {w1} {w2} so that the change takes effect.",
    "Most reports of this kind are caused by a wrong {t} {w1}.",
    "When you contact support, attach the diagnostic bundle and the exact {w1} message.",
    "In the cloud edition we {v} the {t} for you; no action is needed.",
]
TOPICS_EN = ["certificate", "SMTP relay", "DKIM key", "SPF record", "TLS setting", "license",
             "backup", "archive policy", "password policy", "spam filter", "mail queue",
             "LDAP sync", "audit log", "mailbox quota"]
VERBS_EN = ["update", "configure", "change", "delete", "check", "add", "migrate", "restore",
            "enable", "disable", "export"]
PROBLEMS_EN = ["mail does not arrive", "you cannot log in", "the certificate has expired",
               "sending is delayed", "an error is shown", "the disk is full"]

# 4 top-level categories x 3 children x 2 grandchildren = 4 + 12 + 24 = 40 categories.
TOP = [("faq", "よくあるご質問", "FAQ"), ("manuals", "マニュアル", "Manuals"),
       ("notices", "お知らせ", "Notices"), ("support", "サポート", "Support")]
MID = [("gateway", "Gateway", "Gateway"), ("archive", "Archive", "Archive"),
       ("webmail", "Webmail", "Webmail")]
LOW = [("setup", "導入・設定", "Setup"), ("trouble", "トラブルシューティング", "Troubleshooting")]


def categories():
    """(path, ja name, en name, order) for each of the 40 categories, parents first."""
    out = []
    for i, (t, tja, ten) in enumerate(TOP):
        out.append((t, tja, ten, (i + 1) * 10))
        for j, (m, mja, men) in enumerate(MID):
            out.append((f"{t}/{m}", f"{tja} {mja}", f"{ten} {men}", (j + 1) * 10))
            for k, (lo, lja, len_) in enumerate(LOW):
                out.append((f"{t}/{m}/{lo}", lja, len_, (k + 1) * 10))
    return out


def fill(rng, template, en):
    if en:
        return template.format(
            p=rng.choice(PRODUCTS[:3]), t=rng.choice(TOPICS_EN), v=rng.choice(VERBS_EN),
            prob=rng.choice(PROBLEMS_EN), w1=rng.choice(WORDS_EN), w2=rng.choice(WORDS_EN))
    return template.format(
        p=rng.choice(PRODUCTS), t=rng.choice(TOPICS_JA), v=rng.choice(VERBS_JA),
        prob=rng.choice(PROBLEMS_JA))


def paragraph(rng, en, n):
    pool = SENTENCES_EN if en else SENTENCES_JA
    parts = []
    for _ in range(n):
        s = fill(rng, rng.choice(pool), en)
        if not en and rng.random() < 0.5:
            # English words inside Japanese text, as real articles have them.
            s = s[:-1] + f"（{rng.choice(WORDS_EN)} {rng.choice(WORDS_EN)}）。"
        parts.append(s)
    return " ".join(parts) if en else "".join(parts)


def body(rng, en, target_bytes, link_id):
    h = (["Overview", "Procedure", "Notes", "Related information"] if en
         else ["概要", "手順", "注意事項", "関連情報"])
    out = [paragraph(rng, en, 3), "", f"## {h[0]}", "", paragraph(rng, en, 3), ""]
    out += [f"## {h[1]}", ""]
    for k in range(1, 5):
        out.append(f"{k}. " + fill(rng, rng.choice(SENTENCES_EN if en else SENTENCES_JA), en))
    out.append("")
    out += ["```sh", f"$ soramailctl {rng.choice(WORDS_EN).lower()} --{rng.choice(WORDS_EN).lower()}",
            f"$ systemctl restart soramail-{rng.choice(['gateway', 'archive', 'webmail'])}",
            f"# {rng.choice(WORDS_EN)} {rng.choice(WORDS_EN)} OK", "```", ""]
    out += ["| Product | Version | Status |" if en else "| 製品 | バージョン | 対応 |",
            "|---|---|---|"]
    for _ in range(3):
        out.append(f"| {rng.choice(PRODUCTS)} | {rng.randint(4, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)} | "
                   f"{rng.choice(['対応済み', '対応不要', '調査中']) if not en else rng.choice(['fixed', 'n/a', 'investigating'])} |")
    out += ["", f"## {h[2]}", ""]
    for _ in range(3):
        out.append("- " + fill(rng, rng.choice(SENTENCES_EN if en else SENTENCES_JA), en))
    out.append("")
    if link_id is not None:
        out += [f"## {h[3]}", "", f"- [{'See also' if en else '関連記事'}](faq:{link_id})", ""]
    text = "\n".join(out)
    # Pad with further paragraphs to about target_bytes of UTF-8.
    while len(text.encode("utf-8")) < target_bytes:
        text += "\n" + paragraph(rng, en, 2) + "\n"
    return text


def yaml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def date(rng):
    """(created, updated) as RFC 3339 strings with +09:00, updated >= created."""
    y, mo, d = rng.randint(2019, 2024), rng.randint(1, 12), rng.randint(1, 28)
    h, mi = rng.randint(0, 23), rng.randint(0, 59)
    c = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:00+09:00"
    y2 = rng.randint(y, 2025)
    mo2 = rng.randint(mo if y2 == y else 1, 12)
    d2 = rng.randint(d if (y2 == y and mo2 == mo) else 1, 28)
    u = f"{y2:04d}-{mo2:02d}-{d2:02d}T{h:02d}:{mi:02d}:00+09:00"
    return c, u


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("out", help="content folder to create (kb-builder format)")
    ap.add_argument("--hugo", help="also write the same articles as a Hugo site here")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--body-bytes", type=int, default=3000, help="approximate body size")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cats = categories()

    write(os.path.join(args.out, "_site.yaml"),
          "title:\n  ja: ベンチマーク用サポートサイト\n  en: Benchmark Support Site\n"
          "description:\n  ja: 合成データによるベンチマーク\n  en: Synthetic benchmark content\n"
          "base_url: https://support.bench.example/\n")
    for path, ja, en, order in cats:
        write(os.path.join(args.out, path, "_category.yaml"),
              f"name:\n  ja: {yaml_str(ja)}\n  en: {yaml_str(en)}\norder: {order}\n")

    if args.hugo:
        h = args.hugo
        write(os.path.join(h, "config.toml"),
              'baseURL = "https://hugo.bench.example/"\n'
              'languageCode = "ja"\ndefaultContentLanguage = "ja"\n'
              'title = "Benchmark"\nhasCJKLanguage = true\n'
              'disableKinds = ["taxonomy", "term"]\n'
              "[markup.goldmark.renderer]\nunsafe = false\n")
        write(os.path.join(h, "layouts/_default/baseof.html"),
              '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">'
              "<title>{{ .Title }} | {{ .Site.Title }}</title></head>\n"
              '<body><header><a href="{{ .Site.BaseURL }}">{{ .Site.Title }}</a></header>\n'
              "<main>{{ block \"main\" . }}{{ end }}</main></body></html>\n")
        write(os.path.join(h, "layouts/_default/single.html"),
              '{{ define "main" }}<article><h1>{{ .Title }}</h1>'
              '<time>{{ .Date.Format "2006-01-02" }}</time>{{ .Content }}</article>{{ end }}\n')
        write(os.path.join(h, "layouts/_default/list.html"),
              '{{ define "main" }}<h1>{{ .Title }}</h1><ul>'
              '{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}'
              "</ul>{{ end }}\n")
        write(os.path.join(h, "content/_index.md"), '---\ntitle: "Benchmark"\n---\n')
        for path, ja, _en, _order in cats:
            write(os.path.join(h, "content", path, "_index.md"), f"---\ntitle: {yaml_str(ja)}\n---\n")

    first_id = 100001
    total_bytes = 0
    for k in range(args.n):
        aid = first_id + k
        en = rng.random() < 0.15
        r = rng.random()
        vis = "public" if r < 0.6 else ("customer" if r < 0.9 else "internal")
        path, _, _, _ = rng.choice(cats)
        t = fill(rng, rng.choice(SENTENCES_EN if en else SENTENCES_JA), en).rstrip("。.")
        title = (f"[{aid}] " + t)[:90]
        kws = rng.sample(TOPICS_EN if en else TOPICS_JA, 3) + [rng.choice(WORDS_EN)]
        created, updated = date(rng)
        link = first_id + rng.randrange(args.n) if (args.n > 1 and rng.random() < 0.3) else None
        text = body(rng, en, args.body_bytes, link)
        total_bytes += len(text.encode("utf-8"))
        slug = f"article-{aid}"
        write(os.path.join(args.out, path, slug + ".md"),
              "---\n"
              f"id: {aid}\n"
              f"title: {yaml_str(title)}\n"
              f"visibility: {vis}\n"
              f"language: {'en' if en else 'ja'}\n"
              f"keywords: [{', '.join(yaml_str(x) for x in kws)}]\n"
              f"created: {created}\n"
              f"updated: {updated}\n"
              "---\n" + text)
        if args.hugo:
            # Hugo has no faq: scheme; point the link at the article's Hugo URL instead.
            htext = text
            if link is not None:
                htext = text.replace(f"(faq:{link})", f"(/article-{link}/)")
            write(os.path.join(args.hugo, "content", path, slug + ".md"),
                  f"---\ntitle: {yaml_str(title)}\ndate: {created}\nlastmod: {updated}\n---\n" + htext)
    print(f"wrote {args.n} articles ({total_bytes / max(args.n, 1) / 1024:.1f} KB body on average) "
          f"in {len(cats)} categories to {args.out}" + (f" and {args.hugo}" if args.hugo else ""),
          file=sys.stderr)


if __name__ == "__main__":
    main()

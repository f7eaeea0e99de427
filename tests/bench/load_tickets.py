#!/usr/bin/env python3
"""Loads a realistic desk into a migrated Madoguchi database, for tests/bench/tickets.sh.

    load_tickets.py sqlite FILE    TICKETS   # through Python's sqlite3
    load_tickets.py postgres URL   TICKETS   # through psql's \\copy

50 companies (one of them, "Bench 株式会社", the benchmark customer's, holds 2 % of the
tickets like the others), 2 customers each (CUSTOMERS_PER_COMPANY in the environment
changes that), 8 agents; TICKETS tickets spread over the last
two years with 3 articles each (the customer's question, an agent's answer, and a customer
reply or an internal note), 80 % closed, the rest in the open states and changed within the
last five days (so the timed state changes do not start moving them during a run); ticket numbers
YYYYMMDD + 10 + the day's counter, as the service makes them. Then a session for the
benchmark customer and one for an agent, and an API token for the customer, whose secrets
it prints as shell assignments (CUSTOMER_COOKIE=..., AGENT_COOKIE=..., API_TOKEN=...,
TICKET_NUMBERS_FILE=...). Rows are written with explicit ids, so PostgreSQL's identity
sequences are moved past them at the end.
"""
import base64
import datetime as dt
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time

COMPANIES = 50
AGENTS = 8
CUSTOMERS_PER_COMPANY = int(os.environ.get("CUSTOMERS_PER_COMPANY", "2"))
# Not a hash of anything: nobody logs in with a password here (sessions are inserted).
NO_PASSWORD = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hiZW5jaA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
JST = dt.timezone(dt.timedelta(hours=9))

SUBJECTS = [
    "社外宛メールが 451 エラーで配送されない",
    "管理画面にログインできない",
    "アーカイブ検索が遅い",
    "Webmail で添付ファイルが開けない",
    "DKIM 署名の検証に失敗する",
    "ライセンスの追加について",
    "Hotfix 適用後にサービスが起動しない",
    "Mail queue keeps growing after upgrade",
    "SPF record check fails for our domain",
    "バージョンアップ手順の確認",
]
BODY = (
    "いつもお世話になっております。\n{subject}件について調査をお願いします。\n"
    "発生日時: 2025-06-02 10:15 頃から\n影響範囲: 一部のユーザー\n"
    "実施済みの対処: サービスの再起動（改善せず）\n\n> 以前の回答より引用\n"
    "ログを添付いたしますので、ご確認のほどよろしくお願いいたします。\n"
) * 2
ANSWER = (
    "お問い合わせありがとうございます。\nいただいたログを確認したところ、"
    "設定の不整合が原因と考えられます。以下の手順をお試しください。\n"
    "1. 管理画面で設定を確認する\n2. サービスを再起動する\n"
    "詳しくは https://support.example/kb/articles/1002.html をご覧ください。\n"
)


def token():
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def rows(n_tickets, now):
    rnd = random.Random(42)
    companies, users, tickets, articles, counters = [], [], [], [], {}
    for c in range(1, COMPANIES + 1):
        name = "Bench 株式会社" if c == 1 else f"ベンチ商事 {c:02d}"
        companies.append((c, name, "2020-01-01", "2099-12-31", now - 3 * 365 * 86400))
    uid = 0
    for c in range(1, COMPANIES + 1):
        for k in range(CUSTOMERS_PER_COMPANY):
            uid += 1
            users.append((uid, "customer", c, f"customer{c}-{k}@bench.example",
                          f"顧客 {c}-{k}", NO_PASSWORD, "ja", "Asia/Tokyo", 0, 25, now))
    first_agent = uid + 1
    for a in range(AGENTS):
        uid += 1
        users.append((uid, "agent", None, f"agent{a}@bench.example", f"担当 {a}",
                      NO_PASSWORD, "ja", "Asia/Tokyo", 0, 25, now))
    start = now - 2 * 365 * 86400
    step = (now - start) / n_tickets
    aid = 0
    open_states = ["new", "in_progress", "awaiting_customer", "pending_close"]
    for t in range(1, n_tickets + 1):
        created = int(start + t * step)
        day = dt.datetime.fromtimestamp(created, JST).strftime("%Y%m%d")
        counters[day] = counters.get(day, 0) + 1
        number = f"{day}10{counters[day]}"
        company = rnd.randint(1, COMPANIES)
        customer = (company - 1) * CUSTOMERS_PER_COMPANY + rnd.randint(1, CUSTOMERS_PER_COMPANY)
        agent = rnd.randint(first_agent, first_agent + AGENTS - 1)
        state = "closed" if rnd.random() < 0.8 else rnd.choice(open_states)
        subject = f"{rnd.choice(SUBJECTS)} ({t})"
        changed = created + 3 * 3600
        if state != "closed":
            # Open tickets moved lately, so the timed changes leave them be during a run.
            changed = max(changed, now - rnd.randint(0, 5 * 86400))
        fields = json.dumps({"end_user": f"エンドユーザ {company}"}, ensure_ascii=False)
        tickets.append((t, number, company, customer, rnd.randint(1, 9), rnd.randint(1, 4),
                        subject, rnd.randint(1, 5), state,
                        agent if state != "new" else None, fields, None, created, changed,
                        changed))
        internal_last = rnd.random() < 0.3
        for i, (sender, author, internal, body) in enumerate([
            ("customer", customer, 0, BODY.format(subject=subject)),
            ("agent", agent, 0, ANSWER),
            ("agent", agent, 1, "社内メモ: 開発に確認済み。") if internal_last
            else ("customer", customer, 0, "ご回答ありがとうございます。確認いたします。"),
        ]):
            aid += 1
            articles.append((aid, t, sender, author, internal, body, created + i * 3600))
    return companies, users, tickets, articles, sorted(counters.items())


def sessions_and_token(users, now):
    customer = next(u for u in users if u[1] == "customer" and u[2] == 1)
    agent = next(u for u in users if u[1] == "agent")
    cookies = {"CUSTOMER_COOKIE": (token(), customer[0]), "AGENT_COOKIE": (token(), agent[0])}
    sessions = [(sha(v), uid, token(), now, now) for v, uid in cookies.values()]
    api = token()
    api_tokens = [(1, customer[0], 1, "bench", sha(api), now, None)]
    return cookies, sessions, api, api_tokens


TABLES = [
    ("companies", "id, name, contract_start, contract_end, created_at"),
    ("users", "id, kind, company_id, email, display_name, password_hash, language, "
              "time_zone, refresh_minutes, page_size, created_at"),
    ("tickets", "id, number, company_id, customer_id, type_id, queue_id, subject, priority, "
                "state, owner_id, dynamic_fields, refers_to, created_at, changed_at, "
                "state_changed_at"),
    ("ticket_articles", "id, ticket_id, sender, author_id, internal, body, created_at"),
    ("ticket_counters", "day, last"),
    ("sessions", "id_hash, user_id, csrf_token, created_at, last_seen_at"),
    ("api_tokens", "id, user_id, slot, name, token_hash, created_at, last_used_at"),
]


def load_sqlite(path, data):
    import sqlite3
    db = sqlite3.connect(path)
    with db:
        for (table, cols), values in zip(TABLES, data):
            marks = ", ".join("?" for _ in cols.split(","))
            db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values)
    db.execute("ANALYZE")
    db.close()


def copy_text(values):
    out = io.StringIO()
    for row in values:
        cells = []
        for v in row:
            if v is None:
                cells.append("\\N")
            else:
                s = str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                cells.append(s)
        out.write("\t".join(cells) + "\n")
    return out.getvalue()


def load_postgres(url, data):
    with tempfile.TemporaryDirectory() as tmp:
        script = ["BEGIN;"]
        for (table, cols), values in zip(TABLES, data):
            f = os.path.join(tmp, table + ".tsv")
            with open(f, "w", encoding="utf-8") as fh:
                fh.write(copy_text(values))
            script.append(f"\\copy {table} ({cols}) FROM '{f}'")
        script.append("COMMIT;")
        for table in ["companies", "users", "tickets", "ticket_articles", "api_tokens"]:
            script.append(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}));")
        script.append("ANALYZE;")
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input="\n".join(script),
                       text=True, check=True, stdout=subprocess.DEVNULL)


def main():
    backend, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    now = int(time.time())
    began = time.monotonic()
    companies, users, tickets, articles, counters = rows(n, now)
    cookies, sessions, api, api_tokens = sessions_and_token(users, now)
    data = [companies, users, tickets, articles, counters, sessions, api_tokens]
    if backend == "sqlite":
        load_sqlite(target, data)
    else:
        load_postgres(target, data)
    numbers = [t[1] for t in tickets if t[2] == 1]
    fd, numbers_file = tempfile.mkstemp(prefix="madoguchi-bench-numbers-")
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(numbers) + "\n")
    for name, (value, _) in cookies.items():
        print(f"{name}={value}")
    print(f"API_TOKEN={api}")
    print(f"TICKET_NUMBERS_FILE={numbers_file}")
    print(f"LOADED_TICKETS={len(tickets)}")
    print(f"LOADED_ARTICLES={len(articles)}")
    print(f"LOAD_SECONDS={time.monotonic() - began:.1f}")


if __name__ == "__main__":
    main()

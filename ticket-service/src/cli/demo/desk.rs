//! A few weeks of a support desk's life, written through the same services the pages use:
//! tickets in every state, in Japanese and English, with log files and a screenshot,
//! answers, internal notes, an owner, a follow-up of a closed ticket, a ticket of the
//! company whose contract has since ended — and FAQ views and votes for the top-10 lists.
//!
//! The clock is set back to the first day and moved forward as the story goes, so dates,
//! the history and the timed state changes read as they would on a real desk.

use crate::domain::{Body, FileName, TicketState};
use crate::state::AppState;
use crate::store::tickets::Field;
use crate::store::users::User;
use crate::tickets::files::Upload;
use crate::tickets::forms::{NewTicketInput, ReplyInput};
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

const DAY: i64 = 24 * 3600;
const HOUR: i64 = 3600;

/// The people of the demo, found by e-mail.
struct Cast<'a> {
    yamada: &'a User,
    emily: &'a User,
    suzuki: &'a User,
    sato: &'a User,
    tanaka: &'a User,
}

fn find<'a>(users: &'a [User], email: &str) -> anyhow::Result<&'a User> {
    users
        .iter()
        .find(|u| u.email.as_str() == email)
        .with_context(|| format!("the demo user {email}"))
}

fn file(name: &str, data: &[u8]) -> Upload {
    Upload {
        file_name: FileName::parse(name).expect("demo file names are valid"),
        data: data.to_vec(),
    }
}

/// A small PNG (a grey login box with a red error bar), made here so the demo needs no
/// image file.
fn screenshot() -> Vec<u8> {
    let (w, h) = (120u32, 60u32);
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0u8);
        for x in 0..w {
            let (r, g, b) = if (20..28).contains(&y) && (10..110).contains(&x) {
                (200, 40, 40)
            } else if (8..52).contains(&y) && (6..114).contains(&x) {
                (235, 235, 235)
            } else {
                (255, 255, 255)
            };
            raw.extend_from_slice(&[r, g, b]);
        }
    }
    png(w, h, &raw)
}

/// An uncompressed (stored-deflate) PNG of 8-bit RGB rows, each with its filter byte.
fn png(w: u32, h: u32, raw: &[u8]) -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let mut zlib = vec![0x78, 0x01];
    for (i, block) in raw.chunks(65_535).enumerate() {
        let last = (i + 1) * 65_535 >= raw.len();
        zlib.push(u8::from(last));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

const MAILLOG: &str = "\
Jun 19 09:00:01 gw01 postfix/smtp[21877]: 4QxB2k0Zz1: to=<sales@partner.example>, relay=mx.partner.example[198.51.100.25]:25, delay=0.42, status=deferred (host mx.partner.example said: 451 4.7.1 Greylisted, please try again later)
Jun 19 09:00:02 gw01 postfix/smtp[21877]: 4QxB2k1Ab2: to=<info@client.example>, relay=mx.client.example[203.0.113.8]:25, delay=0.51, status=deferred (host mx.client.example said: 451 4.7.1 Greylisted, please try again later)
Jun 19 09:05:13 gw01 postfix/qmgr[1203]: 4QxB2k0Zz1: from=<yamada@sakura-seiki.example>, size=48211, nrcpt=1 (queue active)
";

fn input(
    type_id: u32,
    queue: u32,
    subject: &str,
    body: &str,
    priority: u8,
    end_user: &str,
) -> NewTicketInput {
    NewTicketInput {
        ticket_type: type_id.to_string(),
        queue: queue.to_string(),
        subject: subject.into(),
        body: body.into(),
        priority: priority.to_string(),
        fields: BTreeMap::from([("end_user".to_string(), end_user.to_string())]),
        refers_to: String::new(),
    }
}

fn reply(body: &str, next: TicketState) -> ReplyInput {
    ReplyInput {
        body: body.into(),
        next_state: next.as_str().into(),
        priority: String::new(),
    }
}

/// Writes the desk's history; returns how many tickets it made.
pub async fn seed(state: &AppState, users: &[User]) -> anyhow::Result<usize> {
    let cast = Cast {
        yamada: find(users, "yamada@sakura-seiki.example")?,
        emily: find(users, "emily@sakura-seiki.example")?,
        suzuki: find(users, "suzuki@aoba-system.example")?,
        sato: find(users, "sato@madoguchi.example")?,
        tanaka: find(users, "tanaka@madoguchi.example")?,
    };
    let clock = &state.clock;
    let tickets = &state.tickets;
    let settings = tickets.settings().clone();
    let at = |days_ago: i64, hour: i64| clock.set_offset(-days_ago * DAY + hour * HOUR - 12 * HOUR);
    let create = |who: &User, i: NewTicketInput, files: Vec<Upload>| {
        let who = who.clone();
        let settings = settings.clone();
        async move {
            let t = i
                .parse(&settings)
                .map_err(|e| anyhow::anyhow!("demo ticket: {e:?}"))?;
            let ticket = tickets.create(&who, t, &files, None).await?;
            anyhow::Ok(ticket.number.to_string())
        }
    };
    let answer = |who: &User, number: String, r: ReplyInput, files: Vec<Upload>| {
        let who = who.clone();
        async move {
            let allowed = if who.is_agent() {
                &TicketState::AGENT_NEXT[..]
            } else {
                &TicketState::CUSTOMER_NEXT[..]
            };
            let r = r
                .parse(allowed)
                .map_err(|e| anyhow::anyhow!("demo reply: {e:?}"))?;
            tickets.reply(&who, &number, r, &files, None).await?;
            anyhow::Ok(())
        }
    };
    let note = |who: &User, number: String, text: &str| {
        let who = who.clone();
        let text = text.to_string();
        async move {
            tickets
                .note(
                    &who,
                    &number,
                    Body::parse(&text).expect("demo note"),
                    &[],
                    None,
                )
                .await?;
            anyhow::Ok(())
        }
    };

    // 1. The ended company's ticket, from when its contract still ran: closed.
    at(45, 10);
    let aoba = create(
        cast.suzuki,
        input(
            2,
            1,
            "証明書更新後に TLS ハンドシェイクエラーが出る",
            "サーバー証明書を更新したところ、一部の送信先で TLS ハンドシェイクエラーが記録されるようになりました。\n中間証明書の設定に問題があるでしょうか。",
            3,
            "青葉システム株式会社",
        ),
        vec![],
    )
    .await?;
    at(45, 14);
    answer(
        cast.sato,
        aoba.clone(),
        reply(
            "中間証明書が連結されていない可能性が高いです。\n「サーバー証明書の更新手順」(FAQ#1504) の手順 3 で、サーバー証明書・中間証明書の順に連結したファイルを指定してください。",
            TicketState::PendingClose,
        ),
        vec![],
    )
    .await?;
    at(44, 9);
    answer(
        cast.suzuki,
        aoba,
        reply(
            "手順どおり設定し直したところ解消しました。ありがとうございました。",
            TicketState::Closed,
        ),
        vec![],
    )
    .await?;

    // 2. Disk usage of the archive: answered and closed by the customer.
    at(25, 9);
    let disk = create(
        cast.yamada,
        input(
            1,
            2,
            "アーカイブサーバーのディスク使用率が 90% を超えた",
            "SoraMail Archive のデータ領域の使用率が 90% を超えました。\n保存期間を短くすれば空き容量は回復しますか。",
            4,
            "株式会社さくら精機",
        ),
        vec![],
    )
    .await?;
    at(25, 13);
    answer(
        cast.tanaka,
        disk.clone(),
        reply(
            "保存期間を短くすると、期限切れのメールは夜間の削除処理で消え、翌朝には空き容量が回復します。\n設定方法は FAQ#1602「保存期間の設定と期限切れメールの自動削除」をご覧ください。",
            TicketState::PendingClose,
        ),
        vec![],
    )
    .await?;
    at(24, 10);
    answer(
        cast.yamada,
        disk.clone(),
        reply(
            "保存期間を 7 年から 5 年に変更し、使用率が 62% まで下がりました。解決しました。",
            TicketState::Closed,
        ),
        vec![],
    )
    .await?;

    // 3. A follow-up of the closed ticket, about the same archive.
    at(6, 11);
    let mut follow = input(
        1,
        2,
        &format!("Ref: #{disk} ディスク使用率が再び上昇"),
        "先日の件の続きです。保存期間を変更してから 3 週間で、使用率が再び 80% に達しました。\n削除処理が動いていないのでしょうか。",
        3,
        "株式会社さくら精機",
    );
    follow.refers_to = disk;
    let follow_up = create(cast.yamada, follow, vec![]).await?;
    at(6, 15);
    tickets
        .update(cast.tanaka, &follow_up, Field::Owner(Some(cast.tanaka.id)))
        .await?;
    note(
        cast.tanaka,
        follow_up.clone(),
        "削除ジョブのログを確認したところ、8 日前から毎晩タイムアウトしている。既知の不具合 ARC-2207（インデックス最適化と同時刻に走ると失敗）に該当。回避策：削除ジョブの時刻を 2:00 にずらす。",
    )
    .await?;
    answer(
        cast.tanaka,
        follow_up,
        reply(
            "削除処理が夜間のインデックス最適化と重なり、完了していないことが分かりました。\n管理画面の［保守］→［スケジュール］で、削除処理の開始時刻を 2:00 に変更していただけますか。\n変更後、翌朝の使用率をお知らせください。",
            TicketState::AwaitingCustomer,
        ),
        vec![],
    )
    .await?;

    // 4. Mail delivery stuck on greylisting: answered, waiting to close.
    at(5, 9);
    let greylist = create(
        cast.yamada,
        input(
            2,
            1,
            "メール送信不可について",
            "本日 9 時頃から、一部の社外宛メールが送信されずキューに残っています。\nログを添付します。",
            4,
            "株式会社さくら精機",
        ),
        vec![file("maillog-20250619.txt", MAILLOG.as_bytes())],
    )
    .await?;
    at(5, 11);
    answer(
        cast.sato,
        greylist,
        reply(
            "ログを拝見しました。送信先がグレーリストで一時的に受信を保留しており（451 4.7.1 Greylisted）、SoraMail Gateway は自動で再送します。\n通常は 15〜30 分で配送されます。時間が経っても残る場合は、FAQ#1503「配送キューが滞留する場合の対処」の手順でキューをご確認ください。",
            TicketState::PendingClose,
        ),
        vec![],
    )
    .await?;

    // 5. In English: webmail login after an upgrade, in progress with the customer's
    //    screenshot.
    at(3, 10);
    let webmail = create(
        cast.emily,
        input(
            2,
            3,
            "Webmail login fails after upgrading to 9.2",
            "Since we upgraded SoraMail Webmail to 9.2 last night, users get \"Session expired\" right after logging in.\nScreenshot attached.",
            4,
            "Sakura Seiki Co., Ltd.",
        ),
        vec![file("login-error.png", &screenshot())],
    )
    .await?;
    at(3, 13);
    answer(
        cast.sato,
        webmail.clone(),
        reply(
            "Thank you for the screenshot. Is the webmail behind a reverse proxy? If so, please send us its configuration (the part for the webmail host).",
            TicketState::AwaitingCustomer,
        ),
        vec![],
    )
    .await?;
    at(2, 9);
    answer(
        cast.emily,
        webmail.clone(),
        reply(
            "Yes, nginx in front. Here is the relevant part:\n\n    location / {\n        proxy_pass http://127.0.0.1:8081;\n    }",
            TicketState::InProgress,
        ),
        vec![],
    )
    .await?;
    note(
        cast.sato,
        webmail,
        "9.2 sets the session cookie with Secure; their nginx does not pass X-Forwarded-Proto, so the app thinks it is plain http. Ask them to add proxy_set_header X-Forwarded-Proto $scheme.",
    )
    .await?;

    // 6. Log investigation, taken by an agent, a diagnostic bundle attached.
    at(2, 15);
    let logs = create(
        cast.yamada,
        input(
            8,
            1,
            "サーバログ調査のお願い（夜間の CPU 使用率上昇）",
            "毎晩 1 時頃に CPU 使用率が 100% になります。診断情報（sm-diag）を添付しますので、原因の調査をお願いします。",
            3,
            "株式会社さくら精機",
        ),
        vec![file(
            "sm-diag-gw01-20250617.txt",
            b"sm-diag 9.2.3 gw01\n== load ==\n01:00 12.41 11.87 9.02\n== top ==\n  PID USER  %CPU COMMAND\n 3321 smg   97.3 sm-scand --full\n",
        )],
    )
    .await?;
    tickets
        .update(cast.sato, &logs, Field::Owner(Some(cast.sato.id)))
        .await?;
    answer(
        cast.sato,
        logs.clone(),
        reply(
            "診断情報を受領しました。調査いたしますので、しばらくお待ちください。",
            TicketState::InProgress,
        ),
        vec![],
    )
    .await?;
    note(
        cast.sato,
        logs,
        "1:00 の sm-scand --full（全件ウイルス再スキャン）が原因。スケジュールを週 1 回にする提案で回答予定。",
    )
    .await?;

    // 7. New, not answered yet: archive search, and a licence request in English.
    at(0, 9);
    create(
        cast.yamada,
        input(
            1,
            2,
            "アーカイブの検索結果が表示されない",
            "期間を 1 年以上にして検索すると、結果が 0 件と表示されます。期間を短くすると表示されます。",
            3,
            "株式会社さくら精機",
        ),
        vec![],
    )
    .await?;
    at(0, 10);
    create(
        cast.emily,
        input(
            4,
            4,
            "Request to add 50 user licences",
            "We would like to add 50 user licences to our SoraMail Gateway contract from next month. Please send us a quote.",
            2,
            "Sakura Seiki Co., Ltd.",
        ),
        vec![],
    )
    .await?;

    // FAQ usage: views from visitors, and a few votes.
    let views: [(u32, u32); 10] = [
        (1501, 48),
        (1701, 37),
        (1503, 29),
        (1702, 22),
        (1002, 18),
        (1602, 15),
        (1505, 11),
        (1504, 9),
        (1003, 7),
        (1601, 5),
    ];
    for (id, n) in views {
        for v in 0..n {
            let ip = IpAddr::V4(Ipv4Addr::new(10, 20, (v / 250) as u8, (v % 250) as u8 + 1));
            state
                .faq
                .record_view(id, ip, "Mozilla/5.0 (demo visitor)")
                .await?;
        }
    }
    for (who, id, stars) in [
        (cast.yamada, 1501, "5"),
        (cast.emily, 1501, "4"),
        (cast.yamada, 1503, "4"),
        (cast.yamada, 1602, "5"),
        (cast.emily, 1701, "3"),
    ] {
        state.faq.vote(who, id, stars).await?;
    }
    clock.set_offset(0);
    // The mail the story caused goes out now, in order.
    state.mail.wake();
    Ok(8)
}

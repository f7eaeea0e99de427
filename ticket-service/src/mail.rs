//! Outgoing mail. [`Mailer`] is what the service talks to; [`FileMailer`] writes each
//! message as an RFC 5322 `.eml` file into a folder (development, demos, tests, or a
//! pickup folder). The SMTP transport comes later as a second `Mailer`; messages are built
//! with lettre's builder either way, so headers are encoded correctly (Japanese subjects
//! and names become RFC 2047 encoded-words, the body is UTF-8).

use crate::domain::Email;
use anyhow::Context as _;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

/// One plain-text message to one recipient.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: Email,
    pub to_name: String,
    pub subject: String,
    pub body: String,
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Sends mail. Object-safe so the application can hold any transport.
pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: OutgoingMail) -> SendFuture<'_>;
}

/// Builds the RFC 5322 message.
pub fn build_message(from: &Mailbox, mail: &OutgoingMail) -> anyhow::Result<Message> {
    let address: lettre::Address = mail.to.as_str().parse().context("recipient address")?;
    let to = Mailbox::new(Some(mail.to_name.clone()), address);
    // Base64 always: safe for any transport and any text, and predictable for tools.
    let body = Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::Base64)
        .map_err(|_| anyhow::anyhow!("cannot encode the mail body"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .context("building the message")
}

/// Writes each message to `<dir>/<unix-millis>-<random>.eml`.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    /// Creates the folder if needed. `from` is a mailbox such as `Support <s@example.com>`.
    pub fn new(dir: &Path, from: &str) -> anyhow::Result<FileMailer> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create mail folder {}", dir.display()))?;
        let from = from
            .parse()
            .with_context(|| format!("invalid mail_from {from:?}"))?;
        Ok(FileMailer {
            dir: dir.to_path_buf(),
            from,
        })
    }
}

impl Mailer for FileMailer {
    fn send(&self, mail: OutgoingMail) -> SendFuture<'_> {
        Box::pin(async move {
            let message = build_message(&self.from, &mail)?;
            let millis = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let name = format!("{millis}-{}.eml", &crate::auth::random_token()[..12]);
            let tmp = self.dir.join(format!(".{name}.tmp"));
            // Write then rename, so a reader of the folder never sees half a message.
            tokio::fs::write(&tmp, message.formatted())
                .await
                .with_context(|| format!("writing {}", tmp.display()))?;
            tokio::fs::rename(&tmp, self.dir.join(&name))
                .await
                .context("renaming the mail file")?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_an_eml_with_encoded_japanese_headers() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = FileMailer::new(dir.path(), "窓口 <support@example.com>").unwrap();
        let mail = OutgoingMail {
            to: Email::parse("yamada@example.co.jp").unwrap(),
            to_name: "山田 太郎".into(),
            subject: "パスワード再設定のご案内".into(),
            body: "こんにちは\nhttps://example.com/reset/x\n".into(),
        };
        mailer.send(mail).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
        assert!(text.contains("To: =?utf-8?"), "{text}");
        assert!(text.contains("<yamada@example.co.jp>"), "{text}");
        assert!(text.contains("Date: "), "{text}");
        assert!(text.contains("Content-Transfer-Encoding: base64"), "{text}");
    }
}

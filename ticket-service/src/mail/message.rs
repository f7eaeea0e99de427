//! Turning an outbox row into an RFC 5322 message. lettre's builder encodes the headers
//! (Japanese subjects and names become RFC 2047 encoded-words) and refuses addresses that
//! are not addresses; the body is UTF-8 in base64, safe for any transport and any text.

use crate::store::outbox::Message as Stored;
use anyhow::Context as _;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message};

/// Builds the message of an outbox row, with the Message-ID it was given when enqueued.
pub fn build(from: &Mailbox, m: &Stored) -> anyhow::Result<Message> {
    let address: lettre::Address = m.recipient.parse().context("recipient address")?;
    let name = (!m.recipient_name.is_empty()).then(|| m.recipient_name.clone());
    let to = Mailbox::new(name, address);
    let body = Body::new_with_encoding(m.body.clone(), ContentTransferEncoding::Base64)
        .map_err(|_| anyhow::anyhow!("cannot encode the mail body"))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(m.message_id.clone()))
        .header(ContentType::TEXT_PLAIN);
    if let Some(parent) = &m.in_reply_to {
        builder = builder.in_reply_to(parent.clone());
    }
    if let Some(refs) = &m.references {
        builder = builder.references(refs.clone());
    }
    builder.body(body).context("building the message")
}

/// A new Message-ID in the sender's domain: `<random@domain>`.
pub fn new_message_id(from: &Mailbox) -> String {
    let domain = from.email.domain();
    let token = crate::token::random_token();
    format!("<{}@{domain}>", &token[..32])
}

//! Transports: how a finished message leaves the service. [`SmtpTransport`] hands it to an
//! SMTP server (plain, STARTTLS or implicit TLS, with a login if configured);
//! [`FileTransport`] writes each message as an RFC 5322 `.eml` file into a folder
//! (development, the demo, a pickup folder for a local MTA). Only the delivery job calls a
//! transport; everything else enqueues.

use crate::config::{Mail as Settings, SmtpTls};
use anyhow::Context as _;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Sends a finished message. Object-safe so the delivery job can hold any transport.
pub trait Transport: Send + Sync + 'static {
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a>;
}

/// Writes each message to `<dir>/<unix-millis>-<random>.eml`.
#[derive(Debug, Clone)]
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    /// Creates the folder if needed.
    pub fn new(dir: &Path) -> anyhow::Result<FileTransport> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create mail folder {}", dir.display()))?;
        Ok(FileTransport {
            dir: dir.to_path_buf(),
        })
    }
}

impl Transport for FileTransport {
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            let millis = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let name = format!("{millis}-{}.eml", &crate::token::random_token()[..12]);
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

/// Sends through an SMTP server.
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
}

impl SmtpTransport {
    /// A transport for the `[mail] smtp_*` settings (which must name a host).
    pub fn new(settings: &Settings) -> anyhow::Result<SmtpTransport> {
        let host = settings.smtp_host.trim();
        let mut builder = match settings.smtp_tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .with_context(|| format!("SMTP with STARTTLS to {host}"))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .with_context(|| format!("SMTP over TLS to {host}"))?,
        };
        builder = builder
            .port(settings.smtp_port())
            .timeout(Some(Duration::from_secs(u64::from(
                settings.smtp_timeout_seconds,
            ))));
        if !settings.smtp_user.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.smtp_user.clone(),
                settings.smtp_password.expose().to_string(),
            ));
        }
        Ok(SmtpTransport {
            inner: builder.build(),
            host: format!("{host}:{}", settings.smtp_port()),
        })
    }
}

impl Transport for SmtpTransport {
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            self.inner
                .send(message.clone())
                .await
                .with_context(|| format!("SMTP server {}", self.host))?;
            Ok(())
        })
    }
}

/// The transport the settings ask for: SMTP when `smtp_host` is set, else the folder.
pub fn from_settings(settings: &Settings) -> anyhow::Result<Arc<dyn Transport>> {
    if settings.smtp_host.trim().is_empty() {
        Ok(Arc::new(FileTransport::new(&settings.mail_dir)?))
    } else {
        Ok(Arc::new(SmtpTransport::new(settings)?))
    }
}

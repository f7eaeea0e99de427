//! Transports: how a finished message leaves the service. [`FileTransport`] writes each
//! message as an RFC 5322 `.eml` file into a folder (development, the demo, a pickup folder
//! for a local MTA). Only the delivery job calls a transport; everything else enqueues.

use anyhow::Context as _;
use lettre::Message;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

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

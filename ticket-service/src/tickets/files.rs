//! Uploaded files: what the service accepts and what type it serves them as. File names are
//! kept for display only ([`FileName`]); the type comes from the name's extension through an
//! allow-list, so a file can never be served as HTML or script, whatever it holds or
//! claims to be.

use crate::domain::FileName;
use sha2::{Digest, Sha256};

/// A file as it arrived with a form.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: FileName,
    pub data: Vec<u8>,
}

impl Upload {
    /// The type a download of this file is served as.
    pub fn content_type(&self) -> &'static str {
        content_type(self.file_name.as_str())
    }

    /// Hex SHA-256 of the bytes, kept so a support engineer can match a customer's copy.
    pub fn sha256(&self) -> String {
        Sha256::digest(&self.data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The allow-list: extension → type served. Text types carry a charset; anything else is
/// `application/octet-stream`.
pub fn content_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" | "conf" | "cfg" | "ini" | "eml" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "json" => "application/json",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_types_and_never_markup() {
        assert_eq!(content_type("maillog.TXT"), "text/plain; charset=utf-8");
        assert_eq!(content_type("a.pdf"), "application/pdf");
        for risky in [
            "x.html", "x.svg", "x.js", "x.htm", "x.xml", "noext", "x.exe",
        ] {
            assert_eq!(content_type(risky), "application/octet-stream", "{risky}");
        }
    }
}

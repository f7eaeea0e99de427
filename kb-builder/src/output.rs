//! Everything kb-builder writes goes through here. A build renders into a fresh staging
//! folder next to the output ([`Staging`]) and swaps it in at the end, so readers of the
//! output see the whole previous site or the whole new one, never a half-written one;
//! a failed build leaves the previous site exactly as it was.

use crate::error::{Error, Result};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// A build's staging folder, swapped in over the output by [`Staging::commit`] and
/// removed by [`Staging::discard`].
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
}

impl Staging {
    /// A fresh, empty staging folder for a build of `out`.
    pub fn new(out: &Path) -> Result<Staging> {
        Ok(Staging {
            dir: sibling(out, "building")?,
            out: out.to_path_buf(),
        })
    }

    /// Where the build writes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Replaces the output by what was written.
    pub fn commit(self) -> Result<()> {
        swap_in(&self.dir, &self.out)
    }

    /// Throws away what was written; the output stays as it was.
    pub fn discard(self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Writes a file, making its folder when it does not exist yet. The folder is made only
/// after a first attempt fails: a build writes thousands of pages into a few folders,
/// and asking the file system about the folder for each one is measurable.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let contents = contents.as_ref();
    match fs::write(path, contents) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            make_dir(path.parent().unwrap_or(Path::new(".")))?;
            fs::write(path, contents).map_err(|e| Error::io(path, e))
        }
        other => other.map_err(|e| Error::io(path, e)),
    }
}

/// Copies a file to `to`, making its folder when needed.
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        make_dir(dir)?;
    }
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| Error::io(from, e))
}

/// Makes a folder and its parents.
pub fn make_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// A fresh folder next to `out` (same file system, so the final rename is atomic).
fn sibling(out: &Path, what: &str) -> Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    let path = parent.join(format!(".{name}.{what}-{}", std::process::id()));
    if path.exists() {
        fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    }
    fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// Replaces `out` by `tmp`. On Linux the two folders trade places in one atomic step, so a
/// web server or the ticket service serving `out` never sees it missing; elsewhere (or on
/// a file system without that) the old site is moved aside first and put back if the new
/// one cannot be moved in.
fn swap_in(tmp: &Path, out: &Path) -> Result<()> {
    if !out.exists() {
        return fs::rename(tmp, out).map_err(|e| Error::io(out, e));
    }
    if exchange(tmp, out) {
        // `tmp` now holds the previous site.
        return fs::remove_dir_all(tmp).map_err(|e| Error::io(tmp, e));
    }
    let old = sibling(out, "old")?;
    fs::remove_dir(&old).map_err(|e| Error::io(&old, e))?;
    fs::rename(out, &old).map_err(|e| Error::io(out, e))?;
    if let Err(e) = fs::rename(tmp, out) {
        let _ = fs::rename(&old, out);
        return Err(Error::io(out, e));
    }
    fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))
}

/// Atomically exchanges two paths (`renameat2` with `RENAME_EXCHANGE`); false when the
/// system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(a), Ok(b)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both are valid NUL-terminated paths that outlive the call; AT_FDCWD makes
    // them relative to the working directory, as `fs::rename` does.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

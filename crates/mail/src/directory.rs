//! Mail as files, for development: each message one `.eml` file in a directory, which a
//! mail client opens as it is.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use ciam_domain::ports::Mailer;
use ciam_domain::{MailError, MailMessage};
use lettre::message::Mailbox;

use crate::error::ConfigError;
use crate::message::{build, from_mailbox, random_hex};

#[derive(Debug)]
pub struct DirectoryMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl DirectoryMailer {
    /// Writes into `dir` (created if missing) as `from`.
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> Result<DirectoryMailer, ConfigError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|cause| ConfigError::Directory {
            path: dir.clone(),
            cause,
        })?;
        Ok(DirectoryMailer {
            from: from_mailbox(from)?,
            dir,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for DirectoryMailer {
    /// Written under a hidden temporary name, synced, then renamed: a reader of `*.eml`
    /// never sees half a message. Names sort by time; the random part keeps concurrent
    /// sends apart.
    fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let bytes = build(&self.from, message)?.formatted();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let name = format!("{nanos:020}-{}.eml", random_hex(8)?);
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let written = write_new(&temporary, &bytes)
            .and_then(|()| fs::rename(&temporary, self.dir.join(&name)));
        written.map_err(|error| {
            // Best effort: a failed rename leaves nothing useful behind.
            let _ = fs::remove_file(&temporary);
            MailError::unavailable(format!("write {name} in {}", self.dir.display()), error)
        })
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

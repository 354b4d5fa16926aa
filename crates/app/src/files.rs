//! Files people attach (a bid's delivery plan, later a grant's evidence), kept through one
//! interface, [`FileStore`]. The default is a local directory; the grants work adds an
//! S3-compatible store behind the same trait. A file is named by the SHA-256 of its content,
//! so the same file stored twice is kept once, and a name can never reach outside the store.

use std::path::{Path, PathBuf};

/// Where files are kept.
pub trait FileStore: Send + Sync + std::fmt::Debug {
    /// Keeps `bytes` under `key` (a SHA-256 in hex). Storing the same key again is harmless.
    fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()>;
    /// The file under `key`, or none.
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
}

/// Files in a local directory, two levels of folders by the key's first characters.
#[derive(Debug, Clone)]
pub struct LocalDirectory {
    root: PathBuf,
}

impl LocalDirectory {
    pub fn new(root: impl Into<PathBuf>) -> LocalDirectory {
        LocalDirectory { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!("“{key}” is not a file key");
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

impl FileStore for LocalDirectory {
    fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path(key)?;
        if path.exists() {
            return Ok(());
        }
        let dir = path
            .parent()
            .ok_or_else(|| anyhow::anyhow!("a file key has no folder"))?;
        std::fs::create_dir_all(dir)?;
        // Written whole under a temporary name, then renamed: a reader never sees half a file.
        let partial = dir.join(format!("{key}.{}.partial", std::process::id()));
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, &path)?;
        Ok(())
    }

    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(key)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The SHA-256 of some bytes, in hex: a file's key.
pub fn key_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The default directory for a database: `LCPF_FILES_DIR` if set; beside an SQLite file
/// (`lcpf.db` → `lcpf.db.files/`); otherwise `lcpf-files/` in the working directory.
pub fn default_directory(database_url: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("LCPF_FILES_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"));
    match file {
        Some(path) => PathBuf::from(format!("{path}.files")),
        None => PathBuf::from("lcpf-files"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_kept_by_their_content_and_keys_cannot_escape() {
        let dir = std::env::temp_dir().join(format!("lcpf-files-test-{}", std::process::id()));
        let store = LocalDirectory::new(&dir);
        let key = key_of(b"delivery plan");
        store.put(&key, b"delivery plan").unwrap();
        store.put(&key, b"delivery plan").unwrap();
        assert_eq!(
            store.get(&key).unwrap().as_deref(),
            Some(&b"delivery plan"[..])
        );
        assert_eq!(store.get(&key_of(b"other")).unwrap(), None);
        assert!(store.get("../../etc/passwd").is_err());
        assert!(store.put("..", b"x").is_err());
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(
            default_directory("sqlite://data/lcpf.db?mode=rwc"),
            PathBuf::from("data/lcpf.db.files")
        );
    }
}

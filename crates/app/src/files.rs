//! Files people attach (a bid's delivery plan, a claim's evidence), kept through one
//! interface, [`FileStore`]: a local directory by default, or an S3-compatible bucket in
//! production ([`S3Bucket`], through the `object_store` crate). A file is named by the SHA-256
//! of its content, so the same file stored twice is kept once, and a name can never reach
//! outside the store. [`from_env`] chooses the store from the environment.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use lcpf_store::queries::files::StoredFile;

/// What a store's calls return: a future that can be sent between threads.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// Where files are kept.
pub trait FileStore: Send + Sync + std::fmt::Debug {
    /// Keeps `bytes` under `key` (a SHA-256 in hex). Storing the same key again is harmless.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> Pending<'a, ()>;
    /// The file under `key`, or none.
    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<Vec<u8>>>;
    /// Whether the store answers now (for `/healthz`): an error says why not.
    fn check(&self) -> Pending<'_, ()>;
    /// Where the files are, in words (for the log when the server starts).
    fn describe(&self) -> String;
}

/// A file key: 64 hex digits, nothing else, so it can never name a path or object outside
/// the store.
fn checked(key: &str) -> anyhow::Result<&str> {
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("“{key}” is not a file key");
    }
    Ok(key)
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
        let key = checked(key)?;
        Ok(self.root.join(&key[..2]).join(key))
    }

    fn put_now(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
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

    fn get_now(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(key)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl FileStore for LocalDirectory {
    // The file system blocks, so it is used from a blocking thread.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> Pending<'a, ()> {
        let (dir, key) = (self.clone(), key.to_string());
        Box::pin(
            async move { tokio::task::spawn_blocking(move || dir.put_now(&key, &bytes)).await? },
        )
    }

    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<Vec<u8>>> {
        let (dir, key) = (self.clone(), key.to_string());
        Box::pin(async move { tokio::task::spawn_blocking(move || dir.get_now(&key)).await? })
    }

    fn check(&self) -> Pending<'_, ()> {
        let root = self.root.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                std::fs::create_dir_all(&root)?;
                if std::fs::metadata(&root)?.permissions().readonly() {
                    anyhow::bail!("the folder {} cannot be written", root.display());
                }
                Ok(())
            })
            .await?
        })
    }

    fn describe(&self) -> String {
        format!("the folder {}", self.root.display())
    }
}

/// Files in an S3-compatible bucket (Amazon S3, MinIO, Ceph, …), under `prefix`, two levels
/// by the key's first characters as on disk.
#[derive(Debug)]
pub struct S3Bucket {
    store: object_store::aws::AmazonS3,
    bucket: String,
    prefix: String,
}

impl S3Bucket {
    /// A bucket's store. `endpoint` is for S3-compatible servers (plain `http://` is allowed
    /// only there); credentials and region come from the standard `AWS_*` variables when
    /// not given (the region defaults to London's, eu-west-2).
    pub fn new(
        bucket: &str,
        endpoint: Option<&str>,
        prefix: &str,
        credentials: Option<(&str, &str)>,
    ) -> anyhow::Result<S3Bucket> {
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let Some((id, secret)) = credentials {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            builder = builder.with_region("eu-west-2");
        }
        Ok(S3Bucket {
            store: builder.build()?,
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    fn path(&self, key: &str) -> anyhow::Result<object_store::path::Path> {
        let key = checked(key)?;
        let name = if self.prefix.is_empty() {
            format!("{}/{key}", &key[..2])
        } else {
            format!("{}/{}/{key}", self.prefix, &key[..2])
        };
        Ok(object_store::path::Path::from(name))
    }
}

impl FileStore for S3Bucket {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> Pending<'a, ()> {
        Box::pin(async move {
            use object_store::ObjectStoreExt;
            let path = self.path(key)?;
            // An object is written whole or not at all, so no temporary name is needed.
            self.store.put(&path, bytes.into()).await?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            use object_store::ObjectStoreExt;
            let path = self.path(key)?;
            match self.store.get(&path).await {
                Ok(found) => Ok(Some(found.bytes().await?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn check(&self) -> Pending<'_, ()> {
        Box::pin(async move {
            use object_store::ObjectStoreExt;
            // Asking for a key that is never stored: "not found" is the bucket answering.
            let probe = self.path(&"0".repeat(64))?;
            match self.store.head(&probe).await {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn describe(&self) -> String {
        match self.prefix.as_str() {
            "" => format!("the S3 bucket {}", self.bucket),
            p => format!("the S3 bucket {} under {p}/", self.bucket),
        }
    }
}

/// The store the environment asks for: an S3-compatible bucket when `LCPF_FILES_S3_BUCKET` is
/// set (with `LCPF_FILES_S3_ENDPOINT` for a server other than Amazon's and
/// `LCPF_FILES_S3_PREFIX` for a folder in it; credentials from `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`), otherwise the local [`default_directory`].
pub fn from_env(database_url: &str) -> anyhow::Result<Arc<dyn FileStore>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match var("LCPF_FILES_S3_BUCKET") {
        Some(bucket) => Ok(Arc::new(S3Bucket::new(
            &bucket,
            var("LCPF_FILES_S3_ENDPOINT").as_deref(),
            &var("LCPF_FILES_S3_PREFIX").unwrap_or_default(),
            None,
        )?)),
        None => Ok(Arc::new(LocalDirectory::new(default_directory(
            database_url,
        )))),
    }
}

/// A file as it arrived: the name and type the browser gave, and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A kind of file a form accepts: how people know it, its name's endings, and how its content
/// is recognised (by its signature, or as plain text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub label: &'static str,
    pub extensions: &'static [&'static str],
    /// The MIME type `infer` finds in the content; none: text (UTF-8, no NUL).
    pub signature: Option<&'static str>,
}

pub const PDF: Kind = Kind {
    label: "PDF",
    extensions: &["pdf"],
    signature: Some("application/pdf"),
};
pub const WORD: Kind = Kind {
    label: "Word (.docx)",
    extensions: &["docx"],
    signature: Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
};
pub const EXCEL: Kind = Kind {
    label: "Excel (.xlsx)",
    extensions: &["xlsx"],
    signature: Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
};
pub const CSV: Kind = Kind {
    label: "CSV",
    extensions: &["csv"],
    signature: None,
};
pub const PNG: Kind = Kind {
    label: "PNG",
    extensions: &["png"],
    signature: Some("image/png"),
};
pub const JPEG: Kind = Kind {
    label: "JPEG",
    extensions: &["jpg", "jpeg"],
    signature: Some("image/jpeg"),
};

/// What a form accepts: the largest file and the kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub kinds: &'static [Kind],
}

/// Evidence for a claim: invoices, timesheets and reports as PDF, Word, Excel, CSV or a
/// photograph, up to 10 MB.
pub const EVIDENCE: Limits = Limits {
    max_bytes: 10 * 1024 * 1024,
    kinds: &[PDF, WORD, EXCEL, CSV, PNG, JPEG],
};

/// A bid's attached files (a delivery plan, a budget, letters of support): the same kinds as
/// evidence, up to 10 MB, checked the same way.
pub const BID_FILES: Limits = EVIDENCE;

impl Limits {
    /// The kinds accepted, in words: "PDF, Word (.docx), … or JPEG".
    pub fn allowed(&self) -> String {
        lcpf_domain::words::or_list(&self.kinds.iter().map(|k| k.label).collect::<Vec<_>>())
    }

    /// The file's kind, or why it is refused (empty, too big, or not a kind allowed — by its
    /// name's ending and by its content, so a renamed file is caught).
    pub fn check(&self, upload: &Upload) -> Result<Kind, String> {
        if upload.bytes.is_empty() {
            return Err("Choose a file: the one chosen is empty".into());
        }
        if upload.bytes.len() > self.max_bytes {
            return Err(format!(
                "The file must be {} MB or smaller",
                self.max_bytes / (1024 * 1024)
            ));
        }
        let extension = upload
            .name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let Some(kind) = self
            .kinds
            .iter()
            .find(|k| k.extensions.contains(&extension.as_str()))
        else {
            return Err(format!(
                "“{}” is not a kind of file accepted here: choose a {} file",
                safe_name(&upload.name),
                self.allowed()
            ));
        };
        let content_matches = match kind.signature {
            Some(mime) => infer::get(&upload.bytes).is_some_and(|t| t.mime_type() == mime),
            None => std::str::from_utf8(&upload.bytes).is_ok_and(plain_text),
        };
        if !content_matches {
            return Err(format!(
                "“{}” is named as a {} file but its content is not one: choose a {} file",
                safe_name(&upload.name),
                kind.label,
                self.allowed()
            ));
        }
        // Word and Excel files are zips: measured as uploaded workbooks are, so a small
        // file that unpacks to gigabytes is refused before anyone opens it.
        if kind
            .extensions
            .iter()
            .any(|e| matches!(*e, "docx" | "xlsx"))
        {
            crate::workbook::measure_parts(&upload.bytes, &crate::workbook::Limits::default())
                .map_err(|m| format!("“{}”: {m}", safe_name(&upload.name)))?;
        }
        Ok(*kind)
    }
}

/// Text a CSV file may hold: no control characters but tab and line ends, and no markup (a
/// page or a picture saved under a `.csv` name).
fn plain_text(text: &str) -> bool {
    let lower = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        && !lower.starts_with('<')
        && !["<script", "<svg", "<html", "<!doctype", "<?xml", "<iframe"]
            .iter()
            .any(|tag| lower.contains(tag))
}

/// Unicode's invisible format characters (category Cf): bidirectional overrides and
/// isolates, zero-width spaces and joiners, the byte-order mark, soft hyphens and tags. In a
/// file name they make `report\u{202e}fdp.csv` read as "reportvsc.pdf".
fn is_format_character(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// A file's name as kept: no control characters, slashes or quotes, at most 200 characters.
pub fn safe_name(name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_format_character(*c) && !matches!(c, '/' | '\\' | '"'))
        .take(200)
        .collect();
    match name.trim() {
        "" => "attachment".to_string(),
        n => n.to_string(),
    }
}

impl crate::App {
    /// Keeps an upload's content in the file store, before any transaction begins: the store
    /// may be slow or down, and no database lock may wait on it. The content is named by its
    /// hash, so if the transaction that records it then fails nothing points at it and
    /// storing it again is harmless. The caller records the file with [`record_file`] and the
    /// name this upload gave it with its own attachment row (a name is the attachment's, never
    /// the content's: two organisations may hold the same bytes under different names).
    /// A store that does not answer is `Unavailable` (503).
    pub(crate) async fn store_file(
        &self,
        actor: &crate::Actor,
        upload: Upload,
    ) -> crate::AppResult<StoredFile> {
        let key = key_of(&upload.bytes);
        let size_bytes = upload.bytes.len() as i64;
        if let Err(e) = self.file_store().put(&key, upload.bytes).await {
            tracing::error!(error = ?e, "the file store did not keep a file");
            return Err(crate::AppError::Unavailable(
                "The file store is unavailable, so the file could not be kept".into(),
            ));
        }
        let content_type: String = upload
            .content_type
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .take(100)
            .collect();
        let file = StoredFile {
            key,
            name: safe_name(&upload.name),
            content_type: if content_type.is_empty() {
                "application/octet-stream".into()
            } else {
                content_type
            },
            size_bytes,
            stored_at: lcpf_store::now(),
            stored_by: actor.label(),
        };
        Ok(file)
    }

    /// A kept file's content.
    pub(crate) async fn file_content(&self, key: &str) -> crate::AppResult<Vec<u8>> {
        self.file_store()
            .get(key)
            .await
            .map_err(|e| crate::AppError::Internal(e.context("reading the file failed")))?
            .ok_or_else(|| crate::AppError::NotFound("The file's content".into()))
    }
}

/// Records a stored file's content (its key, size, type) in the caller's transaction; the
/// first record of a content is kept.
pub(crate) async fn record_file(
    conn: &mut lcpf_store::AnyConnection,
    file: &StoredFile,
) -> crate::AppResult<()> {
    lcpf_store::queries::files::insert_stored_file(conn, file).await?;
    Ok(())
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

    #[tokio::test]
    async fn files_are_kept_by_their_content_and_keys_cannot_escape() {
        let dir = std::env::temp_dir().join(format!("lcpf-files-test-{}", std::process::id()));
        let store = LocalDirectory::new(&dir);
        let key = key_of(b"delivery plan");
        store.put(&key, b"delivery plan".to_vec()).await.unwrap();
        store.put(&key, b"delivery plan".to_vec()).await.unwrap();
        assert_eq!(
            store.get(&key).await.unwrap().as_deref(),
            Some(&b"delivery plan"[..])
        );
        assert_eq!(store.get(&key_of(b"other")).await.unwrap(), None);
        assert!(store.get("../../etc/passwd").await.is_err());
        assert!(store.put("..", b"x".to_vec()).await.is_err());
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(
            default_directory("sqlite://data/lcpf.db?mode=rwc"),
            PathBuf::from("data/lcpf.db.files")
        );
    }
}

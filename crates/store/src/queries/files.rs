//! Files people attach: their name, type, size and who stored them. The content is in the
//! file store (`app::files`), under the SHA-256 `key`.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A stored file's details (its content is in the file store, under `key`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFile {
    pub key: String,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub stored_at: String,
    pub stored_by: String,
}

pub async fn insert_stored_file(conn: &mut AnyConnection, f: &StoredFile) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO stored_files (key, name, content_type, size_bytes, stored_at, stored_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING")
        .bind(&f.key)
        .bind(&f.name)
        .bind(&f.content_type)
        .bind(f.size_bytes)
        .bind(&f.stored_at)
        .bind(&f.stored_by)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn stored_file(conn: &mut AnyConnection, key: &str) -> sqlx::Result<Option<StoredFile>> {
    sqlx::query("SELECT key, name, content_type, size_bytes, stored_at, stored_by FROM stored_files WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?
        .map(|r| {
            Ok(StoredFile {
                key: r.try_get("key")?,
                name: r.try_get("name")?,
                content_type: r.try_get("content_type")?,
                size_bytes: r.try_get("size_bytes")?,
                stored_at: r.try_get("stored_at")?,
                stored_by: r.try_get("stored_by")?,
            })
        })
        .transpose()
}

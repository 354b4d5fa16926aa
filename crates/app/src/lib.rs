//! The application layer: every command and query of LCPF goes through here.
//!
//! Each public function takes the [`Actor`] doing it, asks [`access`] whether they may, does
//! the work, and — for a change — writes the audit record in the same database transaction.
//! The web pages, the JSON API and the CLI all call these functions, so a rule about who may
//! do what exists in one place only.

pub mod access;
pub mod actor;
pub mod allocation_files;
pub mod audit;
pub mod auth;
pub mod co_commissioning;
pub mod demo;
pub mod error;
pub mod exports;
pub mod files;
pub mod funds;
pub mod grants;
pub mod home;
pub mod indicators;
pub mod organisations;
pub mod paging;
pub mod people;
pub mod plans;
pub mod proposals;
pub mod reference;
pub mod tag;
pub mod text;
pub mod users;
pub mod workbook;

pub use actor::{Actor, CurrentUser};
pub use error::{AppError, AppResult};
pub use lcpf_store::queries::{
    areas::Area,
    audit::AuditFilter,
    audit::AuditRecord,
    organisations::Organisation,
    plans::{Objective, Plan, Priority, ProjectCategory},
    users::User,
};
pub use lcpf_store::{Backend, Db};

/// The application: a database and the operations on it.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    /// Parsing uploads is CPU work: at most this many run at once, off the async workers.
    uploads: std::sync::Arc<tokio::sync::Semaphore>,
    /// Sign-in attempts take turns per address and per client (see `auth`).
    sign_in_turns: std::sync::Arc<auth::Turns>,
    /// Where attached files are kept.
    files: std::sync::Arc<dyn files::FileStore>,
}

/// How many uploaded files are parsed at the same time; the rest wait their turn.
pub const CONCURRENT_UPLOADS: usize = 2;

impl App {
    /// Connects, applies migrations and loads reference data into an empty database.
    pub async fn open(database_url: &str) -> anyhow::Result<App> {
        let db = Db::connect(database_url).await?;
        lcpf_store::migrations::migrate(&db).await?;
        let app = App {
            db,
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_UPLOADS)),
            sign_in_turns: Default::default(),
            files: files::from_env(database_url)?,
        };
        app.load_reference_data().await?;
        app.load_indicator_data().await?;
        Ok(app)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The same application keeping its files in `store` instead.
    pub fn with_file_store(mut self, store: std::sync::Arc<dyn files::FileStore>) -> App {
        self.files = store;
        self
    }

    pub fn file_store(&self) -> &std::sync::Arc<dyn files::FileStore> {
        &self.files
    }

    /// Runs `parse` (reading an uploaded file) on a blocking thread, at most
    /// [`CONCURRENT_UPLOADS`] at a time, so a large or hostile upload never holds up the
    /// async workers that serve every other request.
    pub async fn read_upload<T: Send + 'static>(
        &self,
        parse: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self
            .uploads
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        tokio::task::spawn_blocking(parse)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("reading the upload failed: {e}")))
    }

    /// What `/healthz` reports: the database and the file store answer, or which does not.
    pub async fn health(&self) -> Result<(), &'static str> {
        if !self.db.ping().await {
            return Err("database unreachable");
        }
        if let Err(e) = self.file_store().check().await {
            tracing::warn!(error = ?e, "the file store does not answer");
            return Err("file store unreachable");
        }
        Ok(())
    }
}

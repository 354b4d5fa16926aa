//! The web front of LCPF: HTML pages and the JSON API, side by side, over one router.
//!
//! Handlers are thin: they read the request, call one use case in `lcpf-app` with the
//! signed-in [`Actor`](lcpf_app::Actor), and render the result. They make no permission
//! decisions of their own — a refusal comes back from the use case as an error, and
//! [`error`] turns it into the right page or problem+json body.

pub mod api;

pub mod assets;
pub mod auth;
pub mod error;
pub mod map;
pub mod routes;
pub mod safety;
pub mod views;

use std::net::SocketAddr;

use anyhow::Context;
use lcpf_app::App;
use tokio::net::TcpListener;

pub use axum::http::HeaderName;
pub use routes::{router, Audience, RouteSpec};

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Mark cookies `Secure` (set when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    /// Behind a reverse proxy: the header (e.g. `X-Forwarded-For`) whose last value is the
    /// client's address. Unset: the address of the connection itself.
    pub client_address_header: Option<axum::http::HeaderName>,
}

impl AppState {
    pub fn new(app: App, secure_cookies: bool) -> AppState {
        AppState {
            app,
            secure_cookies,
            client_address_header: None,
        }
    }
}

/// A bound, ready-to-run server. Binding to port 0 picks a free port (tests use this).
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    pub async fn bind(app: App, listen: &str, secure_cookies: bool) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}: is something else using it?"))?;
        Ok(Server {
            listener,
            state: AppState::new(app, secure_cookies),
        })
    }

    /// Reads the client's address from this header (set by a trusted reverse proxy).
    pub fn client_address_header(mut self, header: Option<axum::http::HeaderName>) -> Server {
        self.state.client_address_header = header;
        self
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub async fn run(self) -> anyhow::Result<()> {
        let (router, _) = router(self.state);
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(())
    }
}

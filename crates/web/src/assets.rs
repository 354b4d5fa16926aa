//! Static files compiled into the binary: GOV.UK Frontend (built by
//! `scripts/build-frontend.sh`) and LCPF's own small additions.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "govuk-frontend.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/govuk-frontend.min.css"),
    ),
    (
        "govuk-frontend.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/govuk-frontend.min.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
    (
        "favicon.ico",
        "image/x-icon",
        include_bytes!("../assets/favicon.ico"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
];

pub async fn asset(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `/favicon.ico`, which browsers ask for whatever the page links.
pub async fn favicon() -> Response {
    asset(Path("favicon.ico".to_string())).await
}

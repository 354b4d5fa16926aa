//! A request dropped half-way — a browser navigating away, a load run stopped — leaves its
//! database connection clean (issue 20, item 1). Before: on SQLite a request cancelled just
//! after its `BEGIN IMMEDIATE` ran left the pooled connection inside a transaction, and most
//! later requests answered 500 "attempted to call begin_with at non-zero transaction depth".
//! On both databases: transactions cancelled at every await point, then requests to the real
//! server cancelled at random moments under load; afterwards every connection in the pool
//! begins, writes and commits, and no page answers 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Runs `inner` until it has been pending `pendings` times, then drops it at its next wake-up:
/// exactly when what it was waiting for (the worker's answer to `BEGIN`, a lock, a commit)
/// has just happened and it has not yet been told.
struct CancelAfter<F> {
    inner: Option<Pin<Box<F>>>,
    pendings: usize,
}

impl<F: Future> Future for CancelAfter<F> {
    type Output = bool; // whether it finished before being cancelled

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        if self.pendings == 0 {
            self.inner = None; // dropped mid-flight
            return Poll::Ready(false);
        }
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(false);
        };
        match inner.as_mut().poll(cx) {
            Poll::Ready(_) => Poll::Ready(true),
            Poll::Pending => {
                self.pendings -= 1;
                Poll::Pending
            }
        }
    }
}

fn cancel_after<F: Future>(pendings: usize, inner: F) -> CancelAfter<F> {
    CancelAfter {
        inner: Some(Box::pin(inner)),
        pendings,
    }
}

/// One write as a use case makes it: begin, read, write, commit.
async fn one_write(db: lcpf_store::Db, n: usize) {
    let mut tx = db.begin().await.expect("begin");
    sqlx::query("SELECT COUNT(*) FROM audit_log")
        .execute(&mut *tx)
        .await
        .expect("read");
    sqlx::query("UPDATE organisations SET name = name WHERE id = $1")
        .bind(1 + (n % 3) as i64)
        .execute(&mut *tx)
        .await
        .expect("write");
    tx.commit().await.expect("commit");
}

/// One page's read: a snapshot and two queries.
async fn one_read(db: lcpf_store::Db) {
    let mut tx = db.begin_read().await.expect("begin read");
    sqlx::query("SELECT COUNT(*) FROM grants")
        .execute(&mut *tx)
        .await
        .expect("read");
    sqlx::query("SELECT COUNT(*) FROM grant_claims")
        .execute(&mut *tx)
        .await
        .expect("read");
    tx.commit().await.expect("end read");
}

/// Every connection the pool can hold begins, writes and commits, at once and again.
async fn every_connection_is_clean(db: &lcpf_store::Db) {
    for round in 0..3 {
        let mut tasks = Vec::new();
        for n in 0..12 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                if n % 2 == 0 {
                    one_write(db, n).await
                } else {
                    one_read(db).await
                }
            }));
        }
        for t in tasks {
            t.await
                .unwrap_or_else(|e| panic!("round {round}: a clean transaction failed: {e}"));
        }
    }
}

/// The pages people open most, each answering without a 5xx.
const PAGES: &[&str] = &[
    "/",
    "/grants",
    "/grants/1",
    "/claims",
    "/payments",
    "/grants/spend",
    "/periods/1",
    "/proposals",
    "/calls",
    "/audit",
];

backend_tests! {
    async fn transactions_cancelled_at_every_await_point_leave_every_connection_clean(app: TestApp) {
        let db = app.app.db().clone();
        let mut cancelled = 0;
        // Cancel after 0, 1, 2, … pendings until a transaction runs to the end uncancelled,
        // with other writers and readers contending so that each await really waits.
        for pendings in 0..40 {
            let mut batch = Vec::new();
            for n in 0..6 {
                let db = db.clone();
                batch.push(tokio::spawn(async move {
                    if n % 2 == 0 {
                        cancel_after(pendings, one_write(db, n)).await
                    } else {
                        cancel_after(pendings, one_read(db)).await
                    }
                }));
            }
            for b in batch {
                if !b.await.expect("task") {
                    cancelled += 1;
                }
            }
            every_connection_is_clean(&db).await;
        }
        assert!(cancelled > 6, "the test cancelled transactions mid-flight, not only before they began ({cancelled})");
    }

    async fn requests_dropped_under_load_leave_no_page_failing(app: TestApp) {
        let (browser, _) = app.signed_in(FUNDER_OFFICER).await;
        let token = app.token(BD_OFFICER).await;
        let proposal = app.proposal_id("2017/18", "E09000002").await.expect("demo proposal");
        let deadline = std::time::Instant::now() + Duration::from_secs(4);
        let mut clients = Vec::new();
        for c in 0..16u64 {
            let browser = browser.clone();
            let token = token.clone();
            let base = app.base.clone();
            clients.push(tokio::spawn(async move {
                let mut dropped = 0;
                for k in 0..400u64 {
                    if std::time::Instant::now() >= deadline {
                        break;
                    }
                    // Give up after 1 to 24 ms: some requests are dropped before the handler
                    // starts, some while it waits for a connection, a lock or a commit.
                    let patience = Duration::from_millis(1 + (c * 7 + k * 13) % 24);
                    let request = if k % 3 == 0 {
                        reqwest::Client::new()
                            .post(format!("{base}/api/v1/proposals/{proposal}/comments"))
                            .bearer_auth(&token)
                            .json(&serde_json::json!({ "comment": format!("load {c}/{k}") }))
                    } else {
                        browser.get(format!("{base}{}", PAGES[(k as usize + c as usize) % PAGES.len()]))
                    };
                    match tokio::time::timeout(patience, request.send()).await {
                        Err(_) => dropped += 1,
                        Ok(Ok(r)) => assert!(
                            !r.status().is_server_error(),
                            "{} during the load run",
                            r.status()
                        ),
                        Ok(Err(_)) => dropped += 1,
                    }
                }
                dropped
            }));
        }
        let mut dropped = 0;
        for c in clients {
            dropped += c.await.expect("client");
        }
        assert!(dropped > 50, "the load run dropped requests mid-flight ({dropped})");

        // Afterwards, every page answers, many times over, from every pooled connection.
        let mut checks = Vec::new();
        for n in 0..24 {
            let browser = browser.clone();
            let base = app.base.clone();
            checks.push(tokio::spawn(async move {
                for page in PAGES {
                    let r = browser.get(format!("{base}{page}")).send().await.expect("answer");
                    assert!(
                        !r.status().is_server_error(),
                        "{page} answered {} after the load run (check {n})",
                        r.status()
                    );
                }
            }));
        }
        for c in checks {
            c.await.expect("page check");
        }
        let (status, _) = api_send(
            &app,
            &token,
            "POST",
            &format!("/api/v1/proposals/{proposal}/comments"),
            serde_json::json!({ "comment": "after the load run" }),
        )
        .await;
        assert!((200..300).contains(&status), "a write after the load run: {status}");
        every_connection_is_clean(app.app.db()).await;
    }
}

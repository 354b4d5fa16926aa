//! Upgrades on both databases: a database as release 15 left it, with a claim and its paid
//! payment, is upgraded to payment schedules (step 16: SQLite rebuilds the payments table,
//! PostgreSQL alters it) and keeps every payment exactly, now saying what it is for; new
//! advances take new numbers, and a quarter is advanced once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use common::*;
use lcpf_domain::grant::payment::{PaymentBasis, PaymentState};
use lcpf_domain::{FinancialYear, Money, Quarter};
use lcpf_store::migrations::{migrate, migrate_until};
use lcpf_store::queries::grants::payments::{self as pq, NewPayment};
use lcpf_store::Db;

const BEFORE_SCHEDULES: &[&str] = &[
    "INSERT INTO organisations (name, kind, created_at, updated_at) VALUES ('Upgrade Charity', 'provider', '2017-04-01T00:00:00Z', '2017-04-01T00:00:00Z')",
    "INSERT INTO grants (reference, recipient_organisation_id, source_kind, first_year, last_year, starts_on, ends_on, conditions, schedule, ceiling_pence, ceiling_words, state, created_at, created_by) \
     SELECT 'UPGRADE-1', id, 'imported', '2017/18', '2017/18', '2017-04-01', '2018-03-31', 'Paid in arrears', 'quarterly_in_arrears', 10000000, 'its own total', 'live', '2017-04-01T00:00:00Z', 'system' FROM organisations WHERE name = 'Upgrade Charity'",
    "INSERT INTO grant_claims (grant_id, year, quarter_number, state, narrative, forecast_pence, comments, created_at, created_by, submitted_at, submitted_by, decided_at, decided_by) \
     SELECT id, '2017/18', 2, 'accepted', 'Delivered', 0, '', '2017-10-02T09:00:00Z', 'csu@upgrade.example', '2017-10-02T09:00:00Z', 'csu@upgrade.example', '2017-10-03T09:00:00Z', 'grants@mopac.example' FROM grants WHERE reference = 'UPGRADE-1'",
    "INSERT INTO payments (grant_id, claim_id, year, amount_pence, state, requested_at, requested_by, authorised_at, authorised_by, idempotency_key, payment_reference) \
     SELECT c.grant_id, c.id, '2017/18', 2500001, 'authorised', '2017-10-03T09:00:00Z', 'grants@mopac.example', '2017-10-04T09:00:00Z', 'finance@mopac.example', 'upgrade-key', 'LCPF-PAY-000001' FROM grant_claims c",
];

async fn upgrade(backend: Backend) {
    let Some((url, _dir)) = fresh_database(backend).await else {
        return;
    };
    let db = Db::connect(&url).await.unwrap();
    assert_eq!(migrate_until(&db, 15).await.unwrap(), 15);
    for sql in BEFORE_SCHEDULES {
        sqlx::query(sql).execute(db.pool()).await.unwrap();
    }
    let mut conn = db.pool().acquire().await.unwrap();
    let old: (i64, i64, i64) =
        sqlx::query_as("SELECT p.id, p.grant_id, p.claim_id FROM payments p")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    assert_eq!(
        migrate(&db).await.unwrap(),
        lcpf_store::migrations::MIGRATIONS.len() - 15
    );

    let mut conn = db.pool().acquire().await.unwrap();
    let payment = pq::payment(&mut conn, old.0)
        .await
        .unwrap()
        .expect("the payment survives");
    let q2 = Quarter::new(FinancialYear::parse("2017/18").unwrap(), 2).unwrap();
    assert_eq!(
        payment.basis,
        PaymentBasis::Claim {
            claim_id: old.2,
            quarter: q2
        }
    );
    assert_eq!(payment.quarter, q2);
    assert_eq!(payment.amount, Money::from_pence(2_500_001));
    assert_eq!(payment.state, PaymentState::Authorised);
    assert_eq!(payment.reference.as_deref(), Some("LCPF-PAY-000001"));
    assert_eq!(payment.idempotency_key.as_deref(), Some("upgrade-key"));
    assert_eq!(
        (payment.submitted_by.as_str(), payment.accepted_by.as_str()),
        ("csu@upgrade.example", "grants@mopac.example")
    );
    assert_eq!(
        pq::paid(&mut conn, old.1)
            .await
            .unwrap()
            .paid_by_quarter
            .get(&q2),
        Some(&Money::from_pence(2_500_001))
    );

    // A payment for no claim can now be recorded, with a new number; a quarter is advanced once.
    let q3 = Quarter::new(q2.year(), 3).unwrap();
    let advance = PaymentBasis::Advance { quarter: q3 };
    let new = NewPayment {
        grant_id: old.1,
        basis: &advance,
        quarter: q3,
        year: q3.year(),
        amount: Money::from_pence(100),
    };
    let id = pq::insert_payment(
        &mut conn,
        &new,
        "2017-10-01T09:00:00Z",
        "grants@mopac.example",
    )
    .await
    .unwrap()
    .expect("recorded");
    assert!(
        id > old.0,
        "numbers carry on after the upgrade: {id} after {}",
        old.0
    );
    assert_eq!(
        pq::insert_payment(
            &mut conn,
            &new,
            "2017-10-01T09:01:00Z",
            "grants@mopac.example"
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(pq::advanced_quarters(&mut conn, old.1).await.unwrap(), [q3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrades_to_payment_schedules_keeping_every_payment() {
    upgrade(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrades_to_payment_schedules_keeping_every_payment() {
    upgrade(Backend::Postgres).await;
}

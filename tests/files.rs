//! The file store, on both backends: a local folder, and an S3-compatible bucket on the
//! server at `LCPF_TEST_S3_ENDPOINT` (`.ci/run` installs and starts moto's). Where none is
//! set the S3 half says so and stops — unless `CI` or `LCPF_REQUIRE_S3` is set, when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may

mod common;
use std::sync::Arc;

use common::*;
use lcpf_app::files::{key_of, FileStore, LocalDirectory, S3Bucket};

/// A fresh, empty bucket on the S3-compatible test server, or none when there is none.
async fn fresh_bucket() -> Option<S3Bucket> {
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("LCPF_REQUIRE_S3").is_some();
    let Some(endpoint) = std::env::var("LCPF_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    else {
        assert!(
            !required,
            "CI needs an S3-compatible server: set LCPF_TEST_S3_ENDPOINT (.ci/run starts moto's)"
        );
        eprintln!("S3 half not run: set LCPF_TEST_S3_ENDPOINT to an S3-compatible server");
        return None;
    };
    let bucket = format!("lcpf-test-{}-{}", std::process::id(), rand_suffix());
    // moto's server makes a bucket on an unsigned PUT.
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await;
    match made {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => panic!(
            "the S3 server at {endpoint} refused to make a bucket: {}",
            r.status()
        ),
        Err(e) => panic!("the S3 server at {endpoint} is unreachable: {e}"),
    }
    Some(S3Bucket::new(&bucket, Some(&endpoint), "lcpf", Some(("test", "test"))).unwrap())
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        % 1_000_000_007
}

/// What every store must do: keep a file under its key, harmlessly twice; say when a key
/// holds nothing; refuse a name that is not a key.
async fn keeps_files(store: &dyn FileStore) {
    let plan = b"Delivery plan: keyworkers in three women centres".to_vec();
    let key = key_of(&plan);
    store.put(&key, plan.clone()).await.unwrap();
    store.put(&key, plan.clone()).await.unwrap();
    assert_eq!(
        store.get(&key).await.unwrap(),
        Some(plan),
        "{}",
        store.describe()
    );
    assert_eq!(store.get(&key_of(b"never stored")).await.unwrap(), None);
    assert!(store.get("../../etc/passwd").await.is_err());
    assert!(store.put("not-a-key", b"x".to_vec()).await.is_err());
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let big_key = key_of(&big);
    store.put(&big_key, big.clone()).await.unwrap();
    assert_eq!(
        store.get(&big_key).await.unwrap().map(|b| b.len()),
        Some(big.len())
    );
}

#[tokio::test]
async fn a_local_folder_keeps_files() {
    let dir = std::env::temp_dir().join(format!("lcpf-files-{}", rand_suffix()));
    keeps_files(&LocalDirectory::new(&dir)).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_s3_bucket_keeps_files() {
    let Some(bucket) = fresh_bucket().await else {
        return;
    };
    assert!(bucket.describe().contains("under lcpf/"));
    keeps_files(&bucket).await;
}

/// Evidence attached through the claim page lands in the bucket and is served back from it.
#[tokio::test]
async fn claim_evidence_is_kept_in_the_s3_bucket() {
    let Some(bucket) = fresh_bucket().await else {
        return;
    };
    let bucket: Arc<dyn FileStore> = Arc::new(bucket);
    let app = TestApp::spawn_with_files(Backend::Sqlite, bucket.clone())
        .await
        .unwrap();
    let (grant, key) = app.live_borough_grant().await;
    let bd = app.actor(BD_OFFICER).await;
    let claim = app
        .app
        .start_claim(
            &bd,
            grant,
            &lcpf_app::grants::claims::ClaimInput {
                quarter: "Q1 2017/18".into(),
                spend: [(
                    key,
                    lcpf_app::grants::AmountsInput {
                        revenue: "100".into(),
                        capital: String::new(),
                    },
                )]
                .into(),
                narrative: "Outreach".into(),
                forecast: String::new(),
                match_funding: String::new(),
            },
        )
        .await
        .unwrap();
    let (client, csrf) = app.signed_in(BD_OFFICER).await;
    let payroll = b"month,staff,cost\nApril,2,5000\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .part(
            "evidence",
            reqwest::multipart::Part::bytes(payroll.clone()).file_name("payroll.csv"),
        );
    let r = client
        .post(app.url(&format!("/claims/{claim}/evidence")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        bucket.get(&key_of(&payroll)).await.unwrap(),
        Some(payroll.clone()),
        "the object is in the bucket"
    );
    let got = client
        .get(app.url(&format!("/claims/{claim}/evidence/{}", key_of(&payroll))))
        .send()
        .await
        .unwrap();
    assert_eq!(got.bytes().await.unwrap().to_vec(), payroll);
}

//! The document store contract: one suite, run against both adapters (a local
//! folder, S3 on moto), then what each does with its upload URLs.

use examreg_common::testkit::files::{valid_pdf, valid_png};
use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use examreg_common::adapters::folder::{
    load_or_create_signing_key, BlobUrlError, FolderDocumentStore, BLOB_ROUTE,
};
use examreg_common::adapters::s3::S3DocumentStore;
use examreg_common::ports::documents::{DocumentStore, DocumentStoreError};
use examreg_common::testkit::moto::{moto, MotoServer};
use url::Url;

async fn moto_server() -> &'static MotoServer {
    tokio::task::spawn_blocking(moto).await.unwrap()
}

const TEN_MINUTES: Duration = Duration::from_secs(600);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 11, 2, 9, 15, 0).unwrap()
}

fn key(name: &str) -> String {
    format!(
        "candidates/ana@example.fr/{}/{name}",
        uuid::Uuid::new_v4().simple()
    )
}

async fn run_documents_contract(store: &dyn DocumentStore) {
    // put, get, overwrite, delete.
    let identity = key("identity_document.pdf");
    assert_eq!(store.get(&identity).await.unwrap(), None);
    store
        .put(
            &identity,
            "application/pdf",
            Bytes::from_static(valid_pdf()),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get(&identity).await.unwrap().as_deref(),
        Some(valid_pdf())
    );
    let png = Bytes::from_static(valid_png());
    store
        .put(&identity, "image/png", png.clone())
        .await
        .unwrap();
    assert_eq!(store.get(&identity).await.unwrap(), Some(png));
    store.delete(&identity).await.unwrap();
    assert_eq!(store.get(&identity).await.unwrap(), None);
    // Deleting again is harmless (retries).
    store.delete(&identity).await.unwrap();

    // An empty document is a document.
    let empty = key("empty.pdf");
    store
        .put(&empty, "application/pdf", Bytes::new())
        .await
        .unwrap();
    assert_eq!(store.get(&empty).await.unwrap(), Some(Bytes::new()));

    // Upload URLs: PUT with exactly the signed headers, until the expiry.
    let upload_key = key("signed_confirmation.pdf");
    let upload = store
        .presign_put(&upload_key, "application/pdf", 5_000, now(), TEN_MINUTES)
        .await
        .unwrap();
    assert_eq!(upload.method, "PUT");
    assert_eq!(
        upload.headers,
        BTreeMap::from([
            ("Content-Length".to_owned(), "5000".to_owned()),
            ("Content-Type".to_owned(), "application/pdf".to_owned()),
        ])
    );
    assert_eq!(upload.expires_at, now() + chrono::Duration::minutes(10));
    let url = Url::parse(&upload.upload_url).unwrap();
    assert!(
        decoded_path(&url).ends_with(&upload_key),
        "{url} targets {upload_key}"
    );

    let download = store.presign_get(&empty, now(), TEN_MINUTES).await.unwrap();
    let url = Url::parse(&download).unwrap();
    assert!(
        decoded_path(&url).ends_with(&empty),
        "{url} targets {empty}"
    );
    store.delete(&empty).await.unwrap();
}

/// The URL's path with `%XX` escapes decoded (S3 escapes the `@` of keys).
fn decoded_path(url: &Url) -> String {
    let raw = url.path().as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (raw[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn query_map(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs().into_owned().collect()
}

// ---------------------------------------------------------------------------
// The folder store.

fn folder_store(dir: &std::path::Path) -> FolderDocumentStore {
    let signing_key = load_or_create_signing_key(&dir.join(".blob-signing-key")).unwrap();
    FolderDocumentStore::new(
        dir.join("documents"),
        "http://127.0.0.1:3000/".into(),
        signing_key,
    )
}

#[tokio::test]
async fn folder_store_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = folder_store(dir.path());
    run_documents_contract(&store).await;
    // Atomic writes leave no temporary file behind.
    let mut stack = vec![store.root().to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "leftover {name}");
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
}

#[tokio::test]
async fn folder_upload_urls_are_checked_as_s3_would() {
    let dir = tempfile::tempdir().unwrap();
    let store = folder_store(dir.path());
    let key = "candidates/ana@example.fr/identity_document/3f2a.pdf";
    let upload = store
        .presign_put(key, "application/pdf", 5_000, now(), TEN_MINUTES)
        .await
        .unwrap();
    let url = Url::parse(&upload.upload_url).unwrap();
    assert_eq!(url.host_str(), Some("127.0.0.1"));
    assert_eq!(url.port(), Some(3000));
    assert_eq!(url.path(), format!("{BLOB_ROUTE}{key}"));
    let params = query_map(&url);
    assert_eq!(params["ct"], "application/pdf");
    assert_eq!(params["len"], "5000");
    assert_eq!(params["expires"], (now().timestamp() + 600).to_string());
    let query = url.query().unwrap();
    let path_key = url.path().trim_start_matches(BLOB_ROUTE);
    let in_time = now() + chrono::Duration::minutes(9);

    let verify = |key: &str, query: &str, ct: Option<&str>, len: Option<u64>, at| {
        store.verify_signed_put(key, query, ct, len, at)
    };
    assert_eq!(
        verify(
            path_key,
            query,
            Some("application/pdf"),
            Some(5_000),
            in_time
        ),
        Ok(())
    );
    assert_eq!(
        verify(
            path_key,
            query,
            Some("application/pdf"),
            Some(5_001),
            in_time
        ),
        Err(BlobUrlError::ContentLengthMismatch)
    );
    assert_eq!(
        verify(path_key, query, Some("application/pdf"), None, in_time),
        Err(BlobUrlError::ContentLengthMismatch)
    );
    assert_eq!(
        verify(path_key, query, Some("image/png"), Some(5_000), in_time),
        Err(BlobUrlError::ContentTypeMismatch)
    );
    assert_eq!(
        verify(path_key, query, None, Some(5_000), in_time),
        Err(BlobUrlError::ContentTypeMismatch)
    );
    let other_key = "candidates/eve@example.fr/identity_document/3f2a.pdf";
    assert_eq!(
        verify(
            other_key,
            query,
            Some("application/pdf"),
            Some(5_000),
            in_time
        ),
        Err(BlobUrlError::BadSignature)
    );
    let too_late = now() + chrono::Duration::minutes(11);
    assert_eq!(
        verify(
            path_key,
            query,
            Some("application/pdf"),
            Some(5_000),
            too_late
        ),
        Err(BlobUrlError::Expired)
    );

    // Editing a signed parameter breaks the signature.
    let tampered = |name: &str, value: &str| {
        let mut edited = url.clone();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .map(|(n, v)| {
                if n == name {
                    (n, value.to_owned())
                } else {
                    (n, v)
                }
            })
            .collect();
        edited.query_pairs_mut().clear().extend_pairs(pairs);
        edited.query().unwrap().to_owned()
    };
    let bigger = tampered("len", "5000000");
    assert_eq!(
        verify(
            path_key,
            &bigger,
            Some("application/pdf"),
            Some(5_000_000),
            in_time
        ),
        Err(BlobUrlError::BadSignature)
    );
    let longer = tampered("expires", &(now().timestamp() + 86_400).to_string());
    assert_eq!(
        verify(
            path_key,
            &longer,
            Some("application/pdf"),
            Some(5_000),
            too_late
        ),
        Err(BlobUrlError::BadSignature)
    );
    let html = tampered("ct", "text/html");
    assert_eq!(
        verify(path_key, &html, Some("text/html"), Some(5_000), in_time),
        Err(BlobUrlError::BadSignature)
    );
    let unsigned = tampered("sig", "00");
    assert_eq!(
        verify(
            path_key,
            &unsigned,
            Some("application/pdf"),
            Some(5_000),
            in_time
        ),
        Err(BlobUrlError::BadSignature)
    );
    assert_eq!(
        verify(
            path_key,
            "ct=application%2Fpdf&len=5000",
            Some("application/pdf"),
            Some(5_000),
            in_time
        ),
        Err(BlobUrlError::Missing("expires"))
    );
    assert!(matches!(
        verify(
            "../escape.pdf",
            query,
            Some("application/pdf"),
            Some(5_000),
            in_time
        ),
        Err(BlobUrlError::InvalidKey(_))
    ));

    // Another store's key signs nothing here.
    let other_dir = tempfile::tempdir().unwrap();
    let other_store = folder_store(other_dir.path());
    assert_eq!(
        other_store.verify_signed_put(
            path_key,
            query,
            Some("application/pdf"),
            Some(5_000),
            in_time
        ),
        Err(BlobUrlError::BadSignature)
    );

    // Download URLs.
    let download = Url::parse(&store.presign_get(key, now(), TEN_MINUTES).await.unwrap()).unwrap();
    let get_query = download.query().unwrap();
    assert_eq!(store.verify_signed_get(key, get_query, in_time), Ok(()));
    assert_eq!(
        store.verify_signed_get(key, get_query, too_late),
        Err(BlobUrlError::Expired)
    );
    assert_eq!(
        store.verify_signed_get(other_key, get_query, in_time),
        Err(BlobUrlError::BadSignature)
    );
    // An upload URL does not download, nor the reverse.
    assert_eq!(
        store.verify_signed_get(key, query, in_time),
        Err(BlobUrlError::BadSignature)
    );
}

#[tokio::test]
async fn folder_store_refuses_keys_that_escape_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let store = folder_store(dir.path());
    std::fs::write(dir.path().join("secret.txt"), b"secret").unwrap();
    for bad in [
        "../secret.txt",
        "a/../../secret.txt",
        "/etc/passwd",
        "a\\..\\b",
        "a//b",
        "",
        "a\0b",
        "a b",
    ] {
        assert!(
            matches!(store.get(bad).await, Err(DocumentStoreError::InvalidKey(_))),
            "get {bad:?}"
        );
        assert!(
            matches!(
                store.put(bad, "text/plain", Bytes::from_static(b"x")).await,
                Err(DocumentStoreError::InvalidKey(_))
            ),
            "put {bad:?}"
        );
        assert!(
            matches!(
                store.delete(bad).await,
                Err(DocumentStoreError::InvalidKey(_))
            ),
            "delete {bad:?}"
        );
        assert!(
            matches!(
                store
                    .presign_put(bad, "application/pdf", 1, now(), TEN_MINUTES)
                    .await,
                Err(DocumentStoreError::InvalidKey(_))
            ),
            "presign_put {bad:?}"
        );
    }
    assert_eq!(
        std::fs::read(dir.path().join("secret.txt")).unwrap(),
        b"secret"
    );
}

// ---------------------------------------------------------------------------
// The S3 store.

#[tokio::test]
async fn s3_store_honours_the_contract() {
    let moto = moto_server().await;
    let bucket = moto.fresh_bucket().await;
    let store = S3DocumentStore::new(moto.s3_client(), bucket);
    run_documents_contract(&store).await;
}

#[tokio::test]
async fn s3_upload_urls_sign_type_and_length_and_work() {
    let moto = moto_server().await;
    let bucket = moto.fresh_bucket().await;
    let store = S3DocumentStore::new(moto.s3_client(), &bucket);
    let key = key("identity_document.pdf");
    let signed_at = Utc::now();
    let upload = store
        .presign_put(
            &key,
            "application/pdf",
            valid_pdf().len() as u64,
            signed_at,
            TEN_MINUTES,
        )
        .await
        .unwrap();

    let url = Url::parse(&upload.upload_url).unwrap();
    let endpoint = Url::parse(moto.endpoint_url()).unwrap();
    assert_eq!(url.host_str(), endpoint.host_str());
    assert_eq!(url.port(), endpoint.port());
    assert_eq!(decoded_path(&url), format!("/{bucket}/{key}"));
    let params = query_map(&url);
    let signed: Vec<&str> = params["X-Amz-SignedHeaders"].split(';').collect();
    assert!(
        signed.contains(&"content-length") && signed.contains(&"content-type"),
        "signed headers: {signed:?}"
    );
    assert_eq!(params["X-Amz-Expires"], "600");
    assert_eq!(
        params["X-Amz-Date"],
        signed_at.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert!(params["X-Amz-Credential"].contains("/eu-west-3/s3/aws4_request"));
    // Nothing else the client would have to send: no checksum, no SSE.
    assert!(
        params
            .keys()
            .all(|name| !name.to_ascii_lowercase().contains("checksum")
                && !name.to_ascii_lowercase().contains("server-side")),
        "unexpected parameters: {params:?}"
    );

    // An actual upload through the URL, with exactly the given headers.
    let http = reqwest::Client::new();
    let mut request = http
        .put(upload.upload_url.as_str())
        .body(valid_pdf().to_vec());
    for (name, value) in &upload.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{response:?}");
    assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(valid_pdf()));

    // And a download through a presigned GET.
    let download = store
        .presign_get(&key, Utc::now(), TEN_MINUTES)
        .await
        .unwrap();
    let response = http.get(download).send().await.unwrap();
    assert!(response.status().is_success(), "{response:?}");
    assert_eq!(response.bytes().await.unwrap().as_ref(), valid_pdf());
}

#[tokio::test]
async fn s3_store_reports_a_missing_bucket() {
    let moto = moto_server().await;
    let store = S3DocumentStore::new(moto.s3_client(), "examreg-no-such-bucket");
    let err = store.get("a/b.pdf").await.unwrap_err();
    assert!(matches!(err, DocumentStoreError::Unavailable(_)), "{err:?}");
}

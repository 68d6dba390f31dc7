//! Downloads against a local server that behaves like the Hugging Face hub and its CDN.

mod support;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hearth_models::download::partial_path;
use hearth_models::{DownloadProgress, DownloadRequest, HubClient, ModelsError, RetryPolicy};
use support::fake_hub::{hex_sha256, pseudo_random_bytes, Behaviour, FakeHub};

const REPO: &str = "hearth-test/Tiny-GGUF";
const FILE: &str = "tiny-Q4_K_M.gguf";
const MIB: usize = 1024 * 1024;

fn content() -> Vec<u8> {
    pseudo_random_bytes(3 * MIB + 12_345, 7)
}

fn client(hub: &FakeHub) -> HubClient {
    HubClient::new(hub.url()).with_retry(RetryPolicy {
        attempts: 4,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    })
}

fn request() -> DownloadRequest {
    DownloadRequest::new(REPO, FILE)
}

fn no_cancel() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

fn leftovers(dest: &Path) -> bool {
    dest.join(".partial").exists()
}

#[test]
fn downloads_through_the_cdn_redirect_and_verifies_size_and_hash() {
    let bytes = content();
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), Behaviour::default());
    let dest = tempfile::tempdir().unwrap();
    let mut seen: Vec<DownloadProgress> = Vec::new();

    let done = client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |p| seen.push(p))
        .unwrap();

    assert_eq!(done.path, dest.path().join(FILE));
    assert_eq!(fs::read(&done.path).unwrap(), bytes);
    assert_eq!(done.size, bytes.len() as u64);
    assert_eq!(done.sha256, hub.sha256());
    assert!(done.hash_checked);
    assert!(!done.already_present);
    assert_eq!(done.resumed_from, 0);
    assert!(
        !leftovers(dest.path()),
        "the .partial folder should be gone"
    );

    let total = Some(bytes.len() as u64);
    assert!(seen.iter().all(|p| p.total == total), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].downloaded <= w[1].downloaded));
    assert_eq!(seen.last().map(|p| p.downloaded), Some(bytes.len() as u64));

    let requests = hub.requests();
    let head = &requests[0];
    assert_eq!((head.server, head.method.as_str()), ("hub", "HEAD"));
    assert_eq!(head.path, format!("/{REPO}/resolve/main/{FILE}"));
    assert!(
        requests
            .iter()
            .all(|r| !(r.server == "cdn" && r.method == "HEAD")),
        "the HEAD must stop at the hub's redirect, which carries the hash"
    );
    assert_eq!(hub.body_gets().len(), 1);
}

#[test]
fn file_metadata_reads_the_linked_headers() {
    let bytes = content();
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), Behaviour::default());
    let metadata = client(&hub).file_metadata(&request()).unwrap();
    assert_eq!(metadata.size, Some(bytes.len() as u64));
    assert_eq!(metadata.sha256.as_deref(), Some(hub.sha256()));
    assert_eq!(metadata.commit.as_deref(), Some("abc123"));
}

#[test]
fn a_renamed_repo_is_followed_through_the_hub_redirect() {
    let bytes = content();
    let behaviour = Behaviour {
        renamed_from: Some("hearth-test/Old-Name".into()),
        ..Behaviour::default()
    };
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), behaviour);
    let dest = tempfile::tempdir().unwrap();
    let old = DownloadRequest::new("hearth-test/Old-Name", FILE);
    let done = client(&hub)
        .download(&old, dest.path(), &no_cancel(), |_| {})
        .unwrap();
    assert_eq!(fs::read(done.path).unwrap(), bytes);
    assert!(done.hash_checked);
}

#[test]
fn a_dropped_connection_is_resumed_with_range_until_the_file_is_complete() {
    let bytes = content();
    let behaviour = Behaviour {
        drop_after: Some(MIB),
        ..Behaviour::default()
    };
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), behaviour);
    let dest = tempfile::tempdir().unwrap();

    let done = client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap();

    assert_eq!(fs::read(&done.path).unwrap(), bytes);
    assert_eq!(done.sha256, hex_sha256(&bytes));
    let ranges: Vec<Option<String>> = hub.body_gets().into_iter().map(|r| r.range).collect();
    assert_eq!(
        ranges,
        vec![
            None,
            Some(format!("bytes={}-", MIB)),
            Some(format!("bytes={}-", 2 * MIB)),
            Some(format!("bytes={}-", 3 * MIB)),
        ],
        "every retry must resume where the last one stopped"
    );
}

#[test]
fn corrupted_bytes_give_a_hash_mismatch_and_leave_no_file() {
    let behaviour = Behaviour {
        corrupt: true,
        ..Behaviour::default()
    };
    let hub = FakeHub::start(REPO, FILE, content(), behaviour);
    let dest = tempfile::tempdir().unwrap();

    let error = client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap_err();

    match &error {
        ModelsError::HashMismatch {
            file,
            expected,
            actual,
        } => {
            assert_eq!(file, FILE);
            assert_eq!(expected, hub.sha256());
            assert_ne!(actual, expected);
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("corrupted") && message.contains("try again"),
        "{message}"
    );
    assert!(!dest.path().join(FILE).exists());
    assert!(
        !partial_path(dest.path(), FILE).exists(),
        "the corrupt partial must be deleted"
    );
}

#[test]
fn a_cancelled_download_keeps_its_partial_file_and_the_next_call_resumes() {
    let bytes = content();
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), Behaviour::default());
    let dest = tempfile::tempdir().unwrap();
    let cancel = no_cancel();

    let flag = Arc::clone(&cancel);
    let error = client(&hub)
        .download(&request(), dest.path(), &cancel, move |p| {
            if p.downloaded >= MIB as u64 {
                flag.store(true, Ordering::Relaxed);
            }
        })
        .unwrap_err();

    assert!(matches!(error, ModelsError::Cancelled { .. }), "{error:?}");
    assert!(error.to_string().contains("resume"), "{error}");
    assert!(!dest.path().join(FILE).exists());
    let kept = fs::metadata(partial_path(dest.path(), FILE)).unwrap().len();
    assert!(
        kept >= MIB as u64 && kept < bytes.len() as u64,
        "kept {kept} bytes"
    );

    cancel.store(false, Ordering::Relaxed);
    let done = client(&hub)
        .download(&request(), dest.path(), &cancel, |_| {})
        .unwrap();

    assert_eq!(done.resumed_from, kept);
    assert_eq!(fs::read(&done.path).unwrap(), bytes);
    let last = hub.body_gets().pop().unwrap();
    assert_eq!(last.range, Some(format!("bytes={kept}-")));
}

#[test]
fn a_server_that_ignores_range_makes_the_download_start_over() {
    let bytes = content();
    let behaviour = Behaviour {
        ignore_range: true,
        ..Behaviour::default()
    };
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), behaviour);
    let dest = tempfile::tempdir().unwrap();
    let part = partial_path(dest.path(), FILE);
    fs::create_dir_all(part.parent().unwrap()).unwrap();
    fs::write(&part, b"left over from something else").unwrap();

    let done = client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap();

    assert_eq!(fs::read(&done.path).unwrap(), bytes);
    assert_eq!(done.sha256, hub.sha256());
    assert_eq!(hub.body_gets()[0].range.as_deref(), Some("bytes=29-"));
}

#[test]
fn a_complete_file_at_the_destination_is_not_downloaded_again() {
    let bytes = content();
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), Behaviour::default());
    let dest = tempfile::tempdir().unwrap();
    client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap();

    let again = client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap();

    assert!(again.already_present);
    assert_eq!(again.sha256, hub.sha256());
    assert_eq!(
        hub.body_gets().len(),
        1,
        "the second call must not transfer the file"
    );
}

#[test]
fn a_file_without_lfs_headers_is_checked_against_the_tree_api() {
    let bytes = content();
    let file = "quants/tiny-Q8_0.gguf";
    let behaviour = Behaviour {
        no_lfs_headers: true,
        tree_api: true,
        ..Behaviour::default()
    };
    let hub = FakeHub::start(REPO, file, bytes.clone(), behaviour);
    let dest = tempfile::tempdir().unwrap();

    let done = client(&hub)
        .download(
            &DownloadRequest::new(REPO, file),
            dest.path(),
            &no_cancel(),
            |_| {},
        )
        .unwrap();

    assert_eq!(done.path, dest.path().join("quants").join("tiny-Q8_0.gguf"));
    assert_eq!(fs::read(&done.path).unwrap(), bytes);
    assert!(
        done.hash_checked,
        "the tree api's lfs.oid should have been used"
    );
    assert!(hub
        .requests()
        .iter()
        .any(|r| r.path == format!("/api/models/{REPO}/tree/main/quants")));
}

#[test]
fn an_unknown_repo_or_file_gives_a_not_found_error() {
    let hub = FakeHub::start(REPO, FILE, content(), Behaviour::default());
    let dest = tempfile::tempdir().unwrap();

    let error = client(&hub)
        .download(
            &DownloadRequest::new("nobody/Nothing-GGUF", FILE),
            dest.path(),
            &no_cancel(),
            |_| {},
        )
        .unwrap_err();
    assert!(
        matches!(error, ModelsError::RepoNotFound { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("not found"), "{error}");

    let error = client(&hub)
        .download(
            &DownloadRequest::new(REPO, "missing.gguf"),
            dest.path(),
            &no_cancel(),
            |_| {},
        )
        .unwrap_err();
    assert!(
        matches!(error, ModelsError::FileNotFound { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("missing.gguf") && message.contains("does not exist"),
        "{message}"
    );
    assert!(!leftovers(dest.path()));
}

#[test]
fn a_gated_repo_asks_for_a_token_and_the_token_never_reaches_the_cdn() {
    let bytes = content();
    let behaviour = Behaviour {
        token: Some("hf_good".into()),
        ..Behaviour::default()
    };
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), behaviour);
    let dest = tempfile::tempdir().unwrap();

    let error = client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap_err();
    assert!(
        matches!(error, ModelsError::TokenRequired { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), "TOKEN_REQUIRED");
    assert!(error.to_string().contains("HF_TOKEN"), "{error}");

    let error = client(&hub)
        .with_token(Some("hf_wrong".into()))
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap_err();
    assert!(
        matches!(error, ModelsError::TokenRejected { .. }),
        "{error:?}"
    );

    let done = client(&hub)
        .with_token(Some("hf_good".into()))
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap();
    assert_eq!(fs::read(done.path).unwrap(), bytes);
    let requests = hub.requests();
    assert!(requests
        .iter()
        .any(|r| r.server == "hub" && r.authorization.as_deref() == Some("Bearer hf_good")));
    assert!(
        requests
            .iter()
            .filter(|r| r.server == "cdn")
            .all(|r| r.authorization.is_none()),
        "the token must not be sent to another origin"
    );
}

#[test]
fn persistent_server_errors_give_up_after_the_retry_budget() {
    let behaviour = Behaviour {
        hub_status: Some(503),
        ..Behaviour::default()
    };
    let hub = FakeHub::start(REPO, FILE, content(), behaviour);
    let dest = tempfile::tempdir().unwrap();

    let error = client(&hub)
        .download(&request(), dest.path(), &no_cancel(), |_| {})
        .unwrap_err();

    assert!(
        matches!(error, ModelsError::Http { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("try again later"), "{error}");
    assert_eq!(hub.requests().len(), 4, "one try plus three retries");
}

#[test]
fn invalid_names_are_rejected_before_any_request() {
    let hub = FakeHub::start(REPO, FILE, content(), Behaviour::default());
    let dest = tempfile::tempdir().unwrap();
    let error = client(&hub)
        .download(
            &DownloadRequest::new(REPO, "../escape.gguf"),
            dest.path(),
            &no_cancel(),
            |_| {},
        )
        .unwrap_err();
    assert_eq!(error.code(), "INVALID_NAME");
    assert!(hub.requests().is_empty());
}

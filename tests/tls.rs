//! HTTPS: a test CA and a server certificate made here (rcgen), the controller serving with
//! them, clients that trust the CA through `--ca-cert` and clients that do not, and the
//! refusal to listen beyond loopback on plain HTTP.

#[path = "support/cli_fixture.rs"]
mod cli_fixture;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, ControllerError, TlsFiles, start};
use jwctl::domain::SystemClock;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

const TOKEN: &str = "tls-test-token";

/// Writes a CA certificate (`ca.pem`) and a certificate for localhost and 127.0.0.1 signed by
/// it (`cert.pem`, `key.pem`) into `dir`.
fn make_certificates(dir: &Path) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let server =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), server_cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), server_key.serialize_pem()).unwrap();
}

fn config(dir: &Path, tls: Option<TlsFiles>) -> ControllerConfig {
    ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        access: Access::Token(TOKEN.into()),
        demo_fleet: Some(12),
        regions: 1,
        transition: Duration::from_millis(100),
        clock: Arc::new(SystemClock),
        oms: None,
        tls,
        state: jwctl::controller::StateLocation::DataDir,
    }
}

fn files(dir: &Path) -> TlsFiles {
    TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

#[test]
fn a_client_that_trusts_the_ca_talks_https_and_others_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime
        .block_on(start(config(dir.path(), Some(files(dir.path())))))
        .unwrap();
    let url = handle.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    let mut options = ClientOptions::new(url.clone(), Some(TOKEN.into()));
    options.ca_cert = Some(ca);
    let trusting = Client::new(options).unwrap();
    let who = runtime.block_on(trusting.whoami()).unwrap();
    assert_eq!(who.name, "default");
    assert_eq!(
        runtime
            .block_on(trusting.list_writers(None))
            .unwrap()
            .writers
            .len(),
        12
    );

    // Without the CA the certificate is not trusted; plain HTTP gets no answer.
    let mut options = ClientOptions::new(url.clone(), Some(TOKEN.into()));
    options.get_retries = 0;
    let untrusting = Client::new(options).unwrap();
    let refused = runtime.block_on(untrusting.whoami()).unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains("does not trust") && message.contains("--ca-cert"),
        "{message}"
    );
    let mut options = ClientOptions::new(url.replace("https", "http"), Some(TOKEN.into()));
    options.get_retries = 0;
    let plain = Client::new(options).unwrap();
    assert!(runtime.block_on(plain.whoami()).is_err());

    // The CLI takes the CA with --ca-cert.
    let sandbox = tempfile::tempdir().unwrap();
    let list = cli_fixture::sandboxed(sandbox.path())
        .args(["list", "--controller", &url, "--token", TOKEN, "--ca-cert"])
        .arg(dir.path().join("ca.pem"))
        .output()
        .unwrap();
    assert_eq!(
        list.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert!(String::from_utf8_lossy(&list.stderr).contains("12 of 12 writers"));
    runtime.block_on(handle.shutdown());
}

#[test]
fn unusable_certificate_files_are_refused_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let swapped = TlsFiles {
        cert: dir.path().join("key.pem"),
        key: dir.path().join("cert.pem"),
    };
    let missing = TlsFiles {
        cert: dir.path().join("nope.pem"),
        key: dir.path().join("key.pem"),
    };
    for (files, expected) in [(swapped, "key.pem"), (missing, "nope.pem")] {
        let error = runtime
            .block_on(start(config(dir.path(), Some(files))))
            .unwrap_err();
        assert!(matches!(error, ControllerError::Tls(_)), "{error:?}");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn serve_refuses_plain_http_beyond_loopback() {
    let sandbox = tempfile::tempdir().unwrap();
    let serve = cli_fixture::sandboxed(sandbox.path())
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(sandbox.path().join("data"))
        .output()
        .unwrap();
    assert_ne!(serve.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&serve.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 on plain HTTP")
            && stderr.contains("--insecure-listen"),
        "{stderr}"
    );
    assert!(
        !sandbox.path().join("data").exists(),
        "nothing was created before refusing"
    );
}

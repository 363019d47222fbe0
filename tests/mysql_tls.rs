//! The state database over TLS: a private MariaDB serving a certificate made here (rcgen), the
//! test user required to use TLS; `jwctl serve --state-ca-file` with the CA that signed it
//! connects and serves, and with another CA it is refused, saying why.

mod common;
#[path = "support/mariadb.rs"]
mod mariadb;
#[path = "support/replica.rs"]
mod replica;

use std::path::{Path, PathBuf};

use mariadb::MariaDb;
use mysql::prelude::Queryable;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use replica::{Started, refused, serve, started};

/// Writes a CA (`NAME-ca.pem`) and, signed by it, a certificate for 127.0.0.1
/// (`NAME-cert.pem`, `NAME-key.pem`) into `dir`: the CA's path.
fn certificates(dir: &Path, name: &str) -> PathBuf {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    let path = dir.join(format!("{name}-ca.pem"));
    std::fs::write(&path, ca_cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{name}-cert.pem")), server_cert.pem()).unwrap();
    std::fs::write(
        dir.join(format!("{name}-key.pem")),
        server_key.serialize_pem(),
    )
    .unwrap();
    path
}

#[test]
fn serve_connects_over_tls_with_the_right_ca_and_is_refused_with_another() {
    let certs = tempfile::tempdir().unwrap();
    let ca = certificates(certs.path(), "db");
    let other_ca = certificates(certs.path(), "other");
    let file = |name: &str| certs.path().join(name).display().to_string();
    let Some(db) = MariaDb::start_with(&[
        format!("--ssl-ca={}", ca.display()),
        format!("--ssl-cert={}", file("db-cert.pem")),
        format!("--ssl-key={}", file("db-key.pem")),
    ]) else {
        return;
    };
    db.root()
        .query_drop(format!("ALTER USER '{}'@'%' REQUIRE SSL", mariadb::USER))
        .unwrap();
    let database = db.database("jw_tls");
    let password_file = db.password_file();
    let data = tempfile::tempdir().unwrap();
    let url = db.url(&database);

    // Unencrypted: the server refuses the user.
    let stderr = refused(serve(&url, &password_file, data.path(), &[]));
    assert!(stderr.contains("Access denied"), "{stderr}");

    // Another CA: the certificate is not trusted, and that is said.
    let other = other_ca.to_str().unwrap();
    let stderr = refused(serve(
        &url,
        &password_file,
        data.path(),
        &["--state-ca-file", other],
    ));
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(
        stderr.contains("--state-ca-file") || stderr.contains("CA file"),
        "{stderr}"
    );

    // The CA that signed it: served.
    let Started::Listening(mut child, _, seen) = started(serve(
        &url,
        &password_file,
        data.path(),
        &["--state-ca-file", ca.to_str().unwrap()],
    )) else {
        panic!("jwctl serve did not start over TLS");
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(!seen.contains(mariadb::PASSWORD), "{seen}");
    let mut conn = db.connect(&database);
    let writers: Option<i64> = conn.query_first("SELECT COUNT(*) FROM writers").unwrap();
    assert_eq!(writers, Some(10), "the demo fleet went in over TLS");
}

//! HTTPS for the controller (rustls, no OpenSSL): the certificate and key read from PEM
//! files, and a listener that completes each TLS handshake in a task of its own, so a slow
//! or broken client holds up nobody else's connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::ControllerError;

/// A handshake not done by then is dropped.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for the server to take them.
const WAITING: usize = 64;

/// The PEM files `serve` presents: the certificate chain and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn tls_error(path: &Path, detail: impl std::fmt::Display) -> ControllerError {
    ControllerError::Tls(format!("{}: {detail}", path.display()))
}

/// The TLS server configuration of `files`, or what is wrong with them.
pub(crate) fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, ControllerError> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| tls_error(path, e));
    let cert_pem = read(&files.cert)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(&files.cert, format!("not a PEM certificate chain ({e})")))?;
    if certs.is_empty() {
        return Err(tls_error(&files.cert, "holds no certificate"));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|e| tls_error(&files.key, format!("not a PEM private key ({e})")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| {
            ControllerError::Tls(format!(
                "{} and {} do not make a usable certificate and key: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Connections on `tcp` after their TLS handshake.
pub(crate) struct TlsListener {
    handshaken: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `tcp`, handshaking with `acceptor`, until the listener is dropped.
    pub fn new(tcp: TcpListener, local: SocketAddr, acceptor: TlsAcceptor) -> TlsListener {
        let (ready, handshaken) = mpsc::channel(WAITING);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = ready.closed() => return,
                    accepted = tcp.accept() => accepted,
                };
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: pause rather than spin.
                        tracing::warn!("accepting a connection failed: {error}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let (ready, acceptor) = (ready.clone(), acceptor.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = ready.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, "TLS handshake failed: {error}");
                        }
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        TlsListener { handshaken, local }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.handshaken.recv().await {
            Some(connection) => connection,
            // The accepting task is gone (the runtime is shutting down): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

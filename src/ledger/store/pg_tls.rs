//! TLS for the PostgreSQL ledger: what the URL's `sslmode` and
//! `sslrootcert` ask for, as a rustls connector.
//!
//! rust-postgres reads `sslmode` (`disable`, `prefer`, the default, and
//! `require`) and asks the server for TLS unless it is `disable`; with
//! `prefer` a server that offers no TLS is spoken to in the clear, with
//! `require` it is refused. Whenever TLS is used, the server's certificate
//! is verified and must name the URL's host (libpq's `verify-full`): against
//! the system's roots, or against the certificates of the file
//! `sslrootcert=` names. `sslrootcert=system` means the system's roots.
//! rust-postgres does not know `sslrootcert`, so it is taken out of the URL
//! before the URL is parsed.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The URL without its `sslrootcert=` parameter, and that parameter's value
/// (percent-decoded) if it has one.
pub(crate) fn take_root_cert(url: &str) -> (String, Option<String>) {
    let Some((before, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut root_cert = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("sslrootcert", value)) => {
                root_cert = Some(percent_decoded(value));
                false
            }
            _ => true,
        })
        .collect();
    if kept.is_empty() {
        (before.to_string(), root_cert)
    } else {
        (format!("{before}?{}", kept.join("&")), root_cert)
    }
}

/// `%XX` escapes decoded, as rust-postgres decodes a URL's parts.
pub(crate) fn percent_decoded(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
}

/// The connector for a connection with this `sslmode` and `sslrootcert`.
/// With `disable` it is never used, so no roots are loaded.
pub(crate) fn connector(
    mode: postgres::config::SslMode,
    root_cert: Option<&str>,
) -> Result<MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    if mode != postgres::config::SslMode::Disable {
        match root_cert {
            Some(path) if path != "system" => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|err| format!("cannot read sslrootcert {path}: {err}"))?;
                if certs.is_empty() {
                    return Err(format!("sslrootcert {path} holds no certificate"));
                }
                for cert in certs {
                    roots
                        .add(cert)
                        .map_err(|err| format!("sslrootcert {path}: {err}"))?;
                }
            }
            _ => {
                // Unreadable system certificates are skipped; none at all
                // makes every TLS handshake fail with an unknown issuer.
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("cannot set up TLS: {err}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A TLS failure's text, with what to do about a certificate that was not
/// verified.
pub(crate) fn explained(detail: String) -> String {
    if detail.contains("invalid peer certificate") {
        format!(
            "{detail} (the server's certificate is not signed by a root goalie trusts, or does \
             not name the URL's host: name its CA's certificate with sslrootcert=FILE, or use \
             sslmode=disable to connect in the clear)"
        )
    } else {
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslrootcert_is_taken_out_of_the_url_and_decoded() {
        assert_eq!(
            take_root_cert("postgres://h/db?sslmode=require&sslrootcert=%2Ftmp%2Fa%20b.pem&x=1"),
            (
                "postgres://h/db?sslmode=require&x=1".to_string(),
                Some("/tmp/a b.pem".to_string())
            )
        );
        assert_eq!(
            take_root_cert("postgres://h/db?sslrootcert=/ca.pem"),
            ("postgres://h/db".to_string(), Some("/ca.pem".to_string()))
        );
        assert_eq!(
            take_root_cert("postgres://h/db?sslmode=disable"),
            ("postgres://h/db?sslmode=disable".to_string(), None)
        );
        assert_eq!(
            take_root_cert("postgres://h/db"),
            ("postgres://h/db".to_string(), None)
        );
    }

    #[test]
    fn a_missing_or_empty_root_certificate_file_is_an_error_that_names_it() {
        use postgres::config::SslMode;
        let err = connector(SslMode::Require, Some("/nonexistent/ca.pem"))
            .err()
            .unwrap();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
        let empty = tempfile::NamedTempFile::new().unwrap();
        let path = empty.path().to_str().unwrap();
        let err = connector(SslMode::Require, Some(path)).err().unwrap();
        assert!(err.contains("holds no certificate"), "{err}");
        // `disable` never reads the file.
        assert!(connector(SslMode::Disable, Some("/nonexistent/ca.pem")).is_ok());
    }
}

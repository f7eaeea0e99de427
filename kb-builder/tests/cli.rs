//! The command line: exit codes, error output, and `search --json`.

mod common;
use common::*;
use std::process::Command;

fn kb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kb-builder"))
}

#[test]
fn build_check_and_search_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let run = kb()
        .args(["build", "--content"])
        .arg(fixture("editions"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("built 4 articles"), "{stdout}");
    // Quiet on a pipe: no progress bar escapes in stderr.
    assert!(
        run.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let check = kb()
        .args(["check", "--content"])
        .arg(fixture("editions"))
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0));

    let search = kb()
        .args(["search", "--json", "--edition", "public", "--site"])
        .arg(&out)
        .arg("メールが届かない")
        .output()
        .unwrap();
    assert_eq!(
        search.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&search.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
    assert_eq!(json["hits"][0]["id"], 101);
    assert!(json["total"].as_u64().unwrap() >= 1);
    assert!(json["hits"][0]["snippet"]
        .as_str()
        .unwrap()
        .contains("<mark>"));
    assert!(json["hits"][0]["score"].as_f64().unwrap() > 0.0);
    assert!(json["hits"][0]["title"].is_string());

    // A dictionary that cannot be read: search still answers (bigrams only) and says so.
    let missing = dir.path().join("no-such-dictionary");
    let search = kb()
        .env("MADOGUCHI_DICTIONARY", &missing)
        .args(["search", "--json", "--edition", "public", "--site"])
        .arg(&out)
        .arg("メールが届かない")
        .output()
        .unwrap();
    assert_eq!(search.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&search.stderr);
    assert!(stderr.contains("no Japanese dictionary"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
    assert_eq!(json["hits"][0]["id"], 101);
}

#[test]
fn content_errors_exit_1_and_usage_errors_exit_2() {
    let bad = tree(&[
        ("_site.yaml", SITE_YAML),
        ("a.md", "---\nid: 1\nvisibility: everyone\n---\n"),
    ]);
    let run = kb()
        .args(["check", "--content"])
        .arg(bad.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("a.md:3: unknown visibility `everyone`"),
        "{stderr}"
    );
    assert!(stderr.contains("a.md:2: missing field `title`"), "{stderr}");

    let usage = kb().args(["build", "--no-such-flag"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let edition = kb()
        .args(["search", "--edition", "secret", "x"])
        .output()
        .unwrap();
    assert_eq!(edition.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&edition.stderr).contains("unknown edition"));
}

//! Every kind of content error is reported as `file:line: message`, all of them in one
//! run, and a missing or unknown visibility is an error, never "public".

mod common;
use common::*;
use kb_builder::content::tree as content;
use kb_builder::Error;

fn errors_of(dir: &std::path::Path) -> Vec<String> {
    match content::load(dir) {
        Err(Error::Content(diags)) => diags
            .iter()
            .map(|d| {
                let rel = d
                    .file
                    .strip_prefix(dir)
                    .unwrap_or(&d.file)
                    .to_string_lossy()
                    .into_owned();
                match d.line {
                    Some(l) => format!("{rel}:{l}: {}", d.message),
                    None => format!("{rel}: {}", d.message),
                }
            })
            .collect(),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("content loaded without errors"),
    }
}

fn has(errors: &[String], prefix: &str, needle: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(prefix) && e.contains(needle)),
        "no `{prefix}…{needle}` in:\n{}",
        errors.join("\n")
    );
}

#[test]
fn every_error_is_reported_in_one_run_with_file_and_line() {
    let bad_date =
        article(3, "", "x").replace("updated: 2024-01-02T00:00:00+09:00", "updated: 2024-13-45");
    let no_vis = article(4, "", "x").replace("visibility: public\n", "");
    let unknown_vis = article(5, "", "x").replace("visibility: public", "visibility: secret");
    let unknown_field = article(6, "visiblity: public\n", "x");
    let broken = article(
        7,
        "",
        "line one\n\nsee [other](faq:999) and [file](../nowhere.md)\n\n[bad](javascript:alert(1))",
    );
    let tree = tree(&[
        ("_site.yaml", SITE_YAML),
        ("a/_category.yaml", CATEGORY_YAML),
        ("a/one.md", &article(1, "", "x")),
        ("a/dup.md", &article(1, "", "x")),
        ("a/date.md", &bad_date),
        ("a/novis.md", &no_vis),
        ("a/unknownvis.md", &unknown_vis),
        ("a/field.md", &unknown_field),
        ("a/links.md", &broken),
        ("a/yaml.md", "---\nid: 8\ntitle: [unclosed\n---\nbody\n"),
        ("a/open.md", "---\nid: 9\ntitle: x\n"),
        ("a/nofm.md", "just text\n"),
        (
            "a/att/index.md",
            &article(10, "attachments: [missing.pdf]\n", "x"),
        ),
        ("a/att/stray.pdf", "%PDF"),
        (
            "a/order.md",
            &article(11, "", "x").replace(
                "updated: 2024-01-02T00:00:00+09:00",
                "updated: 2023-01-01T00:00:00+09:00",
            ),
        ),
        ("a/flat.md", &article(12, "attachments: [x.pdf]\n", "x")),
        ("b/_category.yaml", "name: [oops\n"),
        ("nocat/thing.md", &article(13, "", "x")),
    ]);
    let errors = errors_of(tree.path());
    has(&errors, "a/one.md:2: ", "duplicate id 1");
    has(&errors, "a/date.md:8: ", "bad date `2024-13-45`");
    has(&errors, "a/novis.md:2: ", "missing field `visibility`");
    has(
        &errors,
        "a/unknownvis.md:4: ",
        "unknown visibility `secret`",
    );
    has(&errors, "a/field.md:9: ", "unknown field `visiblity`");
    has(&errors, "a/links.md:12: ", "broken link `faq:999`");
    has(&errors, "a/links.md:12: ", "broken link `../nowhere.md`");
    has(
        &errors,
        "a/links.md:14: ",
        "scheme `javascript` is not allowed",
    );
    has(&errors, "a/yaml.md:3: ", "invalid YAML");
    has(&errors, "a/open.md:1: ", "not closed");
    has(&errors, "a/nofm.md:1: ", "must start with `---`");
    has(
        &errors,
        "a/att/index.md:9: ",
        "attachment not found: missing.pdf",
    );
    has(&errors, "a/att/stray.pdf: ", "not listed");
    has(&errors, "a/order.md:8: ", "earlier than `created`");
    has(&errors, "a/flat.md:9: ", "must be a folder");
    has(&errors, "b/_category.yaml:1: ", "invalid YAML");
    has(&errors, "nocat: ", "neither a category");
    assert!(errors.len() >= 17, "{}", errors.join("\n"));
}

#[test]
fn a_yaml_alias_bomb_is_refused_quickly() {
    let bomb = "---\nid: 1\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n---\nbody\n";
    let tree = tree(&[("_site.yaml", SITE_YAML), ("bomb.md", bomb)]);
    let started = std::time::Instant::now();
    let errors = errors_of(tree.path());
    has(&errors, "bomb.md:", "invalid YAML");
    assert!(started.elapsed().as_secs() < 10, "the bomb was expanded");
}

#[test]
fn a_missing_site_file_and_bad_site_values_are_reported() {
    let tree1 = tree(&[("a.md", &article(1, "", "x"))]);
    has(&errors_of(tree1.path()), "_site.yaml: ", "missing");
    let tree2 = tree(&[("_site.yaml", "title: x\nbase_url: ftp://x/\ncolour: red\n")]);
    let errors = errors_of(tree2.path());
    has(&errors, "_site.yaml:2: ", "absolute http(s) URL");
    has(&errors, "_site.yaml:3: ", "unknown field `colour`");
}

#[test]
fn valid_links_resolve() {
    let tree = tree(&[
        ("_site.yaml", SITE_YAML),
        ("a/_category.yaml", CATEGORY_YAML),
        ("a/one.md", &article(1, "", "[two](../b/two/index.md#x) [two again](../b/two/) [three](faq:3) [top](#top) [mail](mailto:a@example.com)")),
        ("b/_category.yaml", CATEGORY_YAML),
        ("b/two/index.md", &article(2, "attachments: [\"manual v2.pdf\"]\n", "[m](manual%20v2.pdf)")),
        ("b/two/manual v2.pdf", "%PDF-1.4"),
        ("three.md", &article(3, "", "x")),
    ]);
    let content = content::load(tree.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(content.articles.len(), 3);
    assert_eq!(content.article(2).unwrap().attachments[0].size, 8);
}

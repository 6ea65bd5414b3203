//! Every `{{#include …}}` in the book points at something that exists and is not empty.
//!
//! mdBook renders an include whose anchor is missing (renamed, deleted, misspelled) as
//! *nothing*, silently, so a refactor could empty a listing in the book without any
//! build error. This test reads `book/src/**/*.md`, finds
//!
//! * `{{#include PATH}}` and `{{#include PATH:ANCHOR}}`,
//! * `{{#include PATH:START:END}}` (line ranges),
//! * the same forms of `{{#rustdoc_include …}}`,
//!
//! resolves PATH relative to the Markdown file (as mdBook does) and fails when the file
//! is missing, the anchor is missing or unclosed, or what it selects is blank. It also
//! checks that local images (`![…](figures/…)`) exist, which mdBook does not either.
//! Escaped includes (`\{{#include …}}`, how the book shows the syntax) are skipped.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src")
}

/// One `{{#include …}}` or `{{#rustdoc_include …}}`: the path and what follows it.
#[derive(Debug)]
struct Include {
    line: usize,
    path: String,
    selector: Option<String>,
}

fn includes(text: &str) -> Vec<Include> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        let mut offset = 0;
        while let Some(i) = rest.find("{{#") {
            let escaped = line[..offset + i].ends_with('\\');
            let after = &rest[i + 3..];
            let Some(end) = after.find("}}") else { break };
            let body = after[..end].trim();
            let arg = body
                .strip_prefix("include ")
                .or_else(|| body.strip_prefix("rustdoc_include "));
            if let (Some(arg), false) = (arg, escaped) {
                let arg = arg.trim();
                let (path, selector) = match arg.split_once(':') {
                    Some((p, s)) => (p.to_string(), Some(s.to_string())),
                    None => (arg.to_string(), None),
                };
                found.push(Include {
                    line: n + 1,
                    path,
                    selector,
                });
            }
            offset += i + 3 + end + 2;
            rest = &line[offset..];
        }
    }
    found
}

/// The name after `ANCHOR:` / `ANCHOR_END:` on this line, as mdBook reads it
/// (`[A-Za-z0-9_-]+` after optional spaces).
fn anchor_on(line: &str, marker: &str) -> Option<String> {
    let i = line.find(marker)?;
    let name: String = line[i + marker.len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name`, other anchor lines dropped
/// (as mdBook does).
fn anchored(source: &str, name: &str) -> Result<Vec<String>, String> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in source.lines() {
        // ANCHOR_END contains "ANCHOR" but not "ANCHOR:", so the two never mix up.
        if let Some(end) = anchor_on(line, "ANCHOR_END:") {
            if inside && end == name {
                return Ok(lines);
            }
            continue;
        }
        if let Some(start) = anchor_on(line, "ANCHOR:") {
            if start == name {
                if inside {
                    return Err(format!("anchor '{name}' opened twice"));
                }
                inside = true;
            }
            continue;
        }
        if inside {
            lines.push(line.to_string());
        }
    }
    Err(if inside {
        format!("anchor '{name}' is never closed (no ANCHOR_END: {name})")
    } else {
        format!("no ANCHOR: {name}")
    })
}

fn is_line_range(selector: &str) -> bool {
    selector.chars().all(|c| c.is_ascii_digit() || c == ':')
}

/// Check one include; an error message if it would render as nothing.
fn check(md: &Path, inc: &Include) -> Result<(), String> {
    let target = md.parent().expect("file in a folder").join(&inc.path);
    let source =
        fs::read_to_string(&target).map_err(|e| format!("cannot read {}: {e}", inc.path))?;
    let selected: Vec<String> = match inc.selector.as_deref() {
        None => source.lines().map(String::from).collect(),
        Some(sel) if is_line_range(sel) => {
            let mut parts = sel.split(':');
            let start: usize = parts.next().unwrap_or("").parse().unwrap_or(1).max(1);
            let end: usize = parts
                .next()
                .and_then(|e| e.parse().ok())
                .unwrap_or(usize::MAX);
            let end = if sel.contains(':') { end } else { start };
            source
                .lines()
                .skip(start - 1)
                .take(end.saturating_sub(start - 1))
                .map(String::from)
                .collect()
        }
        Some(anchor) => anchored(&source, anchor).map_err(|e| format!("{}: {e}", inc.path))?,
    };
    if selected.iter().all(|l| l.trim().is_empty()) {
        return Err(format!("{}: selects nothing but blank lines", inc.path));
    }
    Ok(())
}

/// Local image links `![alt](path)` (not http, not absolute).
fn images(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("![") {
            rest = &rest[i + 2..];
            let Some(j) = rest.find("](") else { break };
            let Some(k) = rest[j + 2..].find(')') else {
                break;
            };
            let target = rest[j + 2..j + 2 + k]
                .split_whitespace()
                .next()
                .unwrap_or("");
            if !target.contains("://") && !target.starts_with('/') && !target.is_empty() {
                found.push((n + 1, target.to_string()));
            }
            rest = &rest[j + 2 + k..];
        }
    }
    found
}

#[test]
fn every_include_and_image_in_the_book_resolves() {
    let files = common::files_with_extension(&book_src(), "md");
    assert!(
        files.len() >= 12,
        "expected the book's chapters, found {files:?}"
    );
    let (mut errors, mut count, mut figures) = (Vec::new(), 0, 0);
    for md in &files {
        let text = fs::read_to_string(md).unwrap();
        let name = md.strip_prefix(book_src()).unwrap().display().to_string();
        for inc in includes(&text) {
            count += 1;
            figures += usize::from(inc.path.starts_with("figures/"));
            if let Err(e) = check(md, &inc) {
                errors.push(format!("{name}:{}: {e}", inc.line));
            }
        }
        for (line, target) in images(&text) {
            figures += 1;
            if !md.parent().unwrap().join(&target).is_file() {
                errors.push(format!("{name}:{line}: image {target} does not exist"));
            }
        }
    }
    assert!(errors.is_empty(), "broken includes:\n{}", errors.join("\n"));
    assert!(
        count >= 20,
        "only {count} includes found: is the scanner broken?"
    );
    assert!(figures >= 3, "only {figures} figure references found");
}

#[test]
fn the_scanner_finds_and_rejects_what_it_should() {
    let text = "a {{#include ../x.rs:one}} b {{#rustdoc_include y.rs}}\n\\{{#include z.rs:two}}\n{{#include w.rs:3:5}}";
    let found = includes(text);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0].path, "../x.rs");
    assert_eq!(found[0].selector.as_deref(), Some("one"));
    assert_eq!(found[1].selector, None);
    assert_eq!(found[2].selector.as_deref(), Some("3:5"));
    assert!(is_line_range("3:5") && !is_line_range("gemm"));

    let src = "x\n// ANCHOR: a\n// ANCHOR: b\nfn f() {}\n// ANCHOR_END: b\n// ANCHOR_END: a\n// ANCHOR: empty\n\n// ANCHOR_END: empty\n// ANCHOR: open\n";
    assert_eq!(anchored(src, "a").unwrap(), vec!["fn f() {}"]);
    assert_eq!(anchored(src, "b").unwrap(), vec!["fn f() {}"]);
    assert_eq!(anchored(src, "empty").unwrap(), vec![""]);
    assert!(anchored(src, "missing").is_err());
    assert!(anchored(src, "open").unwrap_err().contains("never closed"));
    // `gemm` must not match `gemm_naive`.
    assert!(anchored(
        "// ANCHOR: gemm_naive\nx\n// ANCHOR_END: gemm_naive\n",
        "gemm"
    )
    .is_err());
    assert_eq!(
        images("see ![VGG16](figures/a.svg \"title\") and ![x](https://e.org/b.png)"),
        vec![(1, "figures/a.svg".to_string())]
    );
}

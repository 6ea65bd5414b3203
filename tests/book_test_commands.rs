//! Every `cargo test` command the book, the docs and the README print selects at least
//! one test.
//!
//! `cargo test --release --lib loss::style` runs the tests whose names contain
//! `loss::style`; a filter that matches nothing (a module renamed, a test deleted, a typo)
//! prints "0 passed" and exits 0, so a reader who runs it sees a green result that checked
//! nothing. This test reads `book/src/**/*.md`, `docs/**/*.md` and `README.md`, finds
//! each `cargo test` command with `--lib` or `--test NAME` (and the filter after them, if
//! any), and fails unless `tests/NAME.rs` exists and some test's full name contains the
//! filter.
//!
//! Test names are collected from the sources, as the test harness names them: the module
//! path given by the file's place under `src/` (or the file under `tests/`), the inline
//! `mod … {` blocks around the function, and the name of each function marked `#[test]`
//! (proptest's functions included). Commands for the exercises' own workspace
//! (`--manifest-path`) are left to its graders.

mod common;

use common::files_with_extension;
use std::fs;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The line with its comment and the contents of its string literals removed, so that
/// braces in either are not counted.
fn code_only(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_string = true,
                '\'' if chars.peek().is_some_and(|&n| n == '{' || n == '}') => {
                    // a char literal '{' or '}'
                    chars.next();
                }
                '/' if chars.peek() == Some(&'/') => break,
                _ => out.push(c),
            }
        }
    }
    out
}

/// Full names (`prefix::inner_mod::fn`) of the `#[test]` functions in one source file.
fn test_names(source: &str, prefix: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    // Inline modules open at a brace depth: (name, depth inside it).
    let mut mods: Vec<(String, i64)> = Vec::new();
    let mut depth: i64 = 0;
    let mut marked = false;
    for line in source.lines() {
        let code = code_only(line);
        let trimmed = code.trim();
        if trimmed.starts_with("#[test]") {
            marked = true;
        }
        let words: Vec<&str> = trimmed
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        if marked {
            if let Some(i) = words.iter().position(|&w| w == "fn") {
                if let Some(name) = words.get(i + 1) {
                    let mut full: Vec<String> = prefix.to_vec();
                    full.extend(mods.iter().map(|(m, _)| m.clone()));
                    full.push(name.to_string());
                    names.push(full.join("::"));
                    marked = false;
                }
            }
        }
        let opens = code.matches('{').count() as i64;
        let closes = code.matches('}').count() as i64;
        if let Some(i) = words.iter().position(|&w| w == "mod") {
            if opens > closes {
                if let Some(name) = words.get(i + 1) {
                    mods.push((name.to_string(), depth + 1));
                }
            }
        }
        depth += opens - closes;
        while mods.last().is_some_and(|(_, d)| depth < *d) {
            mods.pop();
        }
    }
    names
}

/// The library's tests: module path from the file's place under `src/` (`bin/` is not
/// the library).
fn lib_tests() -> Vec<String> {
    let src = root().join("src");
    let mut names = Vec::new();
    for path in files_with_extension(&src, "rs") {
        let rel = path.strip_prefix(&src).unwrap();
        if rel.starts_with("bin") {
            continue;
        }
        let mut prefix: Vec<String> = rel
            .with_extension("")
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if prefix
            .last()
            .is_some_and(|last| last == "mod" || last == "lib")
        {
            prefix.pop();
        }
        names.extend(test_names(&fs::read_to_string(&path).unwrap(), &prefix));
    }
    names
}

/// One `cargo test` command found in the book: `--test NAME` (None: `--lib`) and the
/// filter, if any.
#[derive(Debug)]
struct Command {
    at: String,
    target: Option<String>,
    filter: Option<String>,
}

fn commands(text: &str, name: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for (i, _) in line.match_indices("cargo test") {
            // The command ends with its inline-code span, a comment, `--` (the harness's
            // own options follow) or a shell operator.
            let rest = &line[i + "cargo test".len()..];
            let rest = rest.split('`').next().unwrap_or("");
            let words: Vec<&str> = rest
                .split_whitespace()
                .take_while(|w| !w.starts_with('#') && !["&&", "|", ";", "--"].contains(w))
                .map(|w| w.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_')))
                .collect();
            if words.contains(&"--manifest-path") {
                continue;
            }
            let mut target = None;
            let mut lib = false;
            let mut filter = None;
            let mut k = 0;
            while k < words.len() {
                match words[k] {
                    "--lib" => lib = true,
                    "--test" => {
                        target = words.get(k + 1).map(|s| s.to_string());
                        k += 1;
                    }
                    w if w.starts_with('-') || w.is_empty() => {}
                    w => {
                        if filter.is_none() {
                            filter = Some(w.to_string());
                        }
                    }
                }
                k += 1;
            }
            if lib || target.is_some() {
                out.push(Command {
                    at: format!("{name}:{}", n + 1),
                    target,
                    filter,
                });
            }
        }
    }
    out
}

#[test]
fn every_test_command_printed_selects_a_test() {
    let lib = lib_tests();
    assert!(
        lib.len() >= 150
            && lib
                .iter()
                .any(|n| n == "loss::style::tests::values_match_the_written_formulas"),
        "the scanner found {} library tests: is it broken?",
        lib.len()
    );
    let mut mds = vec![root().join("README.md")];
    mds.extend(files_with_extension(&root().join("book/src"), "md"));
    mds.extend(files_with_extension(&root().join("docs"), "md"));
    let (mut errors, mut count) = (Vec::new(), 0);
    for md in &mds {
        let name = md.strip_prefix(root()).unwrap().display().to_string();
        for cmd in commands(&fs::read_to_string(md).unwrap(), &name) {
            count += 1;
            let names = match &cmd.target {
                None => lib.clone(),
                Some(t) => {
                    let file = root().join("tests").join(format!("{t}.rs"));
                    match fs::read_to_string(&file) {
                        Ok(text) => test_names(&text, &[]),
                        Err(_) => {
                            errors.push(format!("{}: there is no tests/{t}.rs", cmd.at));
                            continue;
                        }
                    }
                }
            };
            let hits = match &cmd.filter {
                Some(f) => names.iter().filter(|n| n.contains(f.as_str())).count(),
                None => names.len(),
            };
            if hits == 0 {
                errors.push(format!(
                    "{}: `{}` selects no test",
                    cmd.at,
                    cmd.filter.as_deref().unwrap_or("")
                ));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "book commands that run nothing:\n{}",
        errors.join("\n")
    );
    assert!(
        count >= 40,
        "only {count} cargo test commands found: is the scanner broken?"
    );
}

#[test]
fn the_scanners_find_what_they_should() {
    let src = "mod a {\n    #[test]\n    fn one() { let s = \"}\"; }\n    mod b {\n        proptest! {\n            #[test]\n            fn two(x in 0..3) {}\n        }\n    }\n}\n#[test]\nfn three() {}\n";
    assert_eq!(
        test_names(src, &["m".into()]),
        vec!["m::a::one", "m::a::b::two", "m::three"]
    );
    let md = "```sh\ncargo test --release --lib loss::tv\ncargo test --release --test tiled exact  # note\n```\nGrade with `cargo test --manifest-path x/Cargo.toml ex01`, or `cargo test --release --lib diversity`).\n(`cargo test --release --test winograd -- --nocapture`; relative to) and `cargo test --lib`, or more";
    let found: Vec<(Option<String>, Option<String>)> = commands(md, "x")
        .into_iter()
        .map(|c| (c.target, c.filter))
        .collect();
    assert_eq!(
        found,
        vec![
            (None, Some("loss::tv".to_string())),
            (Some("tiled".to_string()), Some("exact".to_string())),
            (None, Some("diversity".to_string())),
            (Some("winograd".to_string()), None),
            (None, None),
        ]
    );
}

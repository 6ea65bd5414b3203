//! `nst draw-net`: the SVG is well-formed and names every layer; DOT names every layer;
//! text is escaped; writing into a missing folder is one clean error line.

use nst::net::vgg::{layers, Arch, Pooling, WIDTHS};
use nst::tools::viz::svg::escape_xml;
use nst::tools::viz::{draw_net, NetFormat};
use std::process::Command;

/// A tiny well-formedness check, enough for the documents we write: every `<tag>` is
/// closed by a matching `</tag>` in the right order (or is self-closing `<tag/>`),
/// attribute values are quoted, and every `&` starts an entity.
fn check_well_formed(doc: &str) -> Result<usize, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut elements = 0;
    let mut rest = doc;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let close = rest[open..]
            .find('>')
            .ok_or_else(|| format!("unclosed '<' near {:?}", &rest[open..]))?
            + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue; // <?xml …?>, comments, doctype
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name.trim() {
                return Err(format!("<{top}> closed by </{name}>"));
            }
            continue;
        }
        elements += 1;
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body.split_whitespace().next().unwrap_or("");
        if name.is_empty() {
            return Err(format!("empty tag <{tag}>"));
        }
        check_attributes(body[name.len()..].trim())?;
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    check_text(rest)?;
    match stack.pop() {
        Some(open) => Err(format!("<{open}> never closed")),
        None => Ok(elements),
    }
}

fn check_text(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |j| i + j + 1)];
        let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"];
        if !known.contains(&entity) && !entity.starts_with("&#") {
            return Err(format!("bare '&' in {text:?}"));
        }
    }
    if text.contains('>') {
        return Err(format!("stray '>' in {text:?}"));
    }
    Ok(())
}

/// `name="value" name="value" …` with every value in double quotes.
fn check_attributes(mut attrs: &str) -> Result<(), String> {
    while !attrs.is_empty() {
        let eq = attrs
            .find('=')
            .ok_or(format!("attribute without value: {attrs:?}"))?;
        let after = &attrs[eq + 1..];
        if !after.starts_with('"') {
            return Err(format!("unquoted attribute value: {attrs:?}"));
        }
        let end = after[1..]
            .find('"')
            .ok_or(format!("unterminated value: {attrs:?}"))?;
        check_text(&after[1..1 + end])?;
        attrs = after[end + 2..].trim_start();
    }
    Ok(())
}

#[test]
fn the_checker_catches_broken_documents() {
    assert!(check_well_formed("<a><b/></a>").is_ok());
    assert!(check_well_formed(r#"<a x="1 &amp; 2">t &lt; u</a>"#).is_ok());
    assert!(check_well_formed("<a><b></a></b>").is_err());
    assert!(check_well_formed("<a>").is_err());
    assert!(check_well_formed("<a>x & y</a>").is_err());
    assert!(check_well_formed("<a x=1></a>").is_err());
}

#[test]
fn svg_is_well_formed_and_names_every_layer() {
    for arch in [Arch::Vgg16, Arch::Vgg19] {
        for pooling in [Pooling::Max, Pooling::Avg] {
            let svg = draw_net(arch, pooling, 300, 300, NetFormat::Svg).unwrap();
            let elements = check_well_formed(&svg).unwrap_or_else(|e| panic!("{arch:?}: {e}"));
            assert!(elements > 100, "{elements} elements");
            assert!(svg.starts_with("<?xml") && svg.contains("<svg xmlns="));
            let all = layers(arch, WIDTHS);
            for layer in &all {
                let text = format!(">{}</text>", layer.name);
                assert!(svg.contains(&text), "{arch:?}: {} missing", layer.name);
            }
            // One arrow into every layer, from the previous one (or the input).
            assert_eq!(svg.matches("marker-end=").count(), all.len());
            // Shapes from the layer table: seed 000's walk-through.
            assert!(svg.contains(">300×300×64</text>") && svg.contains(">150×150×64</text>"));
            assert!(svg.contains(">9×9×512</text>"));
        }
    }
}

#[test]
fn dot_names_every_layer_and_every_edge() {
    let dot = draw_net(Arch::Vgg19, Pooling::Max, 224, 224, NetFormat::Dot).unwrap();
    assert!(dot.starts_with("digraph"));
    assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    let names: Vec<String> = layers(Arch::Vgg19, WIDTHS)
        .into_iter()
        .map(|l| l.name)
        .collect();
    let mut previous = "input".to_string();
    for name in names {
        assert!(
            dot.contains(&format!("\"{previous}\" -> \"{name}\";")),
            "{name}"
        );
        previous = name;
    }
}

#[test]
fn text_is_escaped() {
    assert_eq!(
        escape_xml(r#"a<b & "c" 'd'>"#),
        "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
    );
}

#[test]
fn tiny_inputs_are_refused() {
    let err = draw_net(Arch::Vgg16, Pooling::Max, 31, 300, NetFormat::Svg).unwrap_err();
    assert!(err.to_string().contains("at least 32×32"), "{err}");
}

fn nst(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .output()
        .expect("run nst");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_writes_svg_and_dot_and_fails_cleanly_on_a_missing_folder() {
    let dir = std::env::temp_dir().join(format!("nst-draw-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("net.svg");
    let (ok, _, err) = nst(&["draw-net", "--arch", "vgg19", "-o", svg.to_str().unwrap()]);
    assert!(ok, "{err}");
    check_well_formed(&std::fs::read_to_string(&svg).unwrap()).unwrap();
    let gv = dir.join("net.gv");
    let (ok, _, err) = nst(&["draw-net", "-o", gv.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(std::fs::read_to_string(&gv).unwrap().starts_with("digraph"));

    let missing = dir.join("no-such-folder").join("net.svg");
    let (ok, out, err) = nst(&["draw-net", "-o", missing.to_str().unwrap()]);
    assert!(!ok && out.is_empty());
    assert!(
        err.starts_with("error: ") && err.contains("does not exist"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"));
    std::fs::remove_dir_all(&dir).unwrap();
}

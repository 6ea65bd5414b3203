//! Large pictures from the command line: `--tile` (the objective tile by tile) gives the
//! run the whole picture gives, `--max-memory` chooses tiles and says so, and `--scales`
//! renders coarse to fine, saving each stage.

mod common;

fn nst(args: &[&str]) -> (i32, String) {
    let (code, _, err) = common::nst(args);
    (code, err)
}

/// The final loss the run reports (`… loss 1.2345e12 (content …`).
fn final_loss(err: &str) -> f64 {
    let line = err
        .lines()
        .rev()
        .find(|l| l.contains("s/iteration; loss "))
        .unwrap_or_else(|| panic!("no final loss in:\n{err}"));
    line.split("; loss ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_tiled_run_follows_the_whole_pictures_run() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = std::env::temp_dir().join(format!("nst-poster-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    let run = |extra: &[&str], name: &str| {
        let out = d.join(name).display().to_string();
        let mut args = vec![
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "--size",
            "160",
            "--iterations",
            "4",
            "--conv",
            "im2col",
            "-q",
            "-o",
            &out,
        ];
        args.extend(extra);
        let (code, err) = nst(&args);
        assert_eq!(code, 0, "{args:?}:\n{err}");
        err
    };
    let whole = run(&[], "whole.png");
    // Cores of 48 pixels: 4×3 tiles whose crops (48 + 2·144) are cut by the picture.
    let tiled = run(&["--tile", "40"], "tiled.png");
    assert!(
        tiled.contains("--tile 40 rounded up to 48, a multiple of 16"),
        "{tiled}"
    );
    assert!(
        tiled.contains("memory: 160×120 tile by tile: cores of 48 px"),
        "{tiled}"
    );
    let (a, b) = (final_loss(&whole), final_loss(&tiled));
    // Four L-BFGS steps from the same start through the same function, up to f32
    // round-off in its evaluation (1e-7 relative in the gradient: tests/tiled.rs).
    assert!((a - b).abs() <= 1e-4 * a, "whole {a:e}, tiled {b:e}");
    // A budget just below the whole picture's need with L-BFGS's 100 pairs: a picture
    // this small is one tile anyway, so the plan keeps it whole and halves the history.
    let need = nst::tools::memory::optimization_bytes(120, 160, 207);
    let budget = format!("{}", need - 1);
    let planned = run(&["--max-memory", &budget], "planned.png");
    assert!(
        planned.contains("memory: 160×120 whole, L-BFGS history 50 (asked 100)"),
        "{planned}"
    );
}

#[test]
fn scales_render_coarse_to_fine_and_save_each_stage() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = std::env::temp_dir().join(format!("nst-scales-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let out = d.join("poster.png");
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    let (code, err) = nst(&[
        "stylize",
        "--content",
        &c,
        "--style",
        &s,
        "--scales",
        "64,96,128",
        "--scale-iterations",
        "3,2,2",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for (k, side, w, h) in [(1, 64, 64, 48), (2, 96, 96, 72), (3, 128, 128, 96)] {
        let header = format!("stage {k}/3: {w}×{h}");
        assert!(err.contains(&header), "{header} missing:\n{err}");
        assert!(err.contains(&format!("stage {k}/3: peak memory")), "{err}");
        let file = if k < 3 {
            d.join(format!("poster_s{side}.png"))
        } else {
            out.clone()
        };
        let img = image::open(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!((img.width(), img.height()), (w as u32, h as u32));
    }
    // The later stages start from the earlier ones: their ETA is known.
    assert!(
        err.contains("to go (the last stage's speed per pixel)"),
        "{err}"
    );
    assert!(err.contains("3 stages in"), "{err}");
}

#[test]
fn nst_loss_tile_by_tile_prints_the_same_terms() {
    if common::weights_dir().is_none() {
        return;
    }
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    let run = |extra: &[&str]| -> String {
        let mut args = vec![
            "loss",
            "--content",
            &c,
            "--style",
            &s,
            "--image",
            &s,
            "--size",
            "160",
            "--conv",
            "im2col",
        ];
        args.extend(extra);
        let (code, out, err) = common::nst(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    let total = |out: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with("total"))
            .unwrap();
        line.split_whitespace().last().unwrap().parse().unwrap()
    };
    let (whole, tiled) = (run(&[]), run(&["--tile", "48"]));
    let (a, b) = (total(&whole), total(&tiled));
    assert!((a - b).abs() <= 1e-6 * a, "whole {a:e}, tiled {b:e}");
}

//! The trainer and its checkpoints on a tiny random VGG16 and a tiny generator (f32, as
//! the command line trains): a resumed run continues bit for bit; old checkpoints are
//! pruned; a damaged newest checkpoint is named together with the sound one before it;
//! leftovers of an interrupted save are ignored; training lowers the loss; a texture
//! sample too small for relu5_1 is refused with the minimum.

use ndarray::Array4;
use nst::formats::files::test_dir;
use nst::gatys::Control;
use nst::math::rng::Rng;
use nst::net::vgg::{Arch, Pooling, Vgg};
use nst::net::weights::Convention;
use nst::texture_net::checkpoint::{
    list_checkpoints, load_checkpoint, load_newest, resolve_model, save_checkpoint, save_model,
};
use nst::texture_net::{Generator, GeneratorConfig, Schedule, TrainLoss, TrainOptions, Trainer};
use std::path::Path;

const SIDE: usize = 16;

fn loss(sample_side: usize) -> nst::Result<TrainLoss<f32>> {
    let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, [4, 4, 6, 6, 6], 3);
    let rgb: ndarray::Array3<f32> =
        Rng::new(1).uniform_array((sample_side, sample_side, 3), 0.0, 1.0);
    let sample = Convention::caffe().preprocess(rgb.view());
    let layers: Vec<(String, f64)> = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        .iter()
        .map(|l| (l.to_string(), 0.2))
        .collect();
    TrainLoss::texture(vgg, Convention::caffe(), &sample, &layers, (SIDE, SIDE))
}

fn options(iterations: usize) -> TrainOptions {
    TrainOptions {
        size: (SIDE, SIDE),
        batch: 2,
        schedule: Schedule {
            lr: 0.05,
            iterations,
            decay_start: 2,
            decay_every: 2,
            decay_factor: 0.5,
        },
        seed: 9,
        noise_scale: 1.0,
    }
}

fn generator() -> Generator<f32> {
    let config = GeneratorConfig {
        scales: 3,
        branch_channels: 3,
        ..GeneratorConfig::texture()
    };
    Generator::new(config, 5).unwrap()
}

fn trainer(iterations: usize) -> Trainer<f32> {
    Trainer::new(generator(), loss(132).unwrap(), options(iterations)).unwrap()
}

fn steps(t: &mut Trainer<f32>, n: usize) {
    for _ in 0..n {
        t.step(None).unwrap();
    }
}

fn settings() -> Vec<(String, String)> {
    vec![("sample".into(), "brick.png".into())]
}

#[test]
fn resumed_training_continues_bit_for_bit() {
    let mut straight = trainer(6);
    steps(&mut straight, 6);

    let dir = test_dir("train-resume");
    let mut first = trainer(6);
    steps(&mut first, 3);
    let ckpt = save_checkpoint(&dir, &first, &settings()).unwrap();
    drop(first);
    let c = load_checkpoint::<f32>(&ckpt).unwrap();
    assert_eq!(c.state.iteration, 3);
    assert_eq!(c.options, options(6));
    assert_eq!(c.setting("sample"), Some("brick.png"));
    let mut second = Trainer::resume(c.generator, loss(132).unwrap(), c.options, c.state).unwrap();
    steps(&mut second, 3);
    assert!(second.finished());
    assert_eq!(second.generator().params(), straight.generator().params());
    assert_eq!(second.generator().running(), straight.generator().running());
    assert_eq!(second.state(), straight.state());
}

#[test]
fn checkpoints_are_pruned_and_latest_names_the_newest() {
    let dir = test_dir("train-prune");
    let mut t = trainer(10);
    for _ in 0..4 {
        steps(&mut t, 1);
        save_checkpoint(&dir, &t, &settings()).unwrap();
    }
    let names: Vec<usize> = list_checkpoints(&dir)
        .unwrap()
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, vec![4, 3]);
    let latest = std::fs::read_to_string(dir.join("latest")).unwrap();
    assert_eq!(latest.trim(), "ckpt-000004");
    // Nothing else is left behind: no temporary or half-deleted folders.
    let hidden: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    // Saving the same iteration again replaces it.
    save_checkpoint(&dir, &t, &settings()).unwrap();
    assert_eq!(load_newest::<f32>(&dir).unwrap().state.iteration, 4);
    // Resuming from an earlier checkpoint abandons the later ones at its next save.
    let mut back = trainer(10);
    steps(&mut back, 2);
    save_checkpoint(&dir, &back, &settings()).unwrap();
    let names: Vec<usize> = list_checkpoints(&dir)
        .unwrap()
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(names, vec![2]);
}

fn two_checkpoints(tag: &str) -> std::path::PathBuf {
    let dir = test_dir(tag);
    let mut t = trainer(10);
    steps(&mut t, 2);
    save_checkpoint(&dir, &t, &settings()).unwrap();
    steps(&mut t, 2);
    save_checkpoint(&dir, &t, &settings()).unwrap();
    dir
}

fn truncate(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

#[test]
fn a_damaged_newest_checkpoint_is_named_with_the_way_back() {
    let dir = two_checkpoints("train-damaged");
    truncate(&dir.join("ckpt-000004/adam_m.npy"));
    let e = load_newest::<f32>(&dir).unwrap_err().0;
    assert!(e.contains("ckpt-000004 is damaged"), "{e}");
    assert!(e.contains("adam_m.npy"), "{e}");
    assert!(
        e.contains("--resume-from") && e.contains("ckpt-000002"),
        "{e}"
    );
    // The previous one is really usable.
    let c = load_checkpoint::<f32>(&dir.join("ckpt-000002")).unwrap();
    assert_eq!(c.state.iteration, 2);

    // A missing tensor and a mangled state file are named too.
    std::fs::remove_file(dir.join("ckpt-000002/join0.conv1.weight.npy")).unwrap();
    let e = load_newest::<f32>(&dir).unwrap_err().0;
    assert!(e.contains("no sound earlier checkpoint"), "{e}");
    let e = load_checkpoint::<f32>(&dir.join("ckpt-000002"))
        .unwrap_err()
        .0;
    assert!(
        e.contains("missing") && e.contains("join0.conv1.weight.npy"),
        "{e}"
    );
    let state = dir.join("ckpt-000004/state.txt");
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, text.replace("adam_t = 4", "adam_t = four")).unwrap();
    let e = load_checkpoint::<f32>(&dir.join("ckpt-000004"))
        .unwrap_err()
        .0;
    assert!(e.contains("state.txt") && e.contains("adam_t"), "{e}");
}

#[test]
fn leftovers_of_an_interrupted_save_are_ignored() {
    let dir = two_checkpoints("train-leftover");
    // A save killed half way leaves only a hidden temporary folder.
    let partial = dir.join(".ckpt-000006.partial-12345");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("adam_m.npy"), b"half").unwrap();
    // A kill between the rename and the update of `latest` leaves `latest` behind.
    std::fs::write(dir.join("latest"), "ckpt-000002\n").unwrap();
    let c = load_newest::<f32>(&dir).unwrap();
    assert_eq!(c.state.iteration, 4);
}

#[test]
fn nothing_to_resume_is_said_plainly() {
    let dir = test_dir("train-empty");
    let e = load_newest::<f32>(&dir).unwrap_err().0;
    assert!(e.contains("holds no checkpoint"), "{e}");
    let e = load_newest::<f32>(&dir.join("nope")).unwrap_err().0;
    assert!(e.contains("does not exist"), "{e}");
}

#[test]
fn models_are_found_in_training_folders() {
    let dir = two_checkpoints("train-resolve");
    let (p, is_ckpt) = resolve_model(&dir).unwrap();
    assert!(is_ckpt && p.ends_with("ckpt-000004"), "{}", p.display());
    let t = trainer(1);
    save_model(&dir, t.generator(), "sample = x\n").unwrap();
    let (p, is_ckpt) = resolve_model(&dir).unwrap();
    assert!(!is_ckpt && p.ends_with("model"));
    assert_eq!(resolve_model(&p).unwrap().0, p);
    Generator::<f32>::load(&p).unwrap();
    let e = resolve_model(&test_dir("train-nomodel")).unwrap_err().0;
    assert!(e.contains("is not a trained model"), "{e}");
}

#[test]
fn training_lowers_the_loss_and_the_observer_can_stop() {
    // A higher rate than the other tests: the output starts as a flat mid-grey and has
    // to grow by many grey levels (see `output_to_rgb`).
    let mut o = options(40);
    o.schedule.lr = 0.5;
    o.schedule.decay_every = 0;
    let mut t = Trainer::new(generator(), loss(132).unwrap(), o).unwrap();
    let mut losses = Vec::new();
    let done = t
        .run(
            || unreachable!(),
            |r, _| {
                losses.push(r.terms.total);
                Ok(if r.iteration == 30 {
                    Control::Stop
                } else {
                    Control::Continue
                })
            },
        )
        .unwrap();
    assert!(!done);
    assert_eq!(t.iteration(), 30);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (early, late) = (mean(&losses[..5]), mean(&losses[25..]));
    assert!(late < 0.5 * early, "loss {early:e} → {late:e}");
}

#[test]
fn a_sample_smaller_than_the_receptive_field_is_refused() {
    let e = loss(100).unwrap_err().0;
    assert!(
        e.contains("relu5_1") && e.contains("at least 132 pixels") && e.contains("100×100"),
        "{e}"
    );
    assert!(loss(132).is_ok());
}

#[test]
fn inconsistent_trainer_parts_are_refused() {
    let stylize = Generator::<f32>::new(
        GeneratorConfig {
            scales: 3,
            branch_channels: 3,
            ..GeneratorConfig::stylization()
        },
        1,
    )
    .unwrap();
    let e = Trainer::new(stylize, loss(132).unwrap(), options(2))
        .err()
        .unwrap()
        .0;
    assert!(
        e.contains("stylisation generator needs a content + style loss"),
        "{e}"
    );
    let odd = TrainOptions {
        size: (18, 18),
        ..options(2)
    };
    let e = Trainer::new(generator(), loss(132).unwrap(), odd)
        .err()
        .unwrap()
        .0;
    assert!(e.contains("not a multiple of 4"), "{e}");
    let mut t = trainer(2);
    let c: Array4<f32> = Array4::zeros((2, 3, SIDE, SIDE));
    let e = t.step(Some(c.view())).unwrap_err().0;
    assert!(e.contains("takes no content"), "{e}");
}

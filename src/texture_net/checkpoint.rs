//! Checkpoints of a training run, and finding a trained model.
//!
//! A training folder (`model_dir`) holds
//!
//! ```text
//! model_dir/ckpt-000400/   generator (config.txt + one .npy per tensor, as Generator::save),
//!                          adam_m.npy, adam_v.npy, and state.txt (iteration, rng state,
//!                          Adam's step count, the run's options and settings)
//! model_dir/ckpt-000600/   the newest; the one before it is kept too
//! model_dir/latest         "ckpt-000600": the newest checkpoint's name
//! model_dir/model/         the final generator (written when the schedule ends)
//! ```
//!
//! **Crash safety.** A checkpoint is written into a hidden temporary folder
//! (`.ckpt-000600.partial-<pid>`) and renamed into place only when complete; `latest` is
//! replaced atomically after that; only then is the oldest checkpoint beyond the newest
//! two removed (renamed away first, so a half-deleted folder never carries a checkpoint's
//! name), along with any checkpoint newer than the one just written (left by a run
//! that was resumed from an earlier checkpoint) and temporary folders of killed runs. A run killed at any moment leaves the previous checkpoints intact, so it loses
//! at most the iterations since the last one. Resuming takes the highest-numbered
//! `ckpt-*` folder (not `latest`, which a kill between the rename and its update can
//! leave one behind); a leftover temporary folder is ignored.
//!
//! **Damage.** Loading a checkpoint checks every file (a missing or truncated `.npy`, a
//! shape from another architecture, Adam state of the wrong length, a mangled
//! `state.txt`); [`load_newest`] names the broken one and, if the previous checkpoint is
//! sound, says how to resume from it.

use super::config::parse_kv;
use super::generator::Generator;
use super::train::{Schedule, TrainOptions, TrainState, Trainer};
use crate::bail;
use crate::error::{Error, Result};
use crate::formats::files::{describe_io, write_atomic};
use crate::formats::npy::{read_f32, write_f32};
use crate::math::tensor::Real;
use ndarray::{ArrayViewD, IxDyn};
use std::path::{Path, PathBuf};

/// The state file inside a checkpoint.
pub const STATE_FILE: &str = "state.txt";
/// The file naming the newest checkpoint.
pub const LATEST_FILE: &str = "latest";
/// The final model's folder inside a training folder.
pub const MODEL_DIR: &str = "model";
/// Checkpoints kept (the newest and the one before it).
pub const KEEP: usize = 2;

const FORMAT: &str = "nst-train-state-1";

/// A loaded checkpoint.
#[derive(Clone, Debug)]
pub struct Checkpoint<T> {
    /// Its folder.
    pub dir: PathBuf,
    /// The generator, with its running statistics.
    pub generator: Generator<T>,
    /// Iteration, noise state and Adam's moments.
    pub state: TrainState<T>,
    /// The run's options as they were.
    pub options: TrainOptions,
    /// Further `key = value` settings the caller stored (sample, layers, …).
    pub settings: Vec<(String, String)>,
}

impl<T> Checkpoint<T> {
    /// A stored setting.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `ckpt-000400`.
pub fn checkpoint_name(iteration: usize) -> String {
    format!("ckpt-{iteration:06}")
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error(format!(
        "cannot {what} {}: {}",
        path.display(),
        describe_io(e)
    ))
}

/// The checkpoints in `model_dir`, newest (highest iteration) first.
pub fn list_checkpoints(model_dir: &Path) -> Result<Vec<(usize, PathBuf)>> {
    let rd = std::fs::read_dir(model_dir).map_err(|e| io_error("read folder", model_dir, &e))?;
    let mut found: Vec<(usize, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let it = name.strip_prefix("ckpt-")?.parse::<usize>().ok()?;
            e.path().is_dir().then(|| (it, e.path()))
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    Ok(found)
}

fn options_text(o: &TrainOptions) -> String {
    let s = &o.schedule;
    format!(
        "height = {}\nwidth = {}\nbatch = {}\nseed = {}\nnoise_scale = {}\nlr = {}\n\
         iterations = {}\ndecay_start = {}\ndecay_every = {}\ndecay_factor = {}\n",
        o.size.0,
        o.size.1,
        o.batch,
        o.seed,
        o.noise_scale,
        s.lr,
        s.iterations,
        s.decay_start,
        s.decay_every,
        s.decay_factor
    )
}

fn state_text<T: Real>(t: &Trainer<T>, settings: &[(String, String)]) -> String {
    let st = t.state();
    let mut s = format!(
        "# nst Texture Networks training state\nformat = {FORMAT}\niteration = {}\n\
         rng_state = {}\nadam_t = {}\ncurrent_lr = {}\nparameters = {}\n",
        st.iteration,
        st.rng_state,
        st.adam_t,
        t.options().schedule.lr_at(st.iteration.max(1)),
        t.generator().parameter_count()
    );
    s += &options_text(t.options());
    for (k, v) in settings {
        s += &format!("setting.{k} = {v}\n");
    }
    s
}

fn write_vec<T: Real>(path: &Path, v: &[T]) -> Result<()> {
    let data: Vec<f32> = v.iter().map(|x| x.f64() as f32).collect();
    let a = ArrayViewD::from_shape(IxDyn(&[data.len()]), &data).expect("1-d");
    write_f32(path, &a)
}

// ANCHOR: save_checkpoint
/// Write the trainer's state as `model_dir/ckpt-<iteration>/` (atomically: a temporary
/// folder renamed into place), point `latest` at it, and remove checkpoints older than
/// the newest [`KEEP`]. `settings` are stored beside the options for the caller.
pub fn save_checkpoint<T: Real>(
    model_dir: &Path,
    trainer: &Trainer<T>,
    settings: &[(String, String)],
) -> Result<PathBuf> {
    std::fs::create_dir_all(model_dir).map_err(|e| io_error("create folder", model_dir, &e))?;
    let name = checkpoint_name(trainer.iteration());
    let tmp = model_dir.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let st = trainer.state();
    trainer.generator().save(&tmp)?;
    write_vec(&tmp.join("adam_m.npy"), &st.adam_m)?;
    write_vec(&tmp.join("adam_v.npy"), &st.adam_v)?;
    write_atomic(
        &tmp.join(STATE_FILE),
        state_text(trainer, settings).as_bytes(),
    )?;
    let dest = model_dir.join(&name);
    replace_dir(&tmp, &dest)?;
    write_atomic(&model_dir.join(LATEST_FILE), format!("{name}\n").as_bytes())?;
    // Keep this checkpoint and the one before it. Any newer ones belong to a run that
    // was abandoned by resuming from an earlier checkpoint.
    let all = list_checkpoints(model_dir)?;
    let it = trainer.iteration();
    for (_, old) in all.iter().filter(|c| c.0 > it) {
        remove_dir(old);
    }
    for (_, old) in all.iter().filter(|c| c.0 <= it).skip(KEEP) {
        remove_dir(old);
    }
    remove_leftovers(model_dir);
    Ok(dest)
}
// ANCHOR_END: save_checkpoint

/// Rename the complete folder `tmp` to `dest`, moving an existing `dest` out of the way.
fn replace_dir(tmp: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        remove_dir(dest);
    }
    std::fs::rename(tmp, dest).map_err(|e| io_error("rename into place", dest, &e))
}

/// Rename a folder to a hidden name, then delete it: a deletion cut short leaves no
/// half-emptied folder under a checkpoint's name.
fn remove_dir(dir: &Path) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let trash = dir.with_file_name(format!(".{name}.trash-{}", std::process::id()));
    if std::fs::rename(dir, &trash).is_ok() {
        let _ = std::fs::remove_dir_all(&trash);
    }
}

/// Remove hidden temporary folders that a killed run left behind (`.ckpt-….partial-…`,
/// `.….trash-…`). One run writes to a training folder at a time, so none is in use.
fn remove_leftovers(model_dir: &Path) {
    let Ok(rd) = std::fs::read_dir(model_dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours =
            name.starts_with('.') && (name.contains(".partial-") || name.contains(".trash-"));
        if ours && e.path().is_dir() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Write the final generator as `model_dir/model/` (atomically, like a checkpoint), with
/// `settings` in `model_dir/model/training.txt` for the record.
pub fn save_model<T: Real>(
    model_dir: &Path,
    generator: &Generator<T>,
    settings: &str,
) -> Result<PathBuf> {
    std::fs::create_dir_all(model_dir).map_err(|e| io_error("create folder", model_dir, &e))?;
    let tmp = model_dir.join(format!(".{MODEL_DIR}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    generator.save(&tmp)?;
    write_atomic(&tmp.join("training.txt"), settings.as_bytes())?;
    let dest = model_dir.join(MODEL_DIR);
    replace_dir(&tmp, &dest)?;
    Ok(dest)
}

fn get<N: std::str::FromStr>(kv: &[(String, String)], key: &str) -> Result<N> {
    let Some((_, v)) = kv.iter().find(|(k, _)| k == key) else {
        bail!("missing key '{key}'");
    };
    v.parse()
        .map_err(|_| Error(format!("{key}: '{v}' is not a valid number")))
}

fn read_vec<T: Real>(path: &Path, len: usize) -> Result<Vec<T>> {
    let a = read_f32(path)?;
    if a.ndim() != 1 || (a.len() != len && !a.is_empty()) {
        bail!(
            "{}: holds {} values, the generator has {len} parameters (architecture mismatch)",
            path.display(),
            a.len()
        );
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::net::weights::check_finite(path, &name, &a)?;
    Ok(a.iter().map(|&x| T::of(f64::from(x))).collect())
}

// ANCHOR: load_checkpoint
/// Load a checkpoint folder, checking every file.
pub fn load_checkpoint<T: Real>(dir: &Path) -> Result<Checkpoint<T>> {
    let state_path = dir.join(STATE_FILE);
    let text =
        std::fs::read_to_string(&state_path).map_err(|e| io_error("read", &state_path, &e))?;
    let at = |e: Error| Error(format!("{}: {e}", state_path.display()));
    let kv = parse_kv(&text).map_err(at)?;
    let format: String = kv
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if format != FORMAT {
        return Err(at(Error(format!(
            "not a training state of format {FORMAT}"
        ))));
    }
    let generator = Generator::<T>::load(dir)?;
    let n = generator.parameter_count();
    let parameters: usize = get(&kv, "parameters").map_err(at)?;
    if parameters != n {
        return Err(at(Error(format!(
            "says {parameters} parameters, the generator beside it has {n}"
        ))));
    }
    let state = TrainState {
        iteration: get(&kv, "iteration").map_err(at)?,
        rng_state: get(&kv, "rng_state").map_err(at)?,
        adam_t: get(&kv, "adam_t").map_err(at)?,
        adam_m: read_vec(&dir.join("adam_m.npy"), n)?,
        adam_v: read_vec(&dir.join("adam_v.npy"), n)?,
    };
    if state.adam_m.len() != state.adam_v.len() || (state.adam_m.is_empty() != (state.adam_t == 0))
    {
        return Err(at(Error(format!(
            "Adam state is inconsistent: t = {}, m has {} values, v has {}",
            state.adam_t,
            state.adam_m.len(),
            state.adam_v.len()
        ))));
    }
    let options = TrainOptions {
        size: (
            get(&kv, "height").map_err(at)?,
            get(&kv, "width").map_err(at)?,
        ),
        batch: get(&kv, "batch").map_err(at)?,
        seed: get(&kv, "seed").map_err(at)?,
        noise_scale: get(&kv, "noise_scale").map_err(at)?,
        schedule: Schedule {
            lr: get(&kv, "lr").map_err(at)?,
            iterations: get(&kv, "iterations").map_err(at)?,
            decay_start: get(&kv, "decay_start").map_err(at)?,
            decay_every: get(&kv, "decay_every").map_err(at)?,
            decay_factor: get(&kv, "decay_factor").map_err(at)?,
        },
    };
    let settings = kv
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("setting.")?.to_string(), v.clone())))
        .collect();
    Ok(Checkpoint {
        dir: dir.to_path_buf(),
        generator,
        state,
        options,
        settings,
    })
}
// ANCHOR_END: load_checkpoint

/// Load the newest checkpoint in `model_dir`. If it is damaged, the error names it and
/// the newest sound one before it, with the flag that resumes from there.
pub fn load_newest<T: Real>(model_dir: &Path) -> Result<Checkpoint<T>> {
    if !model_dir.is_dir() {
        bail!(
            "{} does not exist: there is nothing to resume (start without --resume)",
            model_dir.display()
        );
    }
    let all = list_checkpoints(model_dir)?;
    let Some((_, newest)) = all.first() else {
        bail!(
            "{} holds no checkpoint (ckpt-NNNNNN folder): there is nothing to resume \
             (start without --resume)",
            model_dir.display()
        );
    };
    let err = match load_checkpoint(newest) {
        Ok(c) => return Ok(c),
        Err(e) => e,
    };
    let fallback = all
        .iter()
        .skip(1)
        .find(|(_, d)| load_checkpoint::<T>(d).is_ok());
    let advice = match fallback {
        Some((_, d)) => format!(
            "the previous checkpoint {} is sound: resume from it with --resume-from {}",
            d.display(),
            d.display()
        ),
        None => "there is no sound earlier checkpoint".into(),
    };
    bail!(
        "checkpoint {} is damaged ({err}); {advice}",
        newest.display()
    )
}

/// The generator folder a `MODEL` argument means: a generator folder itself (it has
/// `config.txt`), a training folder's final `model/`, or, while no final model exists,
/// its newest checkpoint (via `latest`). The flag tells whether it is a checkpoint.
pub fn resolve_model(path: &Path) -> Result<(PathBuf, bool)> {
    use super::save::CONFIG_FILE;
    if path.join(CONFIG_FILE).is_file() {
        return Ok((path.to_path_buf(), false));
    }
    let model = path.join(MODEL_DIR);
    if model.join(CONFIG_FILE).is_file() {
        return Ok((model, false));
    }
    let latest = path.join(LATEST_FILE);
    if let Ok(name) = std::fs::read_to_string(&latest) {
        let ckpt = path.join(name.trim());
        if ckpt.join(CONFIG_FILE).is_file() {
            return Ok((ckpt, true));
        }
        bail!(
            "{} names checkpoint '{}', which has no {CONFIG_FILE}",
            latest.display(),
            name.trim()
        );
    }
    if !path.exists() {
        bail!("model {} does not exist", path.display());
    }
    bail!(
        "{} is not a trained model: expected {CONFIG_FILE} (a generator folder), \
         {MODEL_DIR}/{CONFIG_FILE} or {LATEST_FILE} (a training folder)",
        path.display()
    )
}

//! Save a generator to a folder and load it back.
//!
//! The folder holds one `float32` `.npy` file per tensor, named after it
//! (`branch0.conv0.weight.npy`, `join1.in_norm.gamma.npy`, `branch0.norm0.running_var.npy`,
//! …), and `config.txt`, the [`GeneratorConfig`] in `key = value` form plus the parameter
//! count. Every file is written atomically (temporary file, then rename), and
//! `config.txt` last: a folder whose saving was interrupted has no new config, so it is
//! never mistaken for a complete one — it either still holds the previous complete save
//! or fails to load with a message naming what is missing.
//!
//! Loading rebuilds the architecture from `config.txt` and then requires every tensor
//! of that architecture, with exactly its shape: a missing file or a shape from some
//! other configuration is reported by name.

use super::config::GeneratorConfig;
use super::generator::Generator;
use super::layout::TensorSlot;
use crate::error::{Error, Result};
use crate::formats::files::{describe_io, write_atomic};
use crate::formats::npy::{read_f32, shape_str, write_f32};
use crate::math::tensor::Real;
use ndarray::{ArrayViewD, IxDyn};
use std::path::Path;

/// Name of the configuration file in a saved generator's folder.
pub const CONFIG_FILE: &str = "config.txt";

impl<T: Real> Generator<T> {
    /// Write the configuration, parameters and running statistics into `dir` (created if
    /// needed). Values are stored as `float32`, the precision the generator trains in.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error(format!(
                "cannot create folder {}: {}",
                dir.display(),
                describe_io(&e)
            ))
        })?;
        let groups = [
            (self.param_slots(), self.params()),
            (self.running_slots(), self.running()),
        ];
        for (slots, values) in groups {
            for slot in slots {
                let data: Vec<f32> = values[slot.range()]
                    .iter()
                    .map(|v| v.f64() as f32)
                    .collect();
                let a = ArrayViewD::from_shape(IxDyn(&slot.shape), &data).expect("slot sized");
                write_f32(&dir.join(format!("{}.npy", slot.name)), &a)?;
            }
        }
        let text = format!(
            "{}parameters = {}\n",
            self.config().to_text(),
            self.parameter_count()
        );
        write_atomic(&dir.join(CONFIG_FILE), text.as_bytes())
    }

    /// Load a generator saved by [`Generator::save`].
    pub fn load(dir: &Path) -> Result<Self> {
        let cfg_path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&cfg_path).map_err(|e| {
            Error(format!(
                "cannot read {}: {} (a saved generator folder holds {CONFIG_FILE} and one .npy per tensor)",
                cfg_path.display(),
                describe_io(&e)
            ))
        })?;
        let at = |e: Error| Error(format!("{}: {e}", cfg_path.display()));
        let (config, extra) = GeneratorConfig::from_text(&text).map_err(at)?;
        let mut g = Generator::<T>::zeroed(config)?;
        for (key, value) in extra {
            match key.as_str() {
                "parameters" if value == g.parameter_count().to_string() => {}
                "parameters" => {
                    return Err(at(Error(format!(
                        "says {value} parameters, but its configuration has {} \
                         (architecture mismatch)",
                        g.parameter_count()
                    ))))
                }
                _ => return Err(at(Error(format!("unknown key '{key}'")))),
            }
        }
        check_no_foreign_statistics(dir, &g)?;
        let slots = g.param_slots().to_vec();
        read_slots(dir, &slots, g.params_mut())?;
        let slots = g.running_slots().to_vec();
        read_slots(dir, &slots, g.running_mut())?;
        Ok(g)
    }
}

// ANCHOR: foreign_statistics
/// Batch norm leaves its running statistics beside the weights
/// (`….running_mean.npy`, `….running_var.npy`); instance norm has none. Weights trained
/// under batch norm depend on those statistics (the network never saw per-picture
/// normalisation), so a folder that holds them while `config.txt` says `norm = instance`
/// is a mismatch, not a model: refuse it rather than generate from the wrong network.
fn check_no_foreign_statistics<T: Real>(dir: &Path, g: &Generator<T>) -> Result<()> {
    if !g.running_slots().is_empty() {
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut stats: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".running_mean.npy") || n.ends_with(".running_var.npy"))
        .collect();
    stats.sort();
    if let Some(first) = stats.first() {
        return Err(Error(format!(
            "{}: {CONFIG_FILE} says norm = {}, but the folder holds {} batch-norm running \
             statistic(s) ({first}, …): these weights were trained with batch norm \
             (architecture mismatch)",
            dir.display(),
            g.config().norm.name(),
            stats.len()
        )));
    }
    Ok(())
}
// ANCHOR_END: foreign_statistics

/// Fill `values` from `<dir>/<slot name>.npy` for every slot, checking each shape.
fn read_slots<T: Real>(dir: &Path, slots: &[TensorSlot], values: &mut [T]) -> Result<()> {
    for slot in slots {
        let path = dir.join(format!("{}.npy", slot.name));
        if !path.exists() {
            return Err(Error(format!(
                "missing {} (the configuration in {} needs tensor '{}' of shape {})",
                path.display(),
                CONFIG_FILE,
                slot.name,
                shape_str(&slot.shape)
            )));
        }
        let a = read_f32(&path)?;
        if a.shape() != slot.shape.as_slice() {
            return Err(Error(format!(
                "{}: shape is {}, but the configuration in {} needs {} (architecture mismatch)",
                path.display(),
                shape_str(a.shape()),
                CONFIG_FILE,
                shape_str(&slot.shape)
            )));
        }
        crate::net::weights::check_finite(&path, &slot.name, &a)?;
        if slot.name.ends_with("running_var") {
            if let Some(v) = a.iter().find(|v| **v < 0.0) {
                return Err(Error(format!(
                    "{}: tensor `{}` holds a negative variance ({v}); the weights are damaged",
                    path.display(),
                    slot.name
                )));
            }
        }
        for (v, &x) in values[slot.range()].iter_mut().zip(a.iter()) {
            *v = T::of(f64::from(x));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture_net::config::NormKind;
    use crate::texture_net::GeneratorConfig;

    fn small(norm: NormKind) -> GeneratorConfig {
        GeneratorConfig {
            scales: 2,
            branch_channels: 2,
            norm,
            ..GeneratorConfig::texture()
        }
    }

    fn saved(tag: &str, norm: NormKind) -> std::path::PathBuf {
        let dir = crate::formats::files::test_dir(tag);
        Generator::<f32>::new(small(norm), 1)
            .unwrap()
            .save(&dir)
            .unwrap();
        Generator::<f32>::load(&dir).unwrap();
        dir
    }

    #[test]
    fn non_finite_weights_are_refused_by_name() {
        let dir = saved("gen-nan", NormKind::Batch);
        let g = Generator::<f32>::load(&dir).unwrap();
        let slot = g.param_slots()[0].clone();
        let mut values: Vec<f32> = vec![0.5; slot.range().len()];
        values[3] = f32::NAN;
        let a = ndarray::ArrayD::from_shape_vec(IxDyn(&slot.shape), values).unwrap();
        write_f32(&dir.join(format!("{}.npy", slot.name)), &a.view()).unwrap();
        let e = Generator::<f32>::load(&dir).unwrap_err().0;
        assert!(
            e.contains(&format!("tensor `{}`", slot.name)) && e.contains("non-finite"),
            "{e}"
        );
    }

    #[test]
    fn negative_running_variance_is_refused() {
        let dir = saved("gen-var", NormKind::Batch);
        let g = Generator::<f32>::load(&dir).unwrap();
        let slot = g
            .running_slots()
            .iter()
            .find(|s| s.name.ends_with("running_var"))
            .unwrap()
            .clone();
        let a = ndarray::ArrayD::from_elem(IxDyn(&slot.shape), -1.0f32);
        write_f32(&dir.join(format!("{}.npy", slot.name)), &a.view()).unwrap();
        let e = Generator::<f32>::load(&dir).unwrap_err().0;
        assert!(e.contains("negative variance"), "{e}");
    }

    #[test]
    fn instance_config_over_batch_weights_is_refused() {
        let dir = saved("gen-arch", NormKind::Batch);
        let cfg = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&cfg).unwrap();
        std::fs::write(&cfg, text.replace("norm = batch", "norm = instance")).unwrap();
        let e = Generator::<f32>::load(&dir).unwrap_err().0;
        assert!(
            e.contains("norm = instance") && e.contains("trained with batch norm"),
            "{e}"
        );
        // A real instance-norm model still loads.
        saved("gen-inst", NormKind::Instance);
    }
}

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
use crate::files::{describe_io, write_atomic};
use crate::npy::{read_f32, shape_str, write_f32};
use crate::tensor::Real;
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
        let slots = g.param_slots().to_vec();
        read_slots(dir, &slots, g.params_mut())?;
        let slots = g.running_slots().to_vec();
        read_slots(dir, &slots, g.running_mut())?;
        Ok(g)
    }
}

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
        for (v, &x) in values[slot.range()].iter_mut().zip(a.iter()) {
            *v = T::of(f64::from(x));
        }
    }
    Ok(())
}

//! Texture Networks (Ulyanov, Lebedev, Vedaldi & Lempitsky 2016): a small feed-forward
//! generator trained, against the frozen VGG's Gram-matrix loss, to turn noise (and, for
//! stylisation, a content picture) into a texture sample in one pass.
//!
//! * [`config`]: every architectural choice as a field, and its text form;
//! * [`generator`]: the multi-scale network, its forward pass (train or inference mode)
//!   and its hand-written backward pass to every parameter;
//! * [`inputs`]: the noise (and content) pyramids it eats;
//! * [`save`]: weights and config to a folder of `.npy` files and back;
//! * [`train`]: the training loss through the frozen VGG, the schedule, and the
//!   [`Trainer`] that runs Adam on the generator's hand-derived gradient;
//! * [`sample`]: inference — textures from noise, stylised pictures;
//! * [`diversity`]: are a generator's samples different pictures or one picture?
//! * [`tiles`]: large pictures tile by tile, with the same result and bounded memory;
//! * [`checkpoint`]: crash-safe checkpoints of a run, resuming, and finding a model.

pub mod checkpoint;
pub mod config;
pub mod diversity;
pub mod generator;
pub mod inputs;
pub mod layout;
pub mod sample;
pub mod save;
pub mod tiles;
pub mod train;

pub use config::{GeneratorConfig, NormKind};
pub use generator::{Forward, Generator, Gradients, Mode};
pub use inputs::{noise_inputs, stylization_inputs};
pub use layout::TensorSlot;
pub use sample::{
    pictures, sample_textures, sample_textures_with_progress, stylize, stylize_with_progress,
};
pub use tiles::{generate_tiled, generation_bytes};
pub use train::{
    output_to_rgb, Schedule, StepReport, TrainLoss, TrainOptions, TrainState, Trainer,
};

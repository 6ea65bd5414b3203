//! The networks (book chapter 3): VGG16/VGG19 with named taps and a backward walk, and
//! the weight folders they load, with each weight set's preprocessing convention.

pub mod vgg;
pub mod weights;

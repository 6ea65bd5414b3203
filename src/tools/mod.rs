//! Tools around the computation (book chapters 3 and 11): memory estimates and plans
//! made before a run, benchmarks, and the pictures of networks and ideas.

pub mod bench;
pub mod memory;
pub mod viz;

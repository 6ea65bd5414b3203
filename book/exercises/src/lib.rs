//! # Exercises for the nst book, graded by nst's own checks
//!
//! Each exercise is one file in `src/exercises/`: a function's signature, a comment
//! pointing to the book section that derives it, and `todo!()`. Replace the `todo!()`
//! with your code, then run
//!
//! ```sh
//! bash book/exercises/check.sh                                  # the progress table
//! cargo test --manifest-path book/exercises/Cargo.toml ex02     # one exercise, with its message
//! ```
//!
//! The graders (`src/grade/`) run the same finite-difference, adjoint and reference
//! checks the library's own tests use, and say where your answer differs and what the
//! usual mistake is. Reference solutions are in `src/solutions/`, swapped in by
//! `--features solutions`. Solve an exercise before you open its solution.

pub mod grade;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex01_im2col.rs"]
pub mod ex01_im2col;
#[cfg(feature = "solutions")]
#[path = "solutions/ex01_im2col.rs"]
pub mod ex01_im2col;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex02_relu_backward.rs"]
pub mod ex02_relu_backward;
#[cfg(feature = "solutions")]
#[path = "solutions/ex02_relu_backward.rs"]
pub mod ex02_relu_backward;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex03_maxpool_backward.rs"]
pub mod ex03_maxpool_backward;
#[cfg(feature = "solutions")]
#[path = "solutions/ex03_maxpool_backward.rs"]
pub mod ex03_maxpool_backward;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex04_col2im.rs"]
pub mod ex04_col2im;
#[cfg(feature = "solutions")]
#[path = "solutions/ex04_col2im.rs"]
pub mod ex04_col2im;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex05_conv_input_grad.rs"]
pub mod ex05_conv_input_grad;
#[cfg(feature = "solutions")]
#[path = "solutions/ex05_conv_input_grad.rs"]
pub mod ex05_conv_input_grad;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex06_conv_weight_grad.rs"]
pub mod ex06_conv_weight_grad;
#[cfg(feature = "solutions")]
#[path = "solutions/ex06_conv_weight_grad.rs"]
pub mod ex06_conv_weight_grad;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex07_content_grad.rs"]
pub mod ex07_content_grad;
#[cfg(feature = "solutions")]
#[path = "solutions/ex07_content_grad.rs"]
pub mod ex07_content_grad;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex08_gram.rs"]
pub mod ex08_gram;
#[cfg(feature = "solutions")]
#[path = "solutions/ex08_gram.rs"]
pub mod ex08_gram;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex09_style_grad.rs"]
pub mod ex09_style_grad;
#[cfg(feature = "solutions")]
#[path = "solutions/ex09_style_grad.rs"]
pub mod ex09_style_grad;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex10_tv_grad.rs"]
pub mod ex10_tv_grad;
#[cfg(feature = "solutions")]
#[path = "solutions/ex10_tv_grad.rs"]
pub mod ex10_tv_grad;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex11_adam_step.rs"]
pub mod ex11_adam_step;
#[cfg(feature = "solutions")]
#[path = "solutions/ex11_adam_step.rs"]
pub mod ex11_adam_step;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex12_two_loop.rs"]
pub mod ex12_two_loop;
#[cfg(feature = "solutions")]
#[path = "solutions/ex12_two_loop.rs"]
pub mod ex12_two_loop;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex13_batchnorm_backward.rs"]
pub mod ex13_batchnorm_backward;
#[cfg(feature = "solutions")]
#[path = "solutions/ex13_batchnorm_backward.rs"]
pub mod ex13_batchnorm_backward;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex14_crc_mask.rs"]
pub mod ex14_crc_mask;
#[cfg(feature = "solutions")]
#[path = "solutions/ex14_crc_mask.rs"]
pub mod ex14_crc_mask;

#[cfg(not(feature = "solutions"))]
#[path = "exercises/ex15_winograd.rs"]
pub mod ex15_winograd;
#[cfg(feature = "solutions")]
#[path = "solutions/ex15_winograd.rs"]
pub mod ex15_winograd;

/// One exercise: where it is, which chapter it belongs to, how it is graded.
pub struct Exercise {
    /// Module and file name (`ex02_relu_backward`), also the test's name.
    pub id: &'static str,
    /// The book chapter.
    pub chapter: u32,
    /// The section of that chapter that derives it.
    pub section: &'static str,
    /// The section's file and anchor under `book/src/`.
    pub link: &'static str,
    /// The grader.
    pub grade: fn() -> grade::Grade,
}

/// Every exercise, in the book's order.
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        id: "ex01_im2col",
        chapter: 2,
        section: "im2col: convolution as one matrix product",
        link: "ch02-convolution.md#im2col-convolution-as-one-matrix-product",
        grade: grade::checks::ex01_im2col,
    },
    Exercise {
        id: "ex02_relu_backward",
        chapter: 4,
        section: "ReLU",
        link: "ch04-backprop-by-hand.md#relu",
        grade: grade::checks::ex02_relu_backward,
    },
    Exercise {
        id: "ex03_maxpool_backward",
        chapter: 4,
        section: "Pooling",
        link: "ch04-backprop-by-hand.md#pooling",
        grade: grade::checks::ex03_maxpool_backward,
    },
    Exercise {
        id: "ex04_col2im",
        chapter: 4,
        section: "Convolution",
        link: "ch04-backprop-by-hand.md#convolution",
        grade: grade::checks::ex04_col2im,
    },
    Exercise {
        id: "ex05_conv_input_grad",
        chapter: 4,
        section: "Convolution",
        link: "ch04-backprop-by-hand.md#convolution",
        grade: grade::checks::ex05_conv_input_grad,
    },
    Exercise {
        id: "ex06_conv_weight_grad",
        chapter: 4,
        section: "Convolution",
        link: "ch04-backprop-by-hand.md#convolution",
        grade: grade::checks::ex06_conv_weight_grad,
    },
    Exercise {
        id: "ex07_content_grad",
        chapter: 5,
        section: "The F > 0 mask belongs to the ReLU",
        link: "ch05-content-representation.md#the-f--0-mask-belongs-to-the-relu",
        grade: grade::checks::ex07_content_grad,
    },
    Exercise {
        id: "ex08_gram",
        chapter: 6,
        section: "The Gram matrix",
        link: "ch06-style-representation.md#the-gram-matrix",
        grade: grade::checks::ex08_gram,
    },
    Exercise {
        id: "ex09_style_grad",
        chapter: 6,
        section: "Its gradient, step by step",
        link: "ch06-style-representation.md#its-gradient-step-by-step",
        grade: grade::checks::ex09_style_grad,
    },
    Exercise {
        id: "ex10_tv_grad",
        chapter: 7,
        section: "Smoothness: total variation",
        link: "ch07-style-transfer.md#smoothness-total-variation",
        grade: grade::checks::ex10_tv_grad,
    },
    Exercise {
        id: "ex11_adam_step",
        chapter: 7,
        section: "Adam",
        link: "ch07-style-transfer.md#adam",
        grade: grade::checks::ex11_adam_step,
    },
    Exercise {
        id: "ex12_two_loop",
        chapter: 7,
        section: "L-BFGS",
        link: "ch07-style-transfer.md#l-bfgs",
        grade: grade::checks::ex12_two_loop,
    },
    Exercise {
        id: "ex13_batchnorm_backward",
        chapter: 9,
        section: "The batch-norm backward pass, step by step",
        link: "ch09-texture-networks.md#the-batch-norm-backward-pass-step-by-step",
        grade: grade::checks::ex13_batchnorm_backward,
    },
    Exercise {
        id: "ex14_crc_mask",
        chapter: 10,
        section: "CRC-32C",
        link: "ch10-datasets.md#crc-32c",
        grade: grade::checks::ex14_crc_mask,
    },
    Exercise {
        id: "ex15_winograd",
        chapter: 11,
        section: "Fewer multiplications: Winograd",
        link: "ch11-making-it-fast.md#fewer-multiplications-winograd",
        grade: grade::checks::ex15_winograd,
    },
];

/// The exercise called `id`.
pub fn exercise(id: &str) -> Option<&'static Exercise> {
    EXERCISES.iter().find(|e| e.id == id)
}

/// Grade exercise `id`; on failure, the message a learner reads.
pub fn report(id: &str) -> Result<(), String> {
    let e = exercise(id).unwrap_or_else(|| panic!("no exercise called {id}"));
    (e.grade)().map_err(|f| {
        let where_ = format!(
            "book/exercises/src/exercises/{}.rs (book chapter {}, \"{}\": book/src/{})",
            e.id, e.chapter, e.section, e.link
        );
        match f {
            grade::Failure::NotDone => format!("{}: not done yet — write it in {where_}", e.id),
            grade::Failure::Wrong(m) => format!("{}: {m}\n  (exercise: {where_})", e.id),
        }
    })
}

/// Parameters of [`ex11_adam_step`]: torch's defaults.
pub const ADAM_BETA1: f64 = 0.9;
/// Decay of the second-moment average.
pub const ADAM_BETA2: f64 = 0.999;
/// Added to `√v̂`.
pub const ADAM_EPS: f64 = 1e-8;

/// Adam's state for [`ex11_adam_step`]: first and second moments, steps taken.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamState {
    /// First moments, one per parameter (zeros before the first step).
    pub m: Vec<f64>,
    /// Second moments, one per parameter (zeros before the first step).
    pub v: Vec<f64>,
    /// Steps taken so far (0 before the first step).
    pub t: u64,
}

impl AdamState {
    /// The state before the first step, for `n` parameters.
    pub fn new(n: usize) -> Self {
        AdamState {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }
}

//! Portable loops compiled a second time for wider vector instructions, and the copy
//! chosen at run time.
//!
//! The default build targets its architecture's baseline (on x86-64, SSE2: 128-bit
//! registers, 16 of them), so an operation on eight `f32` lanes, as the Winograd
//! transforms do, is two instructions and a 6×6 patch of lanes spills to the stack.
//! [`wide`] runs a closure whose body the compiler has compiled twice: as usual, and
//! inside a function with AVX2 and FMA enabled (256-bit registers: eight lanes in one).
//! The copy for AVX2 runs when the CPU has both; anywhere else, the usual one.
//!
//! The Rust is the same and so are the results, bit for bit: the compiler never fuses a
//! multiplication and an addition into an FMA, nor reorders floating-point arithmetic,
//! unless the code asks (`mul_add`); enabling FMA only makes the instruction available.
//! The Winograd layers' test `wide_and_plain_agree_bit_for_bit` checks this.
//!
//! Only closures marked `#[inline(always)]`, calling functions marked the same way, are
//! compiled into the wide copy: anything the compiler leaves as a call runs the baseline
//! code (correct, not faster).

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether [`wide`] may use the wide copy (see [`allow_wide`]).
static ALLOWED: AtomicBool = AtomicBool::new(true);

/// Let [`wide`] use the wide copy where the CPU has it (`true`, the default), or never
/// (`false`): for the test that compares the two copies, and for timing them against each
/// other. Process-wide; since both copies give the same results, flipping it while other
/// work runs changes nothing but speed.
pub fn allow_wide(allowed: bool) {
    ALLOWED.store(allowed, Ordering::Relaxed);
}

/// Does this CPU have AVX2 and FMA? Cached by the standard library after the first call.
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `f()`, compiled for AVX2 + FMA when the CPU has them ([`has_avx2`]) and
/// [`allow_wide`] has not turned it off, else as usual.
/// Mark the closure `#[inline(always)]` (see the module documentation).
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if ALLOWED.load(Ordering::Relaxed) && has_avx2() {
        // SAFETY: `avx2_fma` may only run on a CPU with AVX2 and FMA, checked just above.
        return unsafe { avx2_fma(f) };
    }
    f()
}

/// `f()`, with `f` inlined into a function compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_fma<R>(f: impl FnOnce() -> R) -> R {
    f()
}

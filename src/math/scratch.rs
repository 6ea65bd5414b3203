//! Scratch memory kept from call to call within a forward pass.
//!
//! A Winograd layer that works in blocks of tiles holds the block's transformed tiles in
//! two buffers, V and M (up to [`BLOCK_VALUES`](crate::layers::winograd::BLOCK_VALUES)
//! values together, 16 MB in `f32`). Allocated zeroed on every call, they would cost a
//! pass over 16 MB in one thread while the other cores wait, and VGG16 has seven such
//! layers in each direction. [`scratch`] hands out a buffer kept from an
//! earlier call instead: its values are whatever that call left, so the caller must write
//! every value before reading it (the Winograd phases do: the transforms and the
//! products write their whole outputs).
//!
//! Buffers are kept only while a [`KeepScratch`] guard is alive (`Vgg::forward` holds one
//! for the whole pass): one buffer per scalar type, the largest returned. When the last
//! guard goes, so does the buffer, and the allocator can reuse its memory for other
//! tensors. Measured on `nst stylize` at 512×384, 6 iterations, peak RSS: 647 MB with the
//! buffer kept for good, 638 MB kept through backward passes too, 614 MB kept in forward
//! passes only, against 616–620 MB never kept. Keeping saved a forward pass 0–9 % of its
//! time and made no measurable difference to a backward pass (0.94–1.06, in-process
//! alternating), which would hold the buffer through its last layers, the narrow ones that
//! do not use it, while their large gradients are allocated. A call that finds no
//! buffer (the first of a pass, one running beside another, or one outside any pass)
//! allocates its own. In the crate's unit tests every buffer handed out is filled with NaN
//! first, so that a value read before it was written turns the result into NaN and fails
//! the comparison with the reference.

use crate::math::tensor::Real;
use std::any::Any;
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

/// How many [`KeepScratch`] guards are alive, and the kept buffers: at most one per scalar
/// type (a `Vec<f32>` or a `Vec<f64>`), none when no guard is.
static KEPT: Mutex<(usize, Vec<Box<dyn Any + Send>>)> = Mutex::new((0, Vec::new()));

fn kept() -> std::sync::MutexGuard<'static, (usize, Vec<Box<dyn Any + Send>>)> {
    KEPT.lock().unwrap_or_else(|e| e.into_inner())
}

/// While one of these is alive, scratch buffers given back are kept for the next call.
pub(crate) struct KeepScratch(());

/// Keep scratch buffers until the guard is dropped (guards nest).
pub(crate) fn keep_scratch() -> KeepScratch {
    kept().0 += 1;
    KeepScratch(())
}

impl Drop for KeepScratch {
    fn drop(&mut self) {
        let mut kept = kept();
        kept.0 -= 1;
        if kept.0 == 0 {
            kept.1.clear();
        }
    }
}

/// `len` values of scratch memory, with arbitrary contents; given back to be kept when
/// dropped.
pub(crate) struct Scratch<T: Real> {
    buf: Vec<T>,
}

/// Scratch memory for `len` values: the kept buffer if there is one (grown if needed),
/// else a new one. See the module documentation.
pub(crate) fn scratch<T: Real>(len: usize) -> Scratch<T> {
    let kept = {
        let kept = &mut kept().1;
        let at = kept.iter().position(|b| b.is::<Vec<T>>());
        at.map(|i| kept.swap_remove(i))
    };
    let mut buf = kept
        .and_then(|b| b.downcast::<Vec<T>>().ok())
        .map(|b| *b)
        .unwrap_or_default();
    if cfg!(test) {
        buf.clear();
        buf.resize(len, T::nan());
    } else {
        buf.resize(len, T::zero());
    }
    Scratch { buf }
}

impl<T: Real> Drop for Scratch<T> {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        let mut kept = kept();
        if kept.0 > 0 {
            keep(&mut kept.1, buf);
        }
    }
}

/// Keep `buf` unless a larger buffer of its type is kept already.
fn keep<T: Real>(kept: &mut Vec<Box<dyn Any + Send>>, buf: Vec<T>) {
    match kept.iter_mut().find_map(|b| b.downcast_mut::<Vec<T>>()) {
        Some(other) if other.capacity() >= buf.capacity() => {}
        Some(other) => *other = buf,
        None => kept.push(Box::new(buf)),
    }
}

impl<T: Real> Deref for Scratch<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf
    }
}

impl<T: Real> DerefMut for Scratch<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_has_the_length_asked_for_and_starts_as_nan_in_the_tests() {
        // Other tests take scratch at the same time, so which buffer comes back is not
        // fixed; what is: the length, and NaN in every value (a read before a write shows).
        for len in [5, 1000, 3, 0, 20_000] {
            let mut a = scratch::<f32>(len);
            let b = scratch::<f64>(len + 1);
            assert_eq!((a.len(), b.len()), (len, len + 1));
            assert!(a.iter().all(|v| v.is_nan()) && b.iter().all(|v| v.is_nan()));
            a.fill(1.0);
            drop(a);
            let c = scratch::<f32>(len);
            assert!(c.iter().all(|v| v.is_nan()));
        }
    }

    #[test]
    fn the_largest_buffer_of_each_type_is_kept() {
        let mut kept: Vec<Box<dyn Any + Send>> = Vec::new();
        let capacity = |kept: &Vec<Box<dyn Any + Send>>| {
            kept.iter()
                .find_map(|b| b.downcast_ref::<Vec<f64>>())
                .map(Vec::capacity)
        };
        keep(&mut kept, vec![0.0f64; 100]);
        keep(&mut kept, vec![0.0f64; 10]);
        assert_eq!(capacity(&kept), Some(100));
        keep(&mut kept, vec![0.0f32; 5]);
        keep(&mut kept, vec![0.0f64; 300]);
        assert_eq!(capacity(&kept), Some(300));
        assert_eq!(kept.len(), 2, "one buffer per type");
    }
}

//! Packed caches for the backward passes of ReLU and max pooling: a bit per element for
//! the mask `[x > 0]` ([`BitMask`]), two bits per output for the winner of a 2×2 window
//! ([`Switches`]).
//!
//! Backward needs only these facts, so the memory they take is what a forward pass with
//! `keep` holds beyond the activations it returns. For VGG16 to relu5_1 on an H×W
//! picture the ReLU masks hold `128 + 2·128/4 + 3·256/16 + 3·512/64 + 512/256 = 266`
//! values per pixel and the pooling switches `64/4 + 128/16 + 256/64 + 512/256 = 30`:
//! 296 bytes per pixel as bytes, 33.25 + 7.5 ≈ 41 as bits, 0.53 GB less at 1920×1080.
//!
//! A [`BitMask`] is laid out in the tensor's standard (row-major NCHW) order, 64
//! elements to a `u64` word, element `e` at bit `e % 64` of word `e / 64`. Building and
//! applying it walk the tensor's contiguous slice in rayon tasks of whole words
//! ([`WORDS_PER_TASK`] at a time), so no two tasks share a word and the inner loops over
//! a word's elements have fixed lengths; a view that is not contiguous takes a serial
//! path in the same element order.

use ndarray::{Array4, ArrayView4, ArrayViewMut4};
use rayon::prelude::*;

/// A 4-D shape, (N, C, H, W).
pub type Shape4 = (usize, usize, usize, usize);

/// Elements per word of a [`BitMask`].
const BITS: usize = 64;

/// Words per rayon task: 256 words are 16 K elements, 64 KB of `f32`.
pub const WORDS_PER_TASK: usize = 256;

/// One bit per element of an (N, C, H, W) tensor, in row-major order, 64 to a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitMask {
    dim: Shape4,
    words: Vec<u64>,
}

impl BitMask {
    /// Call `f` on every element of `x` (which it may change) and keep the bit it
    /// returns. In parallel over whole words when `x` is in standard layout.
    pub fn build<T: Send>(
        mut x: ArrayViewMut4<T>,
        f: impl Fn(&mut T) -> bool + Copy + Send + Sync,
    ) -> BitMask {
        let dim = x.dim();
        let mut words = vec![0u64; x.len().div_ceil(BITS)];
        if let Some(xs) = x.as_slice_mut() {
            xs.par_chunks_mut(BITS * WORDS_PER_TASK)
                .zip(words.par_chunks_mut(WORDS_PER_TASK))
                .for_each(|(xs, ws)| {
                    for (block, w) in xs.chunks_mut(BITS).zip(ws) {
                        *w = pack(block, f);
                    }
                });
        } else {
            for (e, v) in x.iter_mut().enumerate() {
                words[e / BITS] |= (f(v) as u64) << (e % BITS);
            }
        }
        BitMask { dim, words }
    }

    /// `[p]` for each element of a boolean array (a reference for tests).
    pub fn from_bools(a: ArrayView4<bool>) -> BitMask {
        let mut words = vec![0u64; a.len().div_ceil(BITS)];
        for (e, &m) in a.iter().enumerate() {
            words[e / BITS] |= (m as u64) << (e % BITS);
        }
        BitMask {
            dim: a.dim(),
            words,
        }
    }

    /// The mask unpacked, one `bool` per element.
    pub fn to_bools(&self) -> Array4<bool> {
        let mut e = 0;
        Array4::from_shape_simple_fn(self.dim, || {
            let m = self.bit(e);
            e += 1;
            m
        })
    }

    /// The shape of the tensor it masks.
    pub fn dim(&self) -> Shape4 {
        self.dim
    }

    /// The bit of element `[n, c, h, w]`.
    pub fn get(&self, [n, c, h, w]: [usize; 4]) -> bool {
        let (dn, dc, dh, dw) = self.dim;
        assert!(
            n < dn && c < dc && h < dh && w < dw,
            "index out of the mask's shape"
        );
        self.bit(((n * dc + c) * dh + h) * dw + w)
    }

    /// Bytes of the packed bits: ⌈elements / 64⌉ words of 8.
    pub fn bytes(&self) -> usize {
        8 * self.words.len()
    }

    fn bit(&self, e: usize) -> bool {
        (self.words[e / BITS] >> (e % BITS)) & 1 != 0
    }

    /// `f(d, bit)` for every element `d` of `d` (same shape as the mask).
    pub fn apply<T: Send>(
        &self,
        mut d: ArrayViewMut4<T>,
        f: impl Fn(&mut T, bool) + Copy + Send + Sync,
    ) {
        assert_eq!(d.dim(), self.dim, "gradient and mask shapes differ");
        if let Some(ds) = d.as_slice_mut() {
            ds.par_chunks_mut(BITS * WORDS_PER_TASK)
                .zip(self.words.par_chunks(WORDS_PER_TASK))
                .for_each(|(ds, ws)| {
                    for (block, &w) in ds.chunks_mut(BITS).zip(ws) {
                        unpack(block, w, f);
                    }
                });
        } else {
            for (e, v) in d.iter_mut().enumerate() {
                f(v, self.bit(e));
            }
        }
    }

    /// `f(dx, dy, bit)` for every pair of elements of `dx` and `dy` (both shaped like the
    /// mask).
    pub fn apply_zip<T: Copy + Send + Sync>(
        &self,
        mut dx: ArrayViewMut4<T>,
        dy: ArrayView4<T>,
        f: impl Fn(&mut T, T, bool) + Copy + Send + Sync,
    ) {
        assert_eq!(dx.dim(), self.dim, "gradient and mask shapes differ");
        assert_eq!(dy.dim(), self.dim, "gradient and mask shapes differ");
        if let (Some(ys), true) = (dy.as_slice(), dx.is_standard_layout()) {
            let xs = dx.as_slice_mut().expect("standard layout is one slice");
            xs.par_chunks_mut(BITS * WORDS_PER_TASK)
                .zip(ys.par_chunks(BITS * WORDS_PER_TASK))
                .zip(self.words.par_chunks(WORDS_PER_TASK))
                .for_each(|((xs, ys), ws)| {
                    for ((block, ys), &w) in xs.chunks_mut(BITS).zip(ys.chunks(BITS)).zip(ws) {
                        unpack_zip(block, ys, w, f);
                    }
                });
        } else {
            for (e, (v, &g)) in dx.iter_mut().zip(dy.iter()).enumerate() {
                f(v, g, self.bit(e));
            }
        }
    }
}

// The three functions below run over one word's elements. A full word (every one but a
// tensor's last) takes the array branch: two halves of 32 with fixed lengths, each
// against a `u32`, which the compiler unrolls and vectorises without bounds checks (with
// a `u64` shifted per element, building and applying the mask took 1.6–3.5 times as long
// on one thread).

/// Elements per half word.
const HALF: usize = BITS / 2;

/// The bits `f` returns for up to 64 elements, element `b` at bit `b`.
#[inline(always)]
fn pack<T>(block: &mut [T], f: impl Fn(&mut T) -> bool) -> u64 {
    let mut w = 0u64;
    match <&mut [T; BITS]>::try_from(&mut *block) {
        Ok(full) => {
            for (k, half) in full.chunks_exact_mut(HALF).enumerate() {
                let mut h = 0u32;
                for (b, v) in half.iter_mut().enumerate() {
                    h |= (f(v) as u32) << b;
                }
                w |= (h as u64) << (HALF * k);
            }
        }
        Err(_) => {
            for (b, v) in block.iter_mut().enumerate() {
                w |= (f(v) as u64) << b;
            }
        }
    }
    w
}

/// `f(element b, bit b of w)` for up to 64 elements.
#[inline(always)]
fn unpack<T>(block: &mut [T], w: u64, f: impl Fn(&mut T, bool)) {
    match <&mut [T; BITS]>::try_from(&mut *block) {
        Ok(full) => {
            for (k, half) in full.chunks_exact_mut(HALF).enumerate() {
                let h = (w >> (HALF * k)) as u32;
                for (b, v) in half.iter_mut().enumerate() {
                    f(v, (h >> b) & 1 != 0);
                }
            }
        }
        Err(_) => {
            for (b, v) in block.iter_mut().enumerate() {
                f(v, (w >> b) & 1 != 0);
            }
        }
    }
}

/// `f(element b of xs, element b of ys, bit b of w)` for up to 64 pairs.
#[inline(always)]
fn unpack_zip<T: Copy>(xs: &mut [T], ys: &[T], w: u64, f: impl Fn(&mut T, T, bool)) {
    match (
        <&mut [T; BITS]>::try_from(&mut *xs),
        <&[T; BITS]>::try_from(ys),
    ) {
        (Ok(full), Ok(gs)) => {
            let halves = full.chunks_exact_mut(HALF).zip(gs.chunks_exact(HALF));
            for (k, (half, gh)) in halves.enumerate() {
                let h = (w >> (HALF * k)) as u32;
                for (b, (v, &g)) in half.iter_mut().zip(gh).enumerate() {
                    f(v, g, (h >> b) & 1 != 0);
                }
            }
        }
        _ => {
            for (b, (v, &g)) in xs.iter_mut().zip(ys).enumerate() {
                f(v, g, (w >> b) & 1 != 0);
            }
        }
    }
}

/// Codes per word of [`Switches`].
const CODES: usize = 32;

/// The winner of every 2×2 window of a max pooling, `2·row + column` (0..4), two bits
/// per output, 32 to a `u64` word. Each (item, channel) plane starts a new word, so
/// planes can be written in parallel; within a plane the outputs are in row-major order,
/// output `p` at bits `2·(p % 32)` and up of the plane's word `p / 32`. (At most one
/// partly filled word per plane: 7×7 planes, the smallest VGG meets at 224 px, waste 15
/// of 64 codes; sides that are multiples of 32 waste none.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switches {
    dim: Shape4,
    per_plane: usize,
    words: Vec<u64>,
}

impl Switches {
    /// All zero (every winner the top-left input) for an output of shape `dim`.
    pub fn zeros(dim: Shape4) -> Switches {
        let (n, c, h, w) = dim;
        let per_plane = (h * w).div_ceil(CODES).max(1);
        Switches {
            dim,
            per_plane,
            words: vec![0; n * c * per_plane],
        }
    }

    /// The shape of the pooling's output.
    pub fn dim(&self) -> Shape4 {
        self.dim
    }

    /// Words per (item, channel) plane.
    pub fn words_per_plane(&self) -> usize {
        self.per_plane
    }

    /// All the words, plane after plane (item-major), [`Switches::words_per_plane`] each.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// All the words, mutable, for writing planes in parallel.
    pub fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// The words of plane `(n, c)`.
    pub fn plane(&self, n: usize, c: usize) -> &[u64] {
        let start = (n * self.dim.1 + c) * self.per_plane;
        &self.words[start..start + self.per_plane]
    }

    /// The code of output `[n, c, i, j]`.
    pub fn get(&self, [n, c, i, j]: [usize; 4]) -> u8 {
        let (dn, dc, dh, dw) = self.dim;
        assert!(
            n < dn && c < dc && i < dh && j < dw,
            "index out of the switches' shape"
        );
        let p = i * dw + j;
        ((self.plane(n, c)[p / CODES] >> (2 * (p % CODES))) & 3) as u8
    }

    /// The codes unpacked, one byte per output.
    pub fn to_array(&self) -> Array4<u8> {
        Array4::from_shape_fn(self.dim, |(n, c, i, j)| self.get([n, c, i, j]))
    }

    /// Bytes of the packed codes.
    pub fn bytes(&self) -> usize {
        8 * self.words.len()
    }
}

/// Writes a plane's codes in order into its words (which must start zeroed).
pub struct CodeWriter<'a> {
    words: &'a mut [u64],
    word: u64,
    pos: usize,
}

impl<'a> CodeWriter<'a> {
    /// Start at the first code of `words`.
    pub fn new(words: &'a mut [u64]) -> Self {
        CodeWriter {
            words,
            word: 0,
            pos: 0,
        }
    }

    /// Append `code` (0..4).
    #[inline(always)]
    pub fn push(&mut self, code: u8) {
        self.word |= ((code & 3) as u64) << (2 * (self.pos % CODES));
        self.pos += 1;
        if self.pos % CODES == 0 {
            self.words[self.pos / CODES - 1] = self.word;
            self.word = 0;
        }
    }
}

impl Drop for CodeWriter<'_> {
    /// Store the last, partly filled word.
    fn drop(&mut self) {
        if self.pos % CODES != 0 {
            self.words[self.pos / CODES] = self.word;
        }
    }
}

/// A plane's codes in order (with up to 31 padding zeros after the last).
pub fn codes(words: &[u64]) -> CodeReader<'_> {
    CodeReader {
        words: words.iter(),
        word: 0,
        left: 0,
    }
}

/// Reads a plane's codes in order ([`codes`]): a shift by 2 per code, a load per 32.
pub struct CodeReader<'a> {
    words: std::slice::Iter<'a, u64>,
    word: u64,
    left: u32,
}

impl Iterator for CodeReader<'_> {
    type Item = u8;

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        if self.left == 0 {
            self.word = *self.words.next()?;
            self.left = CODES as u32;
        }
        let k = (self.word & 3) as u8;
        self.word >>= 2;
        self.left -= 1;
        Some(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::rng::Rng;
    use ndarray::s;
    use proptest::prelude::*;

    fn bools(shape: Shape4, seed: u64) -> Array4<bool> {
        let mut rng = Rng::new(seed);
        let x: Array4<f64> = rng.uniform_array(shape, -1.0, 1.0);
        x.mapv(|v| v > 0.0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Built in parallel from a contiguous tensor, serially from a transposed one,
        /// or bit by bit: the same mask, element for element.
        #[test]
        fn every_build_gives_the_boolean_mask(
            n in 1usize..4, c in 1usize..9, h in 1usize..40, w in 1usize..40, seed: u64,
        ) {
            let reference = bools((n, c, h, w), seed);
            let mut x = reference.mapv(|m| if m { 1.0f32 } else { -1.0 });
            let packed = BitMask::build(x.view_mut(), |v| *v > 0.0);
            prop_assert_eq!(packed.to_bools(), reference.clone());
            prop_assert_eq!(&packed, &BitMask::from_bools(reference.view()));
            for (idx, &m) in reference.indexed_iter() {
                prop_assert_eq!(packed.get([idx.0, idx.1, idx.2, idx.3]), m);
            }
            // A non-contiguous view of the same values in the same logical order.
            let mut t = x.view().reversed_axes().as_standard_layout().into_owned();
            let mut back = t.view_mut().reversed_axes();
            let serial = BitMask::build(back.view_mut(), |v| *v > 0.0);
            prop_assert_eq!(&serial, &packed);
        }

        /// Applying the mask visits each element with its own bit, parallel or not.
        #[test]
        fn apply_and_apply_zip_see_each_elements_bit(
            n in 1usize..3, c in 1usize..7, h in 1usize..50, w in 1usize..50, seed: u64,
        ) {
            let reference = bools((n, c, h, w), seed);
            let mask = BitMask::from_bools(reference.view());
            let mut rng = Rng::new(seed ^ 1);
            let dy: Array4<f64> = rng.uniform_array((n, c, h, w), -1.0, 1.0);
            let expect = Array4::from_shape_fn(dy.dim(), |i| if reference[i] { dy[i] } else { 0.0 });
            let mut d = dy.clone();
            mask.apply(d.view_mut(), |v, m| if !m { *v = 0.0 });
            prop_assert_eq!(&d, &expect);
            let mut dx = Array4::<f64>::zeros(dy.raw_dim());
            mask.apply_zip(dx.view_mut(), dy.view(), |v, g, m| if m { *v += g });
            prop_assert_eq!(&dx, &expect);
            // Through views that are not contiguous.
            let mut t = dy.view().reversed_axes().as_standard_layout().into_owned();
            mask.apply(t.view_mut().reversed_axes(), |v, m| if !m { *v = 0.0 });
            prop_assert_eq!(&t.view().reversed_axes(), &expect.view());
            let mut dxt = Array4::<f64>::zeros((w, h, c, n));
            let dyt = dy.view().reversed_axes().as_standard_layout().into_owned();
            mask.apply_zip(dxt.view_mut().reversed_axes(), dyt.view().reversed_axes(), |v, g, m| if m { *v += g });
            prop_assert_eq!(&dxt.view().reversed_axes(), &expect.view());
        }

        /// Codes written in order read back in order, and `get` finds each.
        #[test]
        fn switches_read_back_what_was_written(
            n in 1usize..3, c in 1usize..5, h in 1usize..20, w in 1usize..20, seed: u64,
        ) {
            let mut rng = Rng::new(seed);
            let want: Array4<f64> = rng.uniform_array((n, c, h, w), 0.0, 4.0);
            let want = want.mapv(|v| (v as u8).min(3));
            let mut sw = Switches::zeros((n, c, h, w));
            let per = sw.words_per_plane();
            for (plane, words) in want
                .view()
                .into_shape_with_order((n * c, h, w))
                .unwrap()
                .outer_iter()
                .zip(sw.words_mut().chunks_mut(per))
            {
                let mut out = CodeWriter::new(words);
                plane.iter().for_each(|&k| out.push(k));
            }
            prop_assert_eq!(sw.to_array(), want.clone());
            for ni in 0..n {
                for ci in 0..c {
                    let read: Vec<u8> = codes(sw.plane(ni, ci)).take(h * w).collect();
                    let plane = want.slice(s![ni, ci, .., ..]);
                    prop_assert_eq!(read, plane.iter().copied().collect::<Vec<_>>());
                }
            }
            prop_assert_eq!(sw.bytes(), 8 * n * c * (h * w).div_ceil(32));
        }
    }

    #[test]
    fn a_mask_takes_a_bit_per_element() {
        let m = BitMask::from_bools(bools((2, 3, 7, 11), 5).view());
        assert_eq!(m.bytes(), 8 * (2 * 3 * 7 * 11usize).div_ceil(64));
        let big = BitMask::from_bools(Array4::from_elem((1, 64, 32, 32), true).view());
        assert_eq!(big.bytes(), 64 * 32 * 32 / 8);
    }

    #[test]
    fn a_transposed_tensor_takes_the_serial_path_to_the_same_mask() {
        let reference = bools((2, 3, 7, 11), 6);
        let mut t = reference
            .view()
            .reversed_axes()
            .mapv(|m| if m { 1.0 } else { -1.0 })
            .as_standard_layout()
            .into_owned();
        let view = t.view_mut().reversed_axes();
        assert!(!view.is_standard_layout());
        let packed = BitMask::build(view, |v: &mut f64| *v > 0.0);
        assert_eq!(packed.to_bools(), reference);
    }
}

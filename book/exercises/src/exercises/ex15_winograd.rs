//! Exercise 15: one tile of Winograd's F(2×2, 3×3), and its input gradient.
//!
//! Book: chapter 11, "Fewer multiplications: Winograd"
//! (book/src/ch11-making-it-fast.md#fewer-multiplications-winograd).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex15`.
//! The tile is compared with nst's direct convolution of the same 4×4 patch (no padding);
//! the input gradient with central differences of that convolution and by the adjoint
//! test `⟨Y(d), dY⟩ = ⟨d, d̄(dY)⟩`.
//!
//! The matrices `Bᵀ` (4×4), `G` (4×3) and `Aᵀ` (2×4) are in the book, and in
//! `nst::layers::winograd::WinogradTile::F2.matrices()` (as lists of rows) if you would
//! rather not type them.

/// The 2×2 outputs `Y[i][j] = Σ_{k,l} d[i+k][j+l]·g[k][l]` of a 3×3 correlation over the
/// 4×4 patch `d`, computed as `Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A`: 16 multiplications in the
/// element-wise product instead of 36.
pub fn winograd_f23_tile(d: [[f64; 4]; 4], g: [[f64; 3]; 3]) -> [[f64; 2]; 2] {
    let _ = (d, g);
    todo!()
}

/// The gradient `∂L/∂d` (4×4) of [`winograd_f23_tile`] with respect to the patch, given
/// `dy = ∂L/∂Y` (2×2): the transpose of each step, read right to left.
pub fn winograd_f23_tile_input_grad(g: [[f64; 3]; 3], dy: [[f64; 2]; 2]) -> [[f64; 4]; 4] {
    let _ = (g, dy);
    todo!()
}

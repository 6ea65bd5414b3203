//! Solution to exercise 15 (one Winograd F(2×2, 3×3) tile and its input gradient). Try
//! the exercise before reading this.
//!
//! Forward `Y = Aᵀ [U ⊙ V] A` with `U = G g Gᵀ`, `V = Bᵀ d B`; backward, each step's
//! transpose in reverse order: `dM = A dY Aᵀ`, `dV = U ⊙ dM`, `dd = B dV Bᵀ`.

const BT: [[f64; 4]; 4] = [
    [1.0, 0.0, -1.0, 0.0],
    [0.0, 1.0, 1.0, 0.0],
    [0.0, -1.0, 1.0, 0.0],
    [0.0, 1.0, 0.0, -1.0],
];
const G: [[f64; 3]; 4] = [
    [1.0, 0.0, 0.0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0.0, 0.0, 1.0],
];
const AT: [[f64; 4]; 2] = [[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, -1.0]];

/// `L · R` for fixed-size matrices.
fn mul<const R: usize, const K: usize, const C: usize>(
    l: &[[f64; K]; R],
    r: &[[f64; C]; K],
) -> [[f64; C]; R] {
    let mut out = [[0.0; C]; R];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, o) in row.iter_mut().enumerate() {
            *o = (0..K).map(|k| l[i][k] * r[k][j]).sum();
        }
    }
    out
}

fn t<const R: usize, const C: usize>(m: &[[f64; C]; R]) -> [[f64; R]; C] {
    let mut out = [[0.0; R]; C];
    for (i, row) in m.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            out[j][i] = v;
        }
    }
    out
}

/// `U = G g Gᵀ`, 4×4.
fn kernel_transform(g: &[[f64; 3]; 3]) -> [[f64; 4]; 4] {
    mul(&mul(&G, g), &t(&G))
}

pub fn winograd_f23_tile(d: [[f64; 4]; 4], g: [[f64; 3]; 3]) -> [[f64; 2]; 2] {
    let u = kernel_transform(&g);
    let mut m = mul(&mul(&BT, &d), &t(&BT)); // V = Bᵀ d B
    for (mr, ur) in m.iter_mut().zip(&u) {
        for (mv, uv) in mr.iter_mut().zip(ur) {
            *mv *= uv; // M = U ⊙ V: the 16 multiplications
        }
    }
    mul(&mul(&AT, &m), &t(&AT)) // Aᵀ M A
}

pub fn winograd_f23_tile_input_grad(g: [[f64; 3]; 3], dy: [[f64; 2]; 2]) -> [[f64; 4]; 4] {
    let u = kernel_transform(&g);
    let mut dm = mul(&mul(&t(&AT), &dy), &AT); // A dY Aᵀ
    for (mr, ur) in dm.iter_mut().zip(&u) {
        for (mv, uv) in mr.iter_mut().zip(ur) {
            *mv *= uv; // dV = U ⊙ dM
        }
    }
    mul(&mul(&t(&BT), &dm), &BT) // B dV Bᵀ
}

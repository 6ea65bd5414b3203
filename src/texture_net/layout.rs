//! Where each of the generator's tensors lives in its flat parameter vector.
//!
//! All trainable numbers (convolution weights and biases, normalisation γ and β) sit in
//! one `Vec`, so that Adam can update them as one slice and the gradient is one `Vec` of
//! the same layout. Each layer keeps offsets into it; a convolution's bias follows its
//! weights, a norm's β follows its γ, so one `split_at_mut` gives both gradients of a
//! layer at once. Batch norm's running statistics are not trained and live in a second
//! flat vector, `running`, laid out the same way (mean, then variance).

/// One named tensor in a flat vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorSlot {
    /// `branch0.conv1.weight`, `join2.in_norm.gamma`, `out.conv.bias`, …
    pub name: String,
    /// First element in the flat vector.
    pub offset: usize,
    /// The tensor's shape (OIHW for weights, (C) otherwise).
    pub shape: Vec<usize>,
}

impl TensorSlot {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Is it empty? (Never, for a built generator.)
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its range in the flat vector.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// A convolution: weights (o, c, k, k) at `w`, then the bias (o).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConvSlot {
    pub w: usize,
    pub o: usize,
    pub c: usize,
    pub k: usize,
}

impl ConvSlot {
    pub fn w_len(&self) -> usize {
        self.o * self.c * self.k * self.k
    }
}

/// A normalisation over `ch` channels: γ at `g`, then β; running mean and variance at
/// `run` in the running vector (batch norm only).
#[derive(Clone, Copy, Debug)]
pub(crate) struct NormSlot {
    pub g: usize,
    pub ch: usize,
    pub run: Option<usize>,
}

/// Convolution → normalisation → nonlinearity: the generator's unit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unit {
    pub conv: ConvSlot,
    pub norm: NormSlot,
}

/// The 3×3, 3×3, 1×1 units of one conv block.
pub(crate) type Block = Vec<Unit>;

/// A join: normalisation of the concatenated (upsampled coarse, fine) channels, then a
/// conv block.
#[derive(Clone, Debug)]
pub(crate) struct Join {
    pub in_norm: NormSlot,
    pub block: Block,
}

/// Allocates slots while the architecture is being built.
#[derive(Default)]
pub(crate) struct Layout {
    pub params: Vec<TensorSlot>,
    pub running: Vec<TensorSlot>,
    pub n_params: usize,
    pub n_running: usize,
}

impl Layout {
    fn push(slots: &mut Vec<TensorSlot>, total: &mut usize, name: String, shape: Vec<usize>) {
        let slot = TensorSlot {
            name,
            offset: *total,
            shape,
        };
        *total += slot.len();
        slots.push(slot);
    }

    /// A `k`×`k` convolution `c → o` named `name`.
    pub fn conv(&mut self, name: &str, c: usize, o: usize, k: usize) -> ConvSlot {
        let w = self.n_params;
        let p = &mut self.params;
        Self::push(
            p,
            &mut self.n_params,
            format!("{name}.weight"),
            vec![o, c, k, k],
        );
        Self::push(p, &mut self.n_params, format!("{name}.bias"), vec![o]);
        ConvSlot { w, o, c, k }
    }

    /// A normalisation over `ch` channels; with running statistics if `running`.
    pub fn norm(&mut self, name: &str, ch: usize, running: bool) -> NormSlot {
        let g = self.n_params;
        let p = &mut self.params;
        Self::push(p, &mut self.n_params, format!("{name}.gamma"), vec![ch]);
        Self::push(p, &mut self.n_params, format!("{name}.beta"), vec![ch]);
        let run = running.then(|| {
            let r = self.n_running;
            let q = &mut self.running;
            Self::push(
                q,
                &mut self.n_running,
                format!("{name}.running_mean"),
                vec![ch],
            );
            Self::push(
                q,
                &mut self.n_running,
                format!("{name}.running_var"),
                vec![ch],
            );
            r
        });
        NormSlot { g, ch, run }
    }

    /// A conv block `c → width`: 3×3, 3×3, 1×1, each followed by a norm.
    pub fn block(&mut self, name: &str, c: usize, width: usize, running: bool) -> Block {
        [(c, 3), (width, 3), (width, 1)]
            .iter()
            .enumerate()
            .map(|(j, &(cin, k))| Unit {
                conv: self.conv(&format!("{name}.conv{j}"), cin, width, k),
                norm: self.norm(&format!("{name}.norm{j}"), width, running),
            })
            .collect()
    }
}

//! Quantized matrix × f32-activation products for the GGUF weight types of common files
//! (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K), computed the way ggml computes them:
//! each activation row is quantized once to 8-bit blocks ([`acts`]), weight blocks are
//! unpacked to bytes ([`unpack`]), and the products are exact integer sums scaled in f32.
//!
//! Two shapes of work:
//! - **few tokens** (decoding): each weight row is unpacked once into a small buffer and dotted
//!   with every activation row, 32 values per SIMD step ([`simd256`]'s `dot_row`);
//! - **many tokens** (prefill): a panel of weight rows is unpacked once into signed bytes, then
//!   tiles of `R` weight rows × one SIMD register of tokens are computed with each 4-byte
//!   weight slice broadcast against that slice of every token ([`simd512`], [`simd256`]'s
//!   `tile`), so a weight is read from memory once per product, not once per token.
//!
//! Work is split over output rows on the rayon pool in many small tasks: a thread that the OS
//! deschedules delays only its own task, the others take the rest (see [`super::linear`]).
//! The instruction set is chosen once from the CPU's features ([`Isa::best`]): AVX-512 VNNI,
//! AVX-VNNI, AVX2, or the portable scalar code that is also the reference in the tests.

pub mod acts;
pub mod blocks;
pub mod gemv;
pub mod simd256;
pub mod simd512;
pub mod unpack;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::sync::OnceLock;

use rayon::prelude::*;

use acts::{ActPanel, QActs};
pub use blocks::{ActFormat, QType};
use gemv::TokActs;
use simd256::TileOut;
use unpack::{unpack_rows, WPanel};

/// The instruction sets the kernels are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Portable Rust, no SIMD intrinsics (the reference).
    Scalar,
    /// AVX2 + FMA + F16C: `vpmaddubsw`/`vpmaddwd` integer dots.
    Avx2,
    /// AVX2 + AVX-VNNI: 256-bit `vpdpbusd`.
    AvxVnni,
    /// AVX-512 F/BW/VL + VNNI: 512-bit `vpdpbusd` for many tokens, 256-bit for few.
    Avx512,
}

impl Isa {
    /// Every instruction set this CPU can run, the portable one first.
    pub fn available() -> Vec<Isa> {
        let mut v = vec![Isa::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
                && is_x86_feature_detected!("f16c");
            if avx2 {
                v.push(Isa::Avx2);
                if is_x86_feature_detected!("avxvnni") {
                    v.push(Isa::AvxVnni);
                }
                if is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx512vnni")
                {
                    v.push(Isa::Avx512);
                }
            }
        }
        v
    }

    /// The fastest available set, detected once. `FACTCHECK_KERNELS=scalar|avx2|avxvnni|avx512`
    /// picks a lower one (for comparisons); a name the CPU cannot run is ignored.
    pub fn best() -> Isa {
        static BEST: OnceLock<Isa> = OnceLock::new();
        *BEST.get_or_init(|| {
            let avail = Isa::available();
            let wanted = std::env::var("FACTCHECK_KERNELS")
                .ok()
                .and_then(|s| match s.as_str() {
                    "scalar" => Some(Isa::Scalar),
                    "avx2" => Some(Isa::Avx2),
                    "avxvnni" => Some(Isa::AvxVnni),
                    "avx512" => Some(Isa::Avx512),
                    _ => None,
                });
            match wanted {
                Some(w) if avail.contains(&w) => w,
                _ => *avail.last().unwrap_or(&Isa::Scalar),
            }
        })
    }

    /// Tokens per many-token tile (32-bit lanes of the register).
    fn lanes(self) -> usize {
        match self {
            Isa::Avx512 => 16,
            _ => 8,
        }
    }

    /// Weight rows per many-token tile.
    fn tile_rows(self) -> usize {
        match self {
            Isa::Avx512 => 8,
            _ => 4,
        }
    }
}

/// A borrowed quantized weight matrix: `rows` rows of `cols` weights in GGUF block layout.
#[derive(Debug, Clone, Copy)]
pub struct QMatrix<'a> {
    /// Storage type.
    pub ty: QType,
    /// Output features.
    pub rows: usize,
    /// Input features (a multiple of the block size).
    pub cols: usize,
    /// `rows × row_bytes` bytes.
    pub data: &'a [u8],
}

impl<'a> QMatrix<'a> {
    /// Checks the shape against the data.
    pub fn new(ty: QType, rows: usize, cols: usize, data: &'a [u8]) -> Result<Self, String> {
        if cols == 0 || cols % ty.block_values() != 0 {
            return Err(format!("{ty:?} rows of {cols} values are not whole blocks"));
        }
        if data.len() != rows * ty.row_bytes(cols) {
            return Err(format!(
                "{ty:?} matrix {rows}×{cols} needs {} bytes, has {}",
                rows * ty.row_bytes(cols),
                data.len()
            ));
        }
        Ok(Self {
            ty,
            rows,
            cols,
            data,
        })
    }
}

/// Below this many tokens the few-token kernel is used.
const MANY_TOKENS: usize = 6;

/// `out[t · rows + n] = Σ_k x[t · cols + k] · W[n][k]` for `tokens` activation rows, with the
/// fastest kernels this CPU runs.
pub fn matmul(w: &QMatrix<'_>, x: &[f32], tokens: usize, out: &mut [f32]) {
    matmul_with(Isa::best(), w, x, tokens, out)
}

/// [`matmul`] with a chosen instruction set (it must be one of [`Isa::available`]).
pub fn matmul_with(isa: Isa, w: &QMatrix<'_>, x: &[f32], tokens: usize, out: &mut [f32]) {
    assert!(
        Isa::available().contains(&isa),
        "{isa:?} is not available on this CPU"
    );
    assert_eq!(x.len(), tokens * w.cols);
    assert_eq!(out.len(), tokens * w.rows);
    if tokens == 0 || w.rows == 0 {
        return;
    }
    if isa != Isa::Scalar && tokens >= MANY_TOKENS {
        PANEL.with(|p| {
            let p = &mut *p.borrow_mut();
            p.quantize(isa, w.ty, x, tokens, w.cols, isa.lanes());
            many(isa, w, p, tokens, out);
        });
    } else {
        let acts = QActs::quantize(isa, w.ty, x, tokens, w.cols);
        few(isa, w, &acts, out);
    }
}

/// Per-thread buffers, reused across products.
#[derive(Default)]
struct Scratch {
    codes: Vec<u8>,
    scale: Vec<f32>,
    min: Vec<f32>,
    panel: WPanel,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
    /// The calling thread's activation panel, reused across products.
    static PANEL: RefCell<ActPanel> = RefCell::default();
}

/// The output matrix shared by the tasks of one product; each writes only its own rows.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: tasks write disjoint elements (distinct output rows), and the product waits for all
// of them before the buffer is used again.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

/// Runs `task(i)` for `i < n` on the rayon pool (inline when there is a single task).
fn for_tasks(n: usize, task: impl Fn(usize) + Sync + Send) {
    if n <= 1 {
        (0..n).for_each(task);
    } else {
        (0..n).into_par_iter().for_each(task);
    }
}

/// Splits `rows` into tasks of a multiple of `align` rows: about four per thread so a slow
/// thread holds up little, none with fewer than `min_rows` rows.
fn split_rows(rows: usize, align: usize, min_rows: usize, max_rows: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let per = rows
        .div_ceil(threads * 4)
        .clamp(min_rows, max_rows.max(min_rows));
    per.div_ceil(align) * align
}

/// Few tokens: every weight row is read once per token from its blocks (in L1 after the first
/// token) and dotted on the fly, [`gemv::NR`] rows at a time.
fn few(isa: Isa, w: &QMatrix<'_>, a: &QActs, out: &mut [f32]) {
    let (ty, k, rows) = (w.ty, w.cols, w.rows);
    let rb = ty.row_bytes(k);
    // Enough work per task to amortise scheduling (~64k weights).
    let per = split_rows(rows, gemv::NR, (65_536 / k).max(1), usize::MAX);
    let tasks = rows.div_ceil(per);
    let o = SharedOut(out.as_mut_ptr());
    let kp4 = a.kp / 4;
    let tok = |t: usize| TokActs {
        y: a.q[t * a.kp..].as_ptr(),
        bias: a.bias[t * kp4..].as_ptr(),
        d4: a.d4[t * kp4..].as_ptr(),
        s4: if ty.has_min() {
            a.s4[t * kp4..].as_ptr()
        } else {
            std::ptr::null()
        },
    };
    let row = |n: usize| w.data[n * rb..].as_ptr();
    for_tasks(tasks, |t| {
        let o = o;
        let (n0, n1) = (t * per, ((t + 1) * per).min(rows));
        if isa == Isa::Scalar {
            return few_scalar(w, a, n0, n1, o);
        }
        let mut n = n0;
        while n < n1 {
            if n + gemv::NR <= n1 {
                let r = [row(n), row(n + 1), row(n + 2), row(n + 3)];
                for tk in 0..a.tokens {
                    // SAFETY: `isa` is available (checked by `matmul_with`); the rows hold `k`
                    // weights; the activations cover `kp`; these outputs belong to this task.
                    let v = unsafe { dot_rows::<{ gemv::NR }>(isa, ty, r, k, &tok(tk)) };
                    for (i, v) in v.into_iter().enumerate() {
                        unsafe { *o.0.add(tk * rows + n + i) = v };
                    }
                }
                n += gemv::NR;
            } else {
                for tk in 0..a.tokens {
                    // SAFETY: as above.
                    let [v] = unsafe { dot_rows::<1>(isa, ty, [row(n)], k, &tok(tk)) };
                    unsafe { *o.0.add(tk * rows + n) = v };
                }
                n += 1;
            }
        }
    });
}

/// The portable few-token path: each row unpacked to bytes, then [`gemv::dot_row_scalar`].
fn few_scalar(w: &QMatrix<'_>, a: &QActs, n0: usize, n1: usize, o: SharedOut) {
    let (ty, k, rows) = (w.ty, w.cols, w.rows);
    let nsub = k / ty.sub();
    let rb = ty.row_bytes(k);
    let kp4 = a.kp / 4;
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        grow(&mut s.codes, k);
        grow(&mut s.scale, nsub);
        grow(&mut s.min, nsub);
        for n in n0..n1 {
            unpack_rows(
                Isa::Scalar,
                ty,
                &w.data[n * rb..(n + 1) * rb],
                k,
                &mut s.codes,
                &mut s.scale,
                &mut s.min,
            );
            for tk in 0..a.tokens {
                let t = TokActs {
                    y: a.q[tk * a.kp..].as_ptr(),
                    bias: a.bias[tk * kp4..].as_ptr(),
                    d4: a.d4[tk * kp4..].as_ptr(),
                    s4: if ty.has_min() {
                        a.s4[tk * kp4..].as_ptr()
                    } else {
                        std::ptr::null()
                    },
                };
                // SAFETY: the unpacked row holds `k` codes, the activations cover `k`;
                // `(tk, n)` belongs to this task.
                unsafe {
                    *o.0.add(tk * rows + n) =
                        gemv::dot_row_scalar(ty, k, &s.codes, &s.scale, &s.min, &t)
                };
            }
        }
    });
}

fn grow<T: Default + Clone>(v: &mut Vec<T>, n: usize) {
    if v.len() < n {
        v.resize(n, T::default());
    }
}

/// `N` weight rows · one token on `isa` (never `Scalar`).
///
/// # Safety
/// `isa` is available; each row holds `k` weights of `ty`; `a` covers `k` rounded up to 64.
unsafe fn dot_rows<const N: usize>(
    isa: Isa,
    ty: QType,
    rows: [*const u8; N],
    k: usize,
    a: &TokActs,
) -> [f32; N] {
    use gemv::ty as t;
    macro_rules! by_type {
        ($f:ident) => {
            match ty {
                QType::Q4_0 => gemv::$f::<t::Q4_0, N>(rows, k, a),
                QType::Q4_1 => gemv::$f::<t::Q4_1, N>(rows, k, a),
                QType::Q5_0 => gemv::$f::<t::Q5_0, N>(rows, k, a),
                QType::Q5_1 => gemv::$f::<t::Q5_1, N>(rows, k, a),
                QType::Q8_0 => gemv::$f::<t::Q8_0, N>(rows, k, a),
                QType::Q4K => gemv::$f::<t::Q4K, N>(rows, k, a),
                QType::Q5K => gemv::$f::<t::Q5K, N>(rows, k, a),
                QType::Q6K => gemv::$f::<t::Q6K, N>(rows, k, a),
            }
        };
    }
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => by_type!(dot512),
        #[cfg(target_arch = "x86_64")]
        Isa::AvxVnni => by_type!(dot_avxvnni256),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => by_type!(dot_avx2),
        _ => unreachable!("no SIMD kernel for {isa:?}"),
    }
}

/// Many tokens: panels of weight rows unpacked once, then register tiles of rows × tokens.
fn many(isa: Isa, w: &QMatrix<'_>, p: &ActPanel, tokens: usize, out: &mut [f32]) {
    let (ty, k, rows) = (w.ty, w.cols, w.rows);
    let rb = ty.row_bytes(k);
    let lanes = isa.lanes();
    let rt = isa.tile_rows();
    // A panel of about 192 KiB of unpacked weights stays in L2 while every token group passes.
    let per = split_rows(rows, rt, rt, (196_608 / k).max(rt));
    let tasks = rows.div_ceil(per);
    let split = isa == Isa::Avx2 && ty == QType::Q8_0;
    let o = SharedOut(out.as_mut_ptr());
    for_tasks(tasks, |t| {
        let o = o;
        let n0 = t * per;
        let n = per.min(rows - n0);
        let padded = n.div_ceil(rt) * rt;
        SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            s.panel
                .fill(isa, ty, &w.data[n0 * rb..(n0 + n) * rb], k, padded, split);
            for g in 0..p.groups {
                for r0 in (0..padded).step_by(rt) {
                    let to = TileOut {
                        ptr: o.0,
                        ld: rows,
                        row0: n0 + r0,
                        rows: n - r0.min(n),
                        tok0: g * lanes,
                        toks: lanes.min(tokens - g * lanes),
                    };
                    // SAFETY: `isa` is available; the panel holds `padded` rows; the tile's
                    // real rows and tokens lie inside `out` and belong to this task.
                    unsafe { tile(isa, ty, &s.panel, r0, p, g, &to, split) };
                }
            }
        })
    });
}

/// One many-token tile on `isa` (never `Scalar`).
///
/// # Safety
/// As for the `tile` functions of [`simd512`] and [`simd256`].
#[allow(clippy::too_many_arguments)]
unsafe fn tile(
    isa: Isa,
    ty: QType,
    w: &WPanel,
    r0: usize,
    p: &ActPanel,
    g: usize,
    o: &TileOut,
    split: bool,
) {
    macro_rules! by_type {
        ($m:path, $r:literal) => {{
            use $m as k;
            match ty {
                QType::Q6K => k::tile::<$r, 16, false, false>(w, r0, p, g, o),
                _ if ty.has_min() => k::tile::<$r, 32, true, false>(w, r0, p, g, o),
                _ if split => k::tile::<$r, 32, false, true>(w, r0, p, g, o),
                _ => k::tile::<$r, 32, false, false>(w, r0, p, g, o),
            }
        }};
    }
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => match ty {
            QType::Q6K => simd512::tile::<8, 16, false>(w, r0, p, g, o),
            _ if ty.has_min() => simd512::tile::<8, 32, true>(w, r0, p, g, o),
            _ => simd512::tile::<8, 32, false>(w, r0, p, g, o),
        },
        #[cfg(target_arch = "x86_64")]
        Isa::AvxVnni => by_type!(simd256::avxvnni, 4),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => by_type!(simd256::avx2, 4),
        _ => unreachable!("no many-token kernel for {isa:?}"),
    }
}

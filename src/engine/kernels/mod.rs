//! Quantized matrix × f32-activation products for the GGUF weight types of common files
//! (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K), computed the way ggml computes them:
//! each activation row is quantized once to 8-bit blocks ([`acts`]) and the products are exact
//! integer sums of weight codes × activation codes, scaled in f32 ([`blocks`] defines the
//! common form every type is read as).
//!
//! Two shapes of work:
//! - **few tokens** (decoding, [`gemv`]): weight rows are read straight from their GGUF blocks,
//!   decoded in registers and dotted with each activation row, 64 weights per step on AVX-512,
//!   four rows at a time, prefetching ahead — decoding streams every weight once per token;
//! - **many tokens** (prefill, [`gemm512`], [`gemm256`]): a panel of weight rows is unpacked
//!   once into signed bytes ([`unpack`]), then tiles of `R` weight rows × one register of
//!   tokens are computed with each 4-byte weight slice broadcast against that slice of every
//!   token, so a weight is decoded once per product, not once per token.
//!
//! The weights are never copied: the kernels read the tensor's GGUF bytes in place (asking the
//! OS for huge pages under them, [`prefer_huge_pages`]). Work is split over output rows into
//! small tasks that the calling thread and helper threads take from one counter ([`tasks`]): a
//! thread that the OS deschedules delays only the task it holds, the others take the rest, and
//! the caller never waits for a helper that has not started (see [`super::linear`]).
//! The instruction set is chosen once from the CPU's features ([`Isa::best`]): AVX-512 VNNI,
//! AVX-VNNI, AVX2, or the portable scalar code that is also the reference in the tests.

pub mod acts;
pub mod blocks;
pub mod gemm256;
pub mod gemm512;
pub mod gemv;
pub mod tasks;
pub mod unpack;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::sync::OnceLock;

use acts::{ActPanel, QActs};
pub use blocks::{ActFormat, QType};
use gemm256::TileOut;
use gemv::TokActs;
use tasks::run_tasks;
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
        if cols == 0 || !cols.is_multiple_of(ty.block_values()) {
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
    // SAFETY: `f32` and `MaybeUninit<f32>` have the same layout, and the kernels only write.
    let out = unsafe { &mut *(out as *mut [f32] as *mut [MaybeUninit<f32>]) };
    matmul_into(isa, w, x, tokens, out)
}

/// [`matmul_with`] into uninitialised memory: every element of `out` is written (so a fresh
/// output buffer needs no zeroing).
pub fn matmul_into(
    isa: Isa,
    w: &QMatrix<'_>,
    x: &[f32],
    tokens: usize,
    out: &mut [MaybeUninit<f32>],
) {
    static AVAILABLE: OnceLock<Vec<Isa>> = OnceLock::new();
    assert!(
        AVAILABLE.get_or_init(Isa::available).contains(&isa),
        "{isa:?} is not available on this CPU"
    );
    assert_eq!(x.len(), tokens * w.cols);
    assert_eq!(out.len(), tokens * w.rows);
    if tokens == 0 || w.rows == 0 {
        return;
    }
    let out = SharedOut(out.as_mut_ptr() as *mut f32);
    if isa != Isa::Scalar && tokens >= MANY_TOKENS {
        PANEL.with(|p| {
            let p = &mut *p.borrow_mut();
            p.quantize(isa, w.ty, x, tokens, w.cols, isa.lanes());
            many(isa, w, p, tokens, out);
        });
    } else {
        ACTS.with(|a| {
            let a = &mut *a.borrow_mut();
            a.quantize_into(isa, w.ty, x, tokens, w.cols);
            few(isa, w, a, out);
        });
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
    /// The calling thread's few-token activations, reused across products.
    static ACTS: RefCell<QActs> = RefCell::new(QActs::quantize(Isa::Scalar, QType::Q8_0, &[], 0, 32));
}

/// The output matrix (`tokens × rows`) shared by the tasks of one product; each writes only its
/// own rows.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: tasks write disjoint elements (distinct output rows), and the product waits for all
// of them before the buffer is used again.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// The base pointer (a method, so closures capture the whole `Sync` wrapper).
    fn ptr(&self) -> *mut f32 {
        self.0
    }
}

/// Splits `rows` into tasks of a multiple of `align` rows: about four per thread so a slow
/// thread holds up little, none with fewer than `min_rows` rows.
fn split_rows(rows: usize, align: usize, min_rows: usize, max_rows: usize) -> usize {
    let threads = tasks::threads();
    let per = rows
        .div_ceil(threads * 4)
        .clamp(min_rows, max_rows.max(min_rows));
    per.div_ceil(align) * align
}

/// Few tokens: every weight row is read once per token from its blocks (in L1 after the first
/// token) and dotted on the fly, [`gemv::NR`] rows at a time.
fn few(isa: Isa, w: &QMatrix<'_>, a: &QActs, o: SharedOut) {
    let (ty, k, rows) = (w.ty, w.cols, w.rows);
    let rb = ty.row_bytes(k);
    // Enough work per task to be worth handing to another thread (~128k weights, a few
    // microseconds).
    let per = split_rows(rows, gemv::NR, (131_072 / k).max(1), usize::MAX);
    let tasks = rows.div_ceil(per);
    let tok = |t: usize| a.token(t);
    let row = |n: usize| w.data[n * rb..].as_ptr();
    run_tasks(tasks, &|t| {
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
                        unsafe { *o.ptr().add(tk * rows + n + i) = v };
                    }
                }
                n += gemv::NR;
            } else {
                for tk in 0..a.tokens {
                    // SAFETY: as above.
                    let [v] = unsafe { dot_rows::<1>(isa, ty, [row(n)], k, &tok(tk)) };
                    unsafe { *o.ptr().add(tk * rows + n) = v };
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
                let t = a.token(tk);
                // SAFETY: the unpacked row holds `k` codes, the activations cover `k`;
                // `(tk, n)` belongs to this task.
                unsafe {
                    *o.ptr().add(tk * rows + n) =
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
fn many(isa: Isa, w: &QMatrix<'_>, p: &ActPanel, tokens: usize, o: SharedOut) {
    let (ty, k, rows) = (w.ty, w.cols, w.rows);
    let rb = ty.row_bytes(k);
    let lanes = isa.lanes();
    let rt = isa.tile_rows();
    // A panel of about 192 KiB of unpacked weights stays in L2 while every token group passes.
    let per = split_rows(rows, rt, rt, (196_608 / k).max(rt));
    let tasks = rows.div_ceil(per);
    let split = isa == Isa::Avx2 && ty == QType::Q8_0;
    run_tasks(tasks, &|t| {
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
                        ptr: o.ptr(),
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
/// As for the `tile` functions of [`gemm512`] and [`gemm256`].
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
            QType::Q6K => gemm512::tile::<8, 16, false>(w, r0, p, g, o),
            _ if ty.has_min() => gemm512::tile::<8, 32, true>(w, r0, p, g, o),
            _ => gemm512::tile::<8, 32, false>(w, r0, p, g, o),
        },
        #[cfg(target_arch = "x86_64")]
        Isa::AvxVnni => by_type!(gemm256::avxvnni, 4),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => by_type!(gemm256::avx2, 4),
        _ => unreachable!("no many-token kernel for {isa:?}"),
    }
}

/// Asks the kernel to back the 2 MiB-aligned interior of `data` with huge pages, now
/// (`MADV_COLLAPSE`, Linux 6.1+) and for the future (`MADV_HUGEPAGE`). Decoding streams every
/// weight once per token; with 4 KiB pages each page costs a TLB miss and a page walk, and one
/// core streamed weights at about half the rate it reaches on huge pages (7 vs 15 GB/s here).
/// The memory stays where it is (same addresses, same owner); failures are ignored (older
/// kernels, THP disabled): it is only an optimisation. `FACTCHECK_HUGE_PAGES=0` turns it off.
/// Returns whether the collapse succeeded.
pub fn prefer_huge_pages(data: &[u8]) -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    if *OFF.get_or_init(|| std::env::var("FACTCHECK_HUGE_PAGES").is_ok_and(|v| v == "0")) {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        const MADV_HUGEPAGE: std::ffi::c_int = 14;
        const MADV_COLLAPSE: std::ffi::c_int = 25;
        extern "C" {
            fn madvise(
                addr: *mut std::ffi::c_void,
                len: usize,
                advice: std::ffi::c_int,
            ) -> std::ffi::c_int;
        }
        let start = (data.as_ptr() as usize).next_multiple_of(HUGE);
        let end = (data.as_ptr() as usize + data.len()) / HUGE * HUGE;
        if end <= start {
            return false;
        }
        // SAFETY: advice on pages of a live allocation we borrow; it does not change their
        // contents or addresses.
        unsafe {
            madvise(start as *mut _, end - start, MADV_HUGEPAGE);
            madvise(start as *mut _, end - start, MADV_COLLAPSE) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = data;
        false
    }
}

//! Activation quantization: each f32 activation row is quantized once per product to 8-bit
//! blocks exactly as ggml does for the weight type's `vec_dot_type` (Q8_0 and Q8_1 on 32-value
//! blocks with an f16 scale, Q8_K on 256-value blocks with an f32 scale), then summarised per
//! weight sub-block: the scale `d`, `s = d · Σq` (min terms) and `−bias · Σq` (bias terms).
//! Two layouts: [`QActs`], row by row, for the few-token kernels; [`ActPanel`], for the
//! many-token kernels: groups of `lanes` tokens, each 4-value slice of the row stored for all
//! tokens of the group side by side, offset by +128.

use rayon::prelude::*;

use super::blocks::{f16_to_f32, f32_to_f16, ActFormat, QType};
use super::Isa;

/// Adding this to an f32 of magnitude below 2^22 rounds it to an integer (ties to even) in the
/// low mantissa bits; subtracting its bit pattern reads the integer back.
const MAGIC: f32 = 12_582_912.0;
const MAGIC_BITS: i32 = 0x4B40_0000;

#[inline(always)]
fn round_i32(v: f32) -> i32 {
    (v + MAGIC).to_bits() as i32 - MAGIC_BITS
}

/// One Q8_0/Q8_1 block of 32: codes `round(x · 127/amax)` (ties to even, as ggml's AVX code)
/// into `q`; returns the unrounded scale `amax/127` and `Σq`.
fn q8_0_block(isa: Isa, x: &[f32], q: &mut [i8]) -> (f32, i32) {
    assert!(x.len() >= 32 && q.len() >= 32);
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Scalar {
        // SAFETY: AVX2 is present for every Isa but Scalar; lengths checked above.
        return unsafe { avx2::q8_0_block(x.as_ptr(), q.as_mut_ptr()) };
    }
    let _ = isa;
    let amax = x[..32].iter().fold(0f32, |m, v| m.max(v.abs()));
    let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
    let mut sum = 0;
    for (o, &v) in q[..32].iter_mut().zip(x) {
        *o = round_i32(v * id) as i8;
        sum += *o as i32;
    }
    (amax / 127.0, sum)
}

/// One Q8_K block of 256 (ggml's reference): scaled by `−127/max` where `max` is the first
/// value of largest magnitude, codes capped at 127, into `q`; `sums` gets the sum of each 16
/// codes. Returns `d = 1/iscale` (0 for an all-zero block).
fn q8k_block(isa: Isa, x: &[f32], q: &mut [i8], sums: &mut [i32; 16]) -> f32 {
    assert!(x.len() >= 256 && q.len() >= 256);
    let x = &x[..256];
    #[cfg(target_arch = "x86_64")]
    let amax = if isa != Isa::Scalar {
        // SAFETY: AVX2 is present for every Isa but Scalar.
        unsafe { avx2::abs_max(x) }
    } else {
        x.iter().fold(0f32, |m, v| m.max(v.abs()))
    };
    #[cfg(not(target_arch = "x86_64"))]
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    if amax == 0.0 {
        q[..256].fill(0);
        sums.fill(0);
        return 0.0;
    }
    let max = *x.iter().find(|v| v.abs() == amax).unwrap_or(&amax);
    let iscale = -127.0 / max;
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Scalar {
        // SAFETY: as above; lengths checked.
        unsafe { avx2::scale_round_256(x.as_ptr(), iscale, q.as_mut_ptr(), sums) };
        return 1.0 / iscale;
    }
    let _ = isa;
    for (j, (qs, xs)) in q[..256]
        .chunks_exact_mut(16)
        .zip(x.chunks_exact(16))
        .enumerate()
    {
        let mut s = 0;
        for (o, &v) in qs.iter_mut().zip(xs) {
            *o = round_i32(iscale * v).min(127) as i8;
            s += *o as i32;
        }
        sums[j] = s;
    }
    1.0 / iscale
}

/// One activation block of `ty`'s format at `x`: codes into `q`; per sub-block (of the weight
/// type) into `d` the scale and into `s` `d·Σq` (Q8_1: f16-rounded, as ggml stores it).
fn quantize_block(isa: Isa, ty: QType, x: &[f32], q: &mut [i8], d: &mut [f32], s: &mut [f32]) {
    match ty.act() {
        ActFormat::Q8_0 | ActFormat::Q8_1 => {
            let (scale, sum) = q8_0_block(isa, x, q);
            d[0] = f16_to_f32(f32_to_f16(scale));
            s[0] = if ty.act() == ActFormat::Q8_1 {
                f16_to_f32(f32_to_f16(scale * sum as f32))
            } else {
                d[0] * sum as f32
            };
        }
        ActFormat::Q8K => {
            let mut sums = [0i32; 16];
            let scale = q8k_block(isa, x, q, &mut sums);
            let per = ty.sub() / 16;
            for (j, (dj, sj)) in d
                .iter_mut()
                .zip(s.iter_mut())
                .take(256 / ty.sub())
                .enumerate()
            {
                *dj = scale;
                *sj = scale * sums[j * per..(j + 1) * per].iter().sum::<i32>() as f32;
            }
        }
    }
}

/// Quantized activations of `tokens` rows of `k` values, with per-sub-block summaries for one
/// weight type, for the few-token kernels. Rows are stored `kp` apart (`k` rounded up to 64,
/// zero-padded) so that the 64-value kernels may read a whole last step.
#[derive(Debug, Clone)]
pub struct QActs {
    /// The weight type the summaries are for.
    pub ty: QType,
    /// Rows.
    pub tokens: usize,
    /// Values per row.
    pub k: usize,
    /// Row stride of `q` (a multiple of 64); the lane arrays have stride `kp / 4`.
    pub kp: usize,
    /// Codes, `tokens × kp`.
    pub q: Vec<i8>,
    /// `−bias · Σq` over each 4 consecutive codes (one 32-bit lane of a dot product),
    /// `tokens × kp/4`: the integer bias correction, kept per lane so that every lane of a
    /// few-token dot product holds an exact small sum (one correction per sub-block would
    /// leave large partial sums in the lanes, and f32 rounding relative to those).
    pub bias: Vec<i32>,
    /// The scale per lane (4 codes), `tokens × kp/4`.
    pub d4: Vec<f32>,
    /// `s` spread over the lanes of its sub-block (`s / lanes`, exact: a power of two),
    /// `tokens × kp/4`; types with a min only.
    pub s4: Vec<f32>,
}

impl QActs {
    /// Quantizes `x` (`tokens × k`, row-major) for weights of type `ty`; `k` must be a multiple
    /// of the type's block size.
    pub fn quantize(isa: Isa, ty: QType, x: &[f32], tokens: usize, k: usize) -> Self {
        assert_eq!(x.len(), tokens * k);
        assert_eq!(k % ty.block_values(), 0);
        let kp = k.div_ceil(64) * 64;
        let mut me = QActs {
            ty,
            tokens,
            k,
            kp,
            q: vec![0; tokens * kp],
            bias: vec![0; tokens * kp / 4],
            d4: vec![0.0; tokens * kp / 4],
            s4: if ty.has_min() {
                vec![0.0; tokens * kp / 4]
            } else {
                Vec::new()
            },
        };
        let blk = ty.act().block();
        let (sub, b) = (ty.sub(), ty.bias());
        let lanes = sub / 4;
        let (mut d, mut s) = ([0f32; 16], [0f32; 16]);
        for t in 0..tokens {
            let xr = &x[t * k..(t + 1) * k];
            let q = &mut me.q[t * kp..t * kp + k];
            let bias = &mut me.bias[t * kp / 4..];
            let d4 = &mut me.d4[t * kp / 4..];
            for (bi, (xs, qs)) in xr
                .chunks_exact(blk)
                .zip(q.chunks_exact_mut(blk))
                .enumerate()
            {
                quantize_block(isa, ty, xs, qs, &mut d, &mut s);
                let l0 = bi * blk / 4;
                for (o, four) in bias[l0..l0 + blk / 4].iter_mut().zip(qs.chunks_exact(4)) {
                    *o = -b * four.iter().map(|&v| v as i32).sum::<i32>();
                }
                for j in 0..blk / sub {
                    d4[l0 + j * lanes..l0 + (j + 1) * lanes].fill(d[j]);
                    if ty.has_min() {
                        let at = t * kp / 4 + l0 + j * lanes;
                        me.s4[at..at + lanes].fill(s[j] / lanes as f32);
                    }
                }
            }
        }
        me
    }
}

/// Activations laid out for the many-token kernels.
#[derive(Debug, Clone, Default)]
pub struct ActPanel {
    /// Tokens per group (the SIMD width in 32-bit lanes).
    pub lanes: usize,
    /// Groups (the last may be partly padding).
    pub groups: usize,
    /// Values per row.
    pub k: usize,
    /// Sub-blocks per row.
    pub nsub: usize,
    /// `groups × k/4 × lanes × 4` bytes: code + 128.
    pub y: Vec<u8>,
    /// `groups × nsub × lanes`: the scale per token and sub-block (0 for padding).
    pub d: Vec<f32>,
    /// `groups × nsub × lanes`: `s` per token and sub-block (types with a min only).
    pub s: Vec<f32>,
}

impl ActPanel {
    /// Quantizes `x` (`tokens × k`) for weights of type `ty` into groups of `lanes` tokens,
    /// reusing this panel's buffers.
    pub fn quantize(
        &mut self,
        isa: Isa,
        ty: QType,
        x: &[f32],
        tokens: usize,
        k: usize,
        lanes: usize,
    ) {
        assert_eq!(x.len(), tokens * k);
        assert_eq!(k % ty.block_values(), 0);
        let nsub = k / ty.sub();
        let groups = tokens.div_ceil(lanes);
        self.lanes = lanes;
        self.groups = groups;
        self.k = k;
        self.nsub = nsub;
        resize(&mut self.y, groups * k * lanes);
        resize(&mut self.d, groups * nsub * lanes);
        resize(
            &mut self.s,
            if ty.has_min() {
                groups * nsub * lanes
            } else {
                0
            },
        );
        let blk = ty.act().block();
        let per = blk / ty.sub();
        let has_min = ty.has_min();
        let fill = |(g, ((y, d), s)): (usize, ((&mut [u8], &mut [f32]), &mut [f32]))| {
            let real = lanes.min(tokens - g * lanes);
            if real < lanes {
                // Padding tokens: zero codes (128) and zero scales.
                y.fill(128);
                d.fill(0.0);
                s.fill(0.0);
            }
            let (mut q, mut bd, mut bs) = ([0i8; 256], [0f32; 16], [0f32; 16]);
            for l in 0..real {
                let xr = &x[(g * lanes + l) * k..][..k];
                for (bi, xs) in xr.chunks_exact(blk).enumerate() {
                    quantize_block(isa, ty, xs, &mut q, &mut bd, &mut bs);
                    for (kg, four) in q[..blk].chunks_exact(4).enumerate() {
                        let at = ((bi * blk / 4 + kg) * lanes + l) * 4;
                        let v = u32::from_ne_bytes([
                            four[0] as u8,
                            four[1] as u8,
                            four[2] as u8,
                            four[3] as u8,
                        ]);
                        y[at..at + 4].copy_from_slice(&(v ^ 0x8080_8080).to_ne_bytes());
                    }
                    for j in 0..per {
                        let at = (bi * per + j) * lanes + l;
                        d[at] = bd[j];
                        if has_min {
                            s[at] = bs[j];
                        }
                    }
                }
            }
        };
        let s_chunk = if has_min { nsub * lanes } else { 0 };
        let mut s_parts: Vec<&mut [f32]> = if has_min {
            self.s.chunks_mut(s_chunk).collect()
        } else {
            (0..groups).map(|_| <&mut [f32]>::default()).collect()
        };
        let parts: Vec<_> = self
            .y
            .chunks_mut(k * lanes)
            .zip(self.d.chunks_mut(nsub * lanes))
            .zip(s_parts.drain(..))
            .enumerate()
            .collect();
        if groups > 1 {
            parts.into_par_iter().for_each(fill);
        } else {
            parts.into_iter().for_each(fill);
        }
    }
}

fn resize<T: Default + Clone>(v: &mut Vec<T>, n: usize) {
    if v.len() != n {
        v.resize(n, T::default());
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hmax(v: __m256) -> f32 {
        let m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hsum_i32(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01)))
    }

    /// Packs four vectors of eight i32 (each in −127..=127) into 32 bytes at `q`, in order.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn pack_store(i0: __m256i, i1: __m256i, i2: __m256i, i3: __m256i, q: *mut i8) {
        let a = _mm256_packs_epi32(i0, i1);
        let b = _mm256_packs_epi32(i2, i3);
        let p = _mm256_packs_epi16(a, b);
        let p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256(q as *mut __m256i, p);
    }

    /// [`super::q8_0_block`]: `cvtps` rounds to nearest even, like the scalar code.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn q8_0_block(x: *const f32, q: *mut i8) -> (f32, i32) {
        let sign = _mm256_set1_ps(-0.0);
        let v: [__m256; 4] = [
            _mm256_loadu_ps(x),
            _mm256_loadu_ps(x.add(8)),
            _mm256_loadu_ps(x.add(16)),
            _mm256_loadu_ps(x.add(24)),
        ];
        let mut m = _mm256_andnot_ps(sign, v[0]);
        for vi in &v[1..] {
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, *vi));
        }
        let amax = hmax(m);
        let id = _mm256_set1_ps(if amax != 0.0 { 127.0 / amax } else { 0.0 });
        let i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v[0], id));
        let i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v[1], id));
        let i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v[2], id));
        let i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v[3], id));
        let sum = hsum_i32(_mm256_add_epi32(
            _mm256_add_epi32(i0, i1),
            _mm256_add_epi32(i2, i3),
        ));
        pack_store(i0, i1, i2, i3, q);
        (amax / 127.0, sum)
    }

    /// Largest magnitude of 256 values.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn abs_max(x: &[f32]) -> f32 {
        let sign = _mm256_set1_ps(-0.0);
        let mut m = _mm256_setzero_ps();
        for c in x.chunks_exact(8) {
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(c.as_ptr())));
        }
        hmax(m)
    }

    /// Q8_K codes `min(round(iscale · x), 127)` of 256 values and the sum of each 16.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn scale_round_256(x: *const f32, iscale: f32, q: *mut i8, sums: &mut [i32; 16]) {
        let s = _mm256_set1_ps(iscale);
        let cap = _mm256_set1_epi32(127);
        for c in 0..8 {
            let p = x.add(32 * c);
            let i: [__m256i; 4] = [
                _mm256_min_epi32(
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(p), s)),
                    cap,
                ),
                _mm256_min_epi32(
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(p.add(8)), s)),
                    cap,
                ),
                _mm256_min_epi32(
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(p.add(16)), s)),
                    cap,
                ),
                _mm256_min_epi32(
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(p.add(24)), s)),
                    cap,
                ),
            ];
            sums[2 * c] = hsum_i32(_mm256_add_epi32(i[0], i[1]));
            sums[2 * c + 1] = hsum_i32(_mm256_add_epi32(i[2], i[3]));
            pack_store(i[0], i[1], i[2], i[3], q.add(32 * c));
        }
    }
}

//! Activation quantization: each f32 activation row is quantized once per product to 8-bit
//! blocks exactly as ggml does for the weight type's `vec_dot_type` (Q8_0 and Q8_1 on 32-value
//! blocks with an f16 scale, Q8_K on 256-value blocks with an f32 scale), then summarised per
//! weight sub-block: the scale `d`, `s = d · Σq` (min terms) and `−bias · Σq` (bias terms).
//! [`ActPanel`] re-lays the codes for the many-token kernels: groups of `lanes` tokens, each
//! 4-value slice of the row stored for all tokens of the group side by side, offset by +128.

use rayon::prelude::*;

use super::blocks::{f16_to_f32, f32_to_f16, ActFormat, QType};

/// Adding this to an f32 of magnitude below 2^22 rounds it to an integer (ties to even) in the
/// low mantissa bits; subtracting its bit pattern reads the integer back.
const MAGIC: f32 = 12_582_912.0;
const MAGIC_BITS: i32 = 0x4B40_0000;

#[inline(always)]
fn round_i32(v: f32) -> i32 {
    (v + MAGIC).to_bits() as i32 - MAGIC_BITS
}

/// Quantized activations of `tokens` rows of `k` values, with per-sub-block summaries for one
/// weight type. Rows are stored `kp` apart (`k` rounded up to 64, zero-padded) so that the
/// 64-value decode kernels may read a whole last step.
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
    /// Scale of the activation block holding each weight sub-block, `tokens × nsub`.
    pub d: Vec<f32>,
    /// `d · Σq` over each sub-block (the Q8_1 value, f16-rounded, for Q4_1/Q5_1), `tokens × nsub`;
    /// only the types with a min use it.
    pub s: Vec<f32>,
    /// `−bias · Σq` over each 4 consecutive codes (one 32-bit lane of a dot product),
    /// `tokens × kp/4`: the integer bias correction, kept per lane so that every lane of a
    /// few-token dot product holds an exact small sum (one correction per sub-block would
    /// leave large partial sums in the lanes, and f32 rounding relative to those).
    pub bias: Vec<i32>,
    /// `d` per lane (4 codes), `tokens × kp/4`.
    pub d4: Vec<f32>,
    /// `s` spread over the lanes of its sub-block (`s / lanes`, exact: a power of two),
    /// `tokens × kp/4`; types with a min only.
    pub s4: Vec<f32>,
}

impl QActs {
    /// Sub-blocks per row.
    pub fn nsub(&self) -> usize {
        self.k / self.ty.sub()
    }

    /// Quantizes `x` (`tokens × k`, row-major) for weights of type `ty`; `k` must be a multiple
    /// of the type's block size.
    pub fn quantize(ty: QType, x: &[f32], tokens: usize, k: usize) -> Self {
        assert_eq!(x.len(), tokens * k);
        assert_eq!(k % ty.block_values(), 0);
        let nsub = k / ty.sub();
        let kp = k.div_ceil(64) * 64;
        let mut me = QActs {
            ty,
            tokens,
            k,
            kp,
            q: vec![0; tokens * kp],
            d: vec![0.0; tokens * nsub],
            s: vec![0.0; tokens * nsub],
            bias: vec![0; tokens * kp / 4],
            d4: vec![0.0; tokens * kp / 4],
            s4: if ty.has_min() {
                vec![0.0; tokens * kp / 4]
            } else {
                Vec::new()
            },
        };
        if tokens == 0 || k == 0 {
            return me;
        }
        let s4_stride = if ty.has_min() { kp / 4 } else { 0 };
        let rows: Vec<Row<'_>> =
            me.q.chunks_mut(kp)
                .zip(me.d.chunks_mut(nsub))
                .zip(me.s.chunks_mut(nsub))
                .zip(me.bias.chunks_mut(kp / 4))
                .zip(me.d4.chunks_mut(kp / 4))
                .enumerate()
                .map(|(t, ((((q, d), s), bias), d4))| Row {
                    t,
                    q,
                    d,
                    s,
                    bias,
                    d4,
                    s4: &mut [],
                })
                .collect();
        let mut rows = rows;
        if s4_stride > 0 {
            for (r, s4) in rows.iter_mut().zip(me.s4.chunks_mut(s4_stride)) {
                r.s4 = s4;
            }
        }
        let one = |r: Row<'_>| quantize_row(ty, &x[r.t * k..(r.t + 1) * k], r);
        if tokens > 1 && tokens * k >= 1 << 15 {
            rows.into_par_iter().for_each(one);
        } else {
            rows.into_iter().for_each(one);
        }
        me
    }
}

/// One token's slices of a [`QActs`].
struct Row<'a> {
    t: usize,
    q: &'a mut [i8],
    d: &'a mut [f32],
    s: &'a mut [f32],
    bias: &'a mut [i32],
    d4: &'a mut [f32],
    s4: &'a mut [f32],
}

/// Quantizes one row and fills its summaries.
fn quantize_row(ty: QType, x: &[f32], r: Row<'_>) {
    let fmt = ty.act();
    let blk = fmt.block();
    let sub = ty.sub();
    let per = blk / sub;
    let b = ty.bias();
    let lanes_per_sub = sub / 4;
    for (bi, (xs, qs)) in x
        .chunks_exact(blk)
        .zip(r.q.chunks_exact_mut(blk))
        .enumerate()
    {
        let scale = match fmt {
            ActFormat::Q8_0 | ActFormat::Q8_1 => quantize_q8_0(xs, qs),
            ActFormat::Q8K => quantize_q8k(xs, qs),
        };
        for (o, four) in r.bias[bi * blk / 4..(bi + 1) * blk / 4]
            .iter_mut()
            .zip(qs.chunks_exact(4))
        {
            *o = -b * four.iter().map(|&v| v as i32).sum::<i32>();
        }
        for j in 0..per {
            let at = bi * per + j;
            let sum: i32 = qs[j * sub..(j + 1) * sub].iter().map(|&v| v as i32).sum();
            let d = match fmt {
                ActFormat::Q8K => scale,
                _ => f16_to_f32(f32_to_f16(scale)),
            };
            r.d[at] = d;
            r.s[at] = match fmt {
                // ggml stores s = d·Σq (with the unrounded d) as f16.
                ActFormat::Q8_1 => f16_to_f32(f32_to_f16(scale * sum as f32)),
                _ => d * sum as f32,
            };
            r.d4[at * lanes_per_sub..(at + 1) * lanes_per_sub].fill(d);
            if !r.s4.is_empty() {
                r.s4[at * lanes_per_sub..(at + 1) * lanes_per_sub]
                    .fill(r.s[at] / lanes_per_sub as f32);
            }
        }
    }
}

/// One Q8_0/Q8_1 block: codes `round(x · 127/amax)` (ties to even, as ggml's AVX code) and the
/// unrounded scale `amax/127`.
#[inline]
fn quantize_q8_0(x: &[f32], q: &mut [i8]) -> f32 {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
    for (o, &v) in q.iter_mut().zip(x) {
        *o = round_i32(v * id) as i8;
    }
    amax / 127.0
}

/// One Q8_K block (ggml's reference): scaled by `−127/max` where `max` is the first value of
/// largest magnitude, codes capped at 127; returns `d = 1/iscale` (0 for an all-zero block).
#[inline]
fn quantize_q8k(x: &[f32], q: &mut [i8]) -> f32 {
    let (mut amax, mut max) = (0f32, 0f32);
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    if amax == 0.0 {
        q.fill(0);
        return 0.0;
    }
    let iscale = -127.0 / max;
    for (o, &v) in q.iter_mut().zip(x) {
        *o = round_i32(iscale * v).min(127) as i8;
    }
    1.0 / iscale
}

/// Activations re-laid for the many-token kernels.
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
    /// Re-lays `a` in groups of `lanes` tokens.
    pub fn new(a: &QActs, lanes: usize) -> Self {
        let (k, nsub) = (a.k, a.nsub());
        let groups = a.tokens.div_ceil(lanes);
        let mut p = ActPanel {
            lanes,
            groups,
            k,
            nsub,
            y: vec![128; groups * k * lanes],
            d: vec![0.0; groups * nsub * lanes],
            s: if a.ty.has_min() {
                vec![0.0; groups * nsub * lanes]
            } else {
                Vec::new()
            },
        };
        let fill = |g: usize, y: &mut [u8]| {
            for l in 0..lanes.min(a.tokens - g * lanes) {
                let row = &a.q[(g * lanes + l) * a.kp..][..k];
                for (kg, four) in row.chunks_exact(4).enumerate() {
                    let at = (kg * lanes + l) * 4;
                    for (o, &v) in y[at..at + 4].iter_mut().zip(four) {
                        *o = (v as u8) ^ 0x80;
                    }
                }
            }
        };
        if a.tokens * k >= 1 << 16 {
            p.y.par_chunks_mut(k * lanes)
                .enumerate()
                .for_each(|(g, y)| fill(g, y));
        } else {
            p.y.chunks_mut(k * lanes)
                .enumerate()
                .for_each(|(g, y)| fill(g, y));
        }
        for t in 0..a.tokens {
            let (g, l) = (t / lanes, t % lanes);
            for sb in 0..nsub {
                let at = (g * nsub + sb) * lanes + l;
                p.d[at] = a.d[t * nsub + sb];
                if !p.s.is_empty() {
                    p.s[at] = a.s[t * nsub + sb];
                }
            }
        }
        p
    }
}

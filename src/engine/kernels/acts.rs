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
/// weight type.
#[derive(Debug, Clone)]
pub struct QActs {
    /// The weight type the summaries are for.
    pub ty: QType,
    /// Rows.
    pub tokens: usize,
    /// Values per row.
    pub k: usize,
    /// Codes, `tokens × k`.
    pub q: Vec<i8>,
    /// Scale of the activation block holding each weight sub-block, `tokens × nsub`.
    pub d: Vec<f32>,
    /// `d · Σq` over each sub-block (the Q8_1 value, f16-rounded, for Q4_1/Q5_1), `tokens × nsub`;
    /// only the types with a min use it.
    pub s: Vec<f32>,
    /// `−bias · Σq` over each 4 consecutive codes, `tokens × k/4`: the integer bias correction,
    /// kept per 4 codes so that every 32-bit lane of a few-token dot product holds an exact
    /// small sum (one correction per sub-block would leave large partial sums in the lanes, and
    /// f32 rounding relative to those).
    pub bias: Vec<i32>,
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
        let mut me = QActs {
            ty,
            tokens,
            k,
            q: vec![0; tokens * k],
            d: vec![0.0; tokens * nsub],
            s: vec![0.0; tokens * nsub],
            bias: vec![0; tokens * k / 4],
        };
        if tokens == 0 || k == 0 {
            return me;
        }
        type Row<'a> = (
            usize,
            (
                ((&'a mut [i8], &'a mut [f32]), &'a mut [f32]),
                &'a mut [i32],
            ),
        );
        let one = |(t, (((q, d), s), bias)): Row<'_>| {
            quantize_row(ty, &x[t * k..(t + 1) * k], q, d, s, bias);
        };
        if tokens > 1 && tokens * k >= 1 << 15 {
            me.q.par_chunks_mut(k)
                .zip(me.d.par_chunks_mut(nsub))
                .zip(me.s.par_chunks_mut(nsub))
                .zip(me.bias.par_chunks_mut(k / 4))
                .enumerate()
                .for_each(one);
        } else {
            me.q.chunks_mut(k)
                .zip(me.d.chunks_mut(nsub))
                .zip(me.s.chunks_mut(nsub))
                .zip(me.bias.chunks_mut(k / 4))
                .enumerate()
                .for_each(one);
        }
        me
    }
}

/// Quantizes one row and fills its sub-block summaries.
fn quantize_row(
    ty: QType,
    x: &[f32],
    q: &mut [i8],
    d: &mut [f32],
    s: &mut [f32],
    bias: &mut [i32],
) {
    let fmt = ty.act();
    let blk = fmt.block();
    let sub = ty.sub();
    let per = blk / sub;
    let b = ty.bias();
    for (bi, (xs, qs)) in x.chunks_exact(blk).zip(q.chunks_exact_mut(blk)).enumerate() {
        let scale = match fmt {
            ActFormat::Q8_0 | ActFormat::Q8_1 => quantize_q8_0(xs, qs),
            ActFormat::Q8K => quantize_q8k(xs, qs),
        };
        for (o, four) in bias[bi * blk / 4..(bi + 1) * blk / 4]
            .iter_mut()
            .zip(qs.chunks_exact(4))
        {
            *o = -b * four.iter().map(|&v| v as i32).sum::<i32>();
        }
        for j in 0..per {
            let at = bi * per + j;
            let sum: i32 = qs[j * sub..(j + 1) * sub].iter().map(|&v| v as i32).sum();
            d[at] = match fmt {
                ActFormat::Q8K => scale,
                _ => f16_to_f32(f32_to_f16(scale)),
            };
            s[at] = match fmt {
                // ggml stores s = d·Σq (with the unrounded d) as f16.
                ActFormat::Q8_1 => f16_to_f32(f32_to_f16(scale * sum as f32)),
                _ => d[at] * sum as f32,
            };
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
                let row = &a.q[(g * lanes + l) * k..][..k];
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

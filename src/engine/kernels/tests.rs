//! Property tests: every kernel on every instruction set of this CPU against a plain
//! dequantize-and-multiply reference (within the error the 8-bit activations allow), the SIMD
//! paths against the scalar one (same integers, so to float rounding), the SIMD unpackers
//! against the scalar ones (bit for bit), and the activation quantizers against ggml's rules.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::acts::{ActPanel, QActs};
use super::blocks::{dequantize_row, f16_to_f32, f32_to_f16, QType};
use super::unpack::{unpack_rows, WPanel};
use super::{matmul_with, Isa, QMatrix};

/// Byte ranges of the f16 scale/min fields of a block.
fn f16_fields(ty: QType) -> &'static [usize] {
    match ty {
        QType::Q4_0 | QType::Q5_0 | QType::Q8_0 => &[0],
        QType::Q4_1 | QType::Q5_1 | QType::Q4K | QType::Q5K => &[0, 2],
        QType::Q6K => &[208],
    }
}

/// Kinds of generated data.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Random codes, scales in ±[1e-3, 1].
    Random,
    /// Some blocks with zero scales (and mins).
    ZeroScales,
    /// Every code byte 0x00 or 0xFF (smallest/largest codes, Q8_0 −128 and 127).
    Extremes,
    /// Activations spanning many orders of magnitude, some rows all zero.
    WildActivations,
}

fn mode(i: u8) -> Mode {
    match i % 4 {
        0 => Mode::Random,
        1 => Mode::ZeroScales,
        2 => Mode::Extremes,
        _ => Mode::WildActivations,
    }
}

fn gen_weights(ty: QType, rows: usize, cols: usize, m: Mode, rng: &mut StdRng) -> Vec<u8> {
    let nblk = rows * cols / ty.block_values();
    let bb = ty.block_bytes();
    let mut data = vec![0u8; nblk * bb];
    for blk in data.chunks_exact_mut(bb) {
        match m {
            Mode::Extremes => {
                let b = if rng.random::<bool>() { 0xff } else { 0x00 };
                blk.fill(b);
            }
            _ => rng.fill(blk),
        }
        let zero = matches!(m, Mode::ZeroScales) && rng.random_range(0..3) == 0;
        for &at in f16_fields(ty) {
            let v: f32 = if zero {
                0.0
            } else {
                let mag = 10f32.powf(rng.random_range(-3.0..0.0));
                if rng.random::<bool>() {
                    mag
                } else {
                    -mag
                }
            };
            blk[at..at + 2].copy_from_slice(&f32_to_f16(v).to_le_bytes());
        }
    }
    data
}

fn gen_acts(tokens: usize, cols: usize, m: Mode, rng: &mut StdRng) -> Vec<f32> {
    let mut x: Vec<f32> = (0..tokens * cols)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    if let Mode::WildActivations = m {
        for row in x.chunks_mut(cols) {
            match rng.random_range(0..3) {
                0 => row.fill(0.0),
                1 => {
                    for v in row.iter_mut() {
                        *v *= 10f32.powf(rng.random_range(-6.0..4.0));
                    }
                }
                _ => {
                    let i = rng.random_range(0..cols);
                    row[i] = 1e4;
                }
            }
        }
    }
    x
}

/// Reference products in f64 and, per output, the error the 8-bit activations allow.
/// Also returns, per output, the scale of the float rounding: `Σ|w·x|`, where a type with
/// mins counts its two terms apart (`Σ|scale·(code − bias)·x| + Σ|min·x|`), since the kernels
/// sum them apart and they may nearly cancel in `w`.
#[allow(clippy::type_complexity)]
fn reference(
    ty: QType,
    w: &[u8],
    rows: usize,
    cols: usize,
    x: &[f32],
    tokens: usize,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let rb = ty.row_bytes(cols);
    let deq: Vec<Vec<f32>> = (0..rows)
        .map(|n| dequantize_row(ty, &w[n * rb..(n + 1) * rb], cols))
        .collect();
    let nsub = cols / ty.sub();
    let (mut codes, mut scales, mut mins) = (
        vec![0u8; rows * cols],
        vec![0f32; rows * nsub],
        vec![0f32; rows * nsub],
    );
    unpack_rows(Isa::Scalar, ty, w, cols, &mut codes, &mut scales, &mut mins);
    // |scale·(code − bias)| and |min| of every weight, in f64.
    let term = |n: usize, i: usize| {
        let sub = n * nsub + i / ty.sub();
        let c = (codes[n * cols + i] as i32 - ty.bias()) as f64;
        let min = if ty.has_min() { mins[sub] as f64 } else { 0.0 };
        ((scales[sub] as f64 * c).abs(), min.abs())
    };
    let blk = ty.act().block();
    let mut want = vec![0f64; tokens * rows];
    let mut tol = vec![0f64; tokens * rows];
    let mut mags = vec![0f64; tokens * rows];
    for t in 0..tokens {
        let xr = &x[t * cols..(t + 1) * cols];
        // Each activation moves by at most half a step of its block, plus the f16 rounding of the
        // block scale (up to 127 steps of 2^-11 relative).
        let err: Vec<f64> = xr
            .chunks(blk)
            .flat_map(|b| {
                let amax = b.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
                std::iter::repeat_n(amax * (0.5 / 127.0 + 1.0 / 1024.0), b.len())
            })
            .collect();
        for (n, wr) in deq.iter().enumerate() {
            let (mut s, mut e, mut mag) = (0f64, 0f64, 0f64);
            for (i, ((&wv, &xv), &ev)) in wr.iter().zip(xr).zip(&err).enumerate() {
                s += wv as f64 * xv as f64;
                e += (wv as f64).abs() * ev;
                let (scaled, min) = term(n, i);
                mag += (scaled + min).max((wv as f64).abs()) * (xv as f64).abs();
            }
            want[t * rows + n] = s;
            mags[t * rows + n] = mag + e;
            // Q8_1's `s` is f16-rounded: its min term may move by 2^-11 of |min · s|, which
            // is below |min| · Σ|x| · 2^-10.
            tol[t * rows + n] =
                e * 1.01 + mag * 2e-5 + 1e-6 + if ty.has_min() { e * 0.2 } else { 0.0 };
        }
    }
    (want, tol, mags)
}

fn run_case(
    ty: QType,
    rows: usize,
    blocks: usize,
    tokens: usize,
    seed: u64,
    m: Mode,
) -> Result<(), TestCaseError> {
    let cols = blocks * ty.block_values();
    let mut rng = StdRng::seed_from_u64(seed);
    let w = gen_weights(ty, rows, cols, m, &mut rng);
    let x = gen_acts(tokens, cols, m, &mut rng);
    let q = QMatrix::new(ty, rows, cols, &w).unwrap();
    let (want, tol, mag) = reference(ty, &w, rows, cols, &x, tokens);
    let mut base = vec![0f32; tokens * rows];
    matmul_with(Isa::Scalar, &q, &x, tokens, &mut base);
    for (i, (&got, (&w, &t))) in base.iter().zip(want.iter().zip(&tol)).enumerate() {
        prop_assert!(
            (got as f64 - w).abs() <= t,
            "{ty:?} scalar out[{i}] = {got}, reference {w}, allowed ±{t}"
        );
    }
    for isa in Isa::available().into_iter().skip(1) {
        let mut got = vec![0f32; tokens * rows];
        matmul_with(isa, &q, &x, tokens, &mut got);
        for (i, (&g, (&b, &m))) in got.iter().zip(base.iter().zip(&mag)).enumerate() {
            // Same integers as the scalar path; only the f32 summation order differs, by a
            // few ulps of the sum of magnitudes.
            let allowed = 1e-5 * m + 1e-7;
            prop_assert!(
                (g as f64 - b as f64).abs() <= allowed,
                "{ty:?} {isa:?} tokens {tokens} rows {rows}: out[{i}] = {g}, scalar {b}"
            );
        }
    }
    Ok(())
}

fn qtype() -> impl Strategy<Value = QType> {
    prop::sample::select(QType::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Decoding shapes: 1–5 tokens (the few-token kernel).
    #[test]
    fn few_tokens_match_reference(ty in qtype(), rows in 1usize..12, blocks in 1usize..4,
                                  tokens in 1usize..6, seed: u64, m in 0u8..4) {
        let blocks = if ty.block_values() == 256 { blocks.min(2) } else { blocks * 3 };
        run_case(ty, rows, blocks, tokens, seed, mode(m))?;
    }

    /// Prefill shapes: 6–40 tokens (partial token groups), row counts not a multiple of tiles.
    #[test]
    fn many_tokens_match_reference(ty in qtype(), rows in 1usize..21, blocks in 1usize..3,
                                   tokens in 6usize..41, seed: u64, m in 0u8..4) {
        let blocks = if ty.block_values() == 256 { blocks } else { blocks * 4 };
        run_case(ty, rows, blocks, tokens, seed, mode(m))?;
    }

    /// The SIMD unpackers produce the scalar codes, scales and mins bit for bit.
    #[test]
    fn unpackers_agree(ty in qtype(), rows in 1usize..4, blocks in 1usize..3, seed: u64, m in 0u8..4) {
        let cols = blocks * ty.block_values();
        let mut rng = StdRng::seed_from_u64(seed);
        let w = gen_weights(ty, rows, cols, mode(m), &mut rng);
        let nsub = cols / ty.sub();
        let unpack = |isa| {
            let (mut c, mut s, mut mi) = (vec![0u8; rows * cols], vec![0f32; rows * nsub], vec![0f32; rows * nsub]);
            unpack_rows(isa, ty, &w, cols, &mut c, &mut s, &mut mi);
            (c, s.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), mi.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
        };
        let base = unpack(Isa::Scalar);
        prop_assert!(base.0.iter().all(|&c| c <= ty.max_code()));
        for isa in Isa::available().into_iter().skip(1) {
            prop_assert_eq!(&unpack(isa), &base, "{:?} on {:?}", ty, isa);
            let mut a = WPanel::default();
            let mut b = WPanel::default();
            a.fill(Isa::Scalar, ty, &w, cols, rows + 3, false);
            b.fill(isa, ty, &w, cols, rows + 3, false);
            prop_assert_eq!(&a.codes, &b.codes);
            prop_assert_eq!(&a.corr, &b.corr);
        }
    }
}

#[test]
fn larger_shapes_match_on_every_isa() {
    // A few real-model-like widths (896 = 28 legacy blocks, 1,536 = 6 super-blocks).
    for (i, &ty) in QType::ALL.iter().enumerate() {
        let blocks = if ty.block_values() == 256 { 6 } else { 28 };
        run_case(ty, 37, blocks, 1, 100 + i as u64, Mode::Random).unwrap();
        run_case(ty, 19, blocks, 35, 200 + i as u64, Mode::Random).unwrap();
    }
}

#[test]
fn f16_round_trips_and_matches_f16c() {
    for h in 0..=u16::MAX {
        let f = f16_to_f32(h);
        if !f.is_nan() {
            assert_eq!(f32_to_f16(f), h, "{h:#06x} -> {f}");
        }
    }
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("f16c") {
        let mut rng = StdRng::seed_from_u64(5);
        for i in 0..200_000u32 {
            let f = match i % 3 {
                0 => f32::from_bits(rng.random()),
                1 => rng.random_range(-70000.0f32..70000.0),
                _ => rng.random_range(-1e-4f32..1e-4),
            };
            if f.is_nan() {
                continue;
            }
            // SAFETY: F16C was detected.
            let hw = unsafe { f16c_convert(f) };
            assert_eq!(f32_to_f16(f), hw, "{f:e}");
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "f16c")]
unsafe fn f16c_convert(f: f32) -> u16 {
    use std::arch::x86_64::*;
    let v = _mm_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(_mm_set_ss(f));
    _mm_extract_epi16::<0>(v) as u16
}

#[test]
fn activations_quantize_as_ggml_does() {
    for isa in Isa::available() {
        // Q8_0: d = amax/127 (stored as f16), codes rounded half to even.
        let mut x = vec![0f32; 32];
        x[0] = 127.0;
        x[1] = 2.5;
        x[2] = 3.5;
        x[3] = -2.5;
        x[4] = -0.4;
        let a = QActs::quantize(isa, QType::Q8_0, &x, 1, 32);
        assert_eq!(&a.q[..5], &[127, 2, 4, -2, 0], "{isa:?}");
        assert_eq!(a.d4[0], 1.0);
        assert_eq!(a.bias[0], -128 * (127 + 2 + 4 - 2));
        assert_eq!(a.bias[1], 0);
        // Q8_1 (for Q4_1): s = f16(d · Σq), spread over 8 lanes.
        let a = QActs::quantize(isa, QType::Q4_1, &x, 1, 32);
        assert_eq!(a.s4[0] * 8.0, 131.0);
        assert_eq!(a.bias[0], 0);
        // Q8_K: scaled by −127/max with max the signed value of largest magnitude.
        let mut x = vec![0f32; 256];
        x[0] = 1.0;
        x[1] = -2.0;
        let a = QActs::quantize(isa, QType::Q4K, &x, 1, 256);
        assert_eq!(&a.q[..2], &[64, -127], "{isa:?}");
        assert_eq!(a.d4[0], 1.0 / 63.5);
        // An all-zero block has scale 0 and zero codes.
        let a = QActs::quantize(isa, QType::Q6K, &[0.0; 256], 1, 256);
        assert!(a.q.iter().all(|&q| q == 0) && a.d4.iter().all(|&d| d == 0.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Every instruction set quantizes activations to the same codes and scales, and the
    /// many-token panel holds the same values as the row layout.
    #[test]
    fn activation_layouts_agree(ty in qtype(), tokens in 1usize..20, blocks in 1usize..3, seed: u64, m in 0u8..4) {
        let k = blocks * ty.act().block().max(ty.block_values());
        let mut rng = StdRng::seed_from_u64(seed);
        let x = gen_acts(tokens, k, mode(m), &mut rng);
        let base = QActs::quantize(Isa::Scalar, ty, &x, tokens, k);
        for isa in Isa::available() {
            let a = QActs::quantize(isa, ty, &x, tokens, k);
            prop_assert_eq!(&a.q, &base.q);
            prop_assert_eq!(&a.bias, &base.bias);
            prop_assert_eq!(&a.d4, &base.d4);
            prop_assert_eq!(&a.s4, &base.s4);
            let lanes = if isa == Isa::Avx512 { 16 } else { 8 };
            let mut p = ActPanel::default();
            p.quantize(isa, ty, &x, tokens, k, lanes);
            let lanes_per_sub = ty.sub() / 4;
            for t in 0..tokens {
                let (g, l) = (t / lanes, t % lanes);
                for i in 0..k {
                    let y = p.y[((g * k / 4 + i / 4) * lanes + l) * 4 + i % 4];
                    prop_assert_eq!(y ^ 0x80, base.q[t * base.kp + i] as u8);
                }
                for sb in 0..k / ty.sub() {
                    let at = (g * p.nsub + sb) * lanes + l;
                    let lane = t * base.kp / 4 + sb * lanes_per_sub;
                    prop_assert_eq!(p.d[at], base.d4[lane]);
                    if ty.has_min() {
                        prop_assert_eq!(p.s[at], base.s4[lane] * lanes_per_sub as f32);
                    }
                }
            }
        }
    }
}

#[test]
fn reused_activation_buffers_match_fresh_ones() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut reused = QActs::quantize(Isa::Scalar, QType::Q8_0, &[], 0, 32);
    for round in 0..24 {
        let ty = QType::ALL[round % 8];
        // Row lengths that leave padding (32 · odd) and bigger ones before smaller ones.
        let k = ty.block_values() * [3, 1, 5, 2][round % 4];
        let tokens = 1 + round % 3;
        let x = gen_acts(tokens, k, Mode::Random, &mut rng);
        let isa = *Isa::available().last().unwrap();
        reused.quantize_into(isa, ty, &x, tokens, k);
        let fresh = QActs::quantize(isa, ty, &x, tokens, k);
        assert_eq!(reused.q, fresh.q, "{ty:?} {k}");
        assert_eq!(reused.bias, fresh.bias);
        assert_eq!(reused.d4, fresh.d4);
        assert_eq!(reused.s4, fresh.s4);
        assert_eq!(reused.s, fresh.s);
    }
}

#[test]
fn every_output_is_written() {
    for &ty in &QType::ALL {
        let (rows, cols) = (13, 2 * ty.block_values());
        let mut rng = StdRng::seed_from_u64(9);
        let w = gen_weights(ty, rows, cols, Mode::Random, &mut rng);
        let q = QMatrix::new(ty, rows, cols, &w).unwrap();
        for isa in Isa::available() {
            for tokens in [1, 3, 7, 17] {
                let x = gen_acts(tokens, cols, Mode::Random, &mut rng);
                let mut out = vec![f32::NAN; tokens * rows];
                matmul_with(isa, &q, &x, tokens, &mut out);
                assert!(out.iter().all(|v| v.is_finite()), "{ty:?} {isa:?} {tokens}");
            }
        }
    }
}

#[test]
fn mismatched_shapes_are_refused() {
    assert!(QMatrix::new(QType::Q4K, 2, 896, &[0; 2 * 3 * 144]).is_err());
    assert!(QMatrix::new(QType::Q8_0, 2, 64, &[0; 100]).is_err());
    assert!(QMatrix::new(QType::Q8_0, 2, 64, &[0; 136]).is_ok());
}

//! The GGUF block formats our kernels read (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K),
//! their scalar unpacking into one common form, and the f16 conversions they need. The scalar
//! code here is the reference every SIMD unpacker is tested against.
//!
//! The common form: every weight is `scale · (code − bias) + min`, where `code` is an unsigned
//! byte (the raw 4/5/6/8-bit quant; Q8_0's signed byte with its sign bit flipped), `bias` is a
//! constant of the type, and `scale`/`min` are f32 values shared by a *sub-block* of 32 weights
//! (16 for Q6_K). The k-quants' super-block scale is folded in: Q4_K's sub-block scale is
//! `d · sc` and its min `−dmin · m`. This is exactly the value ggml dequantizes, and the integer
//! part `Σ code · activation` is what ggml's dot products compute before applying scales.

use candle_core::quantized::GgmlDType;

/// A weight storage type the kernels handle.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QType {
    /// 32 weights: f16 scale, 4-bit codes, value `d·(q − 8)`.
    Q4_0,
    /// 32 weights: f16 scale and min, 4-bit codes, value `d·q + m`.
    Q4_1,
    /// 32 weights: f16 scale, 5-bit codes, value `d·(q − 16)`.
    Q5_0,
    /// 32 weights: f16 scale and min, 5-bit codes, value `d·q + m`.
    Q5_1,
    /// 32 weights: f16 scale, signed bytes.
    Q8_0,
    /// 256 weights: f16 `d`/`dmin`, eight 6-bit scale/min pairs, 4-bit codes.
    Q4K,
    /// 256 weights: as Q4_K with a fifth bit per code.
    Q5K,
    /// 256 weights: f16 `d`, sixteen i8 scales, 6-bit codes centred on 32.
    Q6K,
}

/// How activations are quantized to 8 bits for a weight type (ggml's `vec_dot_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActFormat {
    /// Blocks of 32, `d = amax/127` stored as f16, codes rounded to nearest (ties to even).
    Q8_0,
    /// As Q8_0, plus `s = d · Σq` stored as f16 (for types with a min).
    Q8_1,
    /// Blocks of 256, `d = −max/127` kept in f32 (`max`: the value of largest magnitude).
    Q8K,
}

impl ActFormat {
    /// Values per activation block.
    pub const fn block(self) -> usize {
        match self {
            ActFormat::Q8_0 | ActFormat::Q8_1 => 32,
            ActFormat::Q8K => 256,
        }
    }
}

impl QType {
    /// Every type, for tests and tables.
    pub const ALL: [QType; 8] = [
        QType::Q4_0,
        QType::Q4_1,
        QType::Q5_0,
        QType::Q5_1,
        QType::Q8_0,
        QType::Q4K,
        QType::Q5K,
        QType::Q6K,
    ];

    /// The type for a candle dtype, if the kernels handle it.
    pub fn from_ggml(d: GgmlDType) -> Option<Self> {
        Some(match d {
            GgmlDType::Q4_0 => QType::Q4_0,
            GgmlDType::Q4_1 => QType::Q4_1,
            GgmlDType::Q5_0 => QType::Q5_0,
            GgmlDType::Q5_1 => QType::Q5_1,
            GgmlDType::Q8_0 => QType::Q8_0,
            GgmlDType::Q4K => QType::Q4K,
            GgmlDType::Q5K => QType::Q5K,
            GgmlDType::Q6K => QType::Q6K,
            _ => return None,
        })
    }

    /// The candle dtype.
    pub fn ggml(self) -> GgmlDType {
        match self {
            QType::Q4_0 => GgmlDType::Q4_0,
            QType::Q4_1 => GgmlDType::Q4_1,
            QType::Q5_0 => GgmlDType::Q5_0,
            QType::Q5_1 => GgmlDType::Q5_1,
            QType::Q8_0 => GgmlDType::Q8_0,
            QType::Q4K => GgmlDType::Q4K,
            QType::Q5K => GgmlDType::Q5K,
            QType::Q6K => GgmlDType::Q6K,
        }
    }

    /// Weights per block.
    pub const fn block_values(self) -> usize {
        match self {
            QType::Q4K | QType::Q5K | QType::Q6K => 256,
            _ => 32,
        }
    }

    /// Bytes per block.
    pub const fn block_bytes(self) -> usize {
        match self {
            QType::Q4_0 => 18,
            QType::Q4_1 => 20,
            QType::Q5_0 => 22,
            QType::Q5_1 => 24,
            QType::Q8_0 => 34,
            QType::Q4K => 144,
            QType::Q5K => 176,
            QType::Q6K => 210,
        }
    }

    /// Weights per sub-block (one scale and min each).
    pub const fn sub(self) -> usize {
        match self {
            QType::Q6K => 16,
            _ => 32,
        }
    }

    /// The constant subtracted from every code.
    pub const fn bias(self) -> i32 {
        match self {
            QType::Q4_0 => 8,
            QType::Q5_0 => 16,
            QType::Q8_0 => 128,
            QType::Q6K => 32,
            QType::Q4_1 | QType::Q5_1 | QType::Q4K | QType::Q5K => 0,
        }
    }

    /// Whether sub-blocks carry a min (an additive offset).
    pub const fn has_min(self) -> bool {
        matches!(self, QType::Q4_1 | QType::Q5_1 | QType::Q4K | QType::Q5K)
    }

    /// Largest code.
    pub const fn max_code(self) -> u8 {
        match self {
            QType::Q4_0 | QType::Q4_1 | QType::Q4K => 15,
            QType::Q5_0 | QType::Q5_1 | QType::Q5K => 31,
            QType::Q6K => 63,
            QType::Q8_0 => 255,
        }
    }

    /// How activations are quantized for this type.
    pub const fn act(self) -> ActFormat {
        match self {
            QType::Q4_1 | QType::Q5_1 => ActFormat::Q8_1,
            QType::Q4K | QType::Q5K | QType::Q6K => ActFormat::Q8K,
            _ => ActFormat::Q8_0,
        }
    }

    /// Bytes of one row of `k` weights (`k` a multiple of the block size).
    pub const fn row_bytes(self, k: usize) -> usize {
        k / self.block_values() * self.block_bytes()
    }
}

/// An IEEE half-precision value (as stored in GGUF) to f32, exactly.
#[inline]
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h as u32) & 0x8000) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    if exp == 0 {
        // Zero or subnormal: man · 2^-24, exact in f32.
        let v = man as f32 * (1.0 / 16_777_216.0);
        return f32::from_bits(v.to_bits() | sign);
    }
    if exp == 31 {
        return f32::from_bits(sign | 0x7f80_0000 | (man << 13));
    }
    f32::from_bits(sign | ((exp + 112) << 23) | (man << 13))
}

/// f32 to half precision, rounding to nearest with ties to even (as F16C and ggml do).
#[inline]
pub fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x7f_ffff;
    if exp == 255 {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    let e = exp - 112;
    if e >= 31 {
        return sign | 0x7c00;
    }
    let round = |v: u32, shift: u32| -> u32 {
        let kept = v >> shift;
        let rem = v & ((1 << shift) - 1);
        let half = 1 << (shift - 1);
        if rem > half || (rem == half && kept & 1 == 1) {
            kept + 1
        } else {
            kept
        }
    };
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        // Subnormal half: units of 2^-24.
        return sign | round(man | 0x80_0000, (14 - e) as u32) as u16;
    }
    // A carry out of the mantissa correctly bumps the exponent (up to infinity).
    sign | round(((e as u32) << 23) | man, 13) as u16
}

/// Reads the little-endian f16 at `b[at..at + 2]` as f32.
#[inline]
pub(crate) fn f16_at(b: &[u8], at: usize) -> f32 {
    f16_to_f32(u16::from_le_bytes([b[at], b[at + 1]]))
}

/// Q4_K/Q5_K: the 6-bit scale and min of sub-block `j` from the 12 packed bytes.
#[inline]
pub(crate) fn k4_scale_min(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Unpacks one block into the common form: `codes` gets `block_values` codes, `scale` and `min`
/// one value per sub-block (`min` is left untouched for types without one).
pub fn unpack_block(ty: QType, b: &[u8], codes: &mut [u8], scale: &mut [f32], min: &mut [f32]) {
    match ty {
        QType::Q4_0 | QType::Q4_1 | QType::Q5_0 | QType::Q5_1 => {
            let with_min = ty.has_min();
            let five = matches!(ty, QType::Q5_0 | QType::Q5_1);
            scale[0] = f16_at(b, 0);
            let mut at = 2;
            if with_min {
                min[0] = f16_at(b, 2);
                at = 4;
            }
            let qh = if five {
                at += 4;
                u32::from_le_bytes([b[at - 4], b[at - 3], b[at - 2], b[at - 1]])
            } else {
                0
            };
            for j in 0..16 {
                let q = b[at + j];
                codes[j] = (q & 0xf) | ((((qh >> j) & 1) as u8) << 4);
                codes[j + 16] = (q >> 4) | ((((qh >> (j + 16)) & 1) as u8) << 4);
            }
        }
        QType::Q8_0 => {
            scale[0] = f16_at(b, 0);
            for j in 0..32 {
                codes[j] = b[2 + j] ^ 0x80;
            }
        }
        QType::Q4K | QType::Q5K => {
            let d = f16_at(b, 0);
            let dmin = f16_at(b, 2);
            let sc = &b[4..16];
            for j in 0..8 {
                let (s, m) = k4_scale_min(j, sc);
                scale[j] = d * s as f32;
                min[j] = -dmin * m as f32;
            }
            let (qh, qs) = if ty == QType::Q5K {
                (Some(&b[16..48]), &b[48..176])
            } else {
                (None, &b[16..144])
            };
            for j in 0..4 {
                for l in 0..32 {
                    let q = qs[32 * j + l];
                    let (mut lo, mut hi) = (q & 0xf, q >> 4);
                    if let Some(qh) = qh {
                        lo |= ((qh[l] >> (2 * j)) & 1) << 4;
                        hi |= ((qh[l] >> (2 * j + 1)) & 1) << 4;
                    }
                    codes[64 * j + l] = lo;
                    codes[64 * j + 32 + l] = hi;
                }
            }
        }
        QType::Q6K => {
            let (ql, qh, sc) = (&b[0..128], &b[128..192], &b[192..208]);
            let d = f16_at(b, 208);
            for (i, s) in sc.iter().enumerate() {
                scale[i] = d * (*s as i8) as f32;
            }
            for n in 0..2 {
                let (ql, qh) = (&ql[64 * n..], &qh[32 * n..]);
                let out = &mut codes[128 * n..];
                for l in 0..32 {
                    out[l] = (ql[l] & 0xf) | ((qh[l] & 3) << 4);
                    out[l + 32] = (ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4);
                    out[l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
                    out[l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
                }
            }
        }
    }
}

/// Dequantizes one row of `k` weights to f32 (the plain reference the tests compare against).
pub fn dequantize_row(ty: QType, row: &[u8], k: usize) -> Vec<f32> {
    let bv = ty.block_values();
    let ns = bv / ty.sub();
    let mut out = Vec::with_capacity(k);
    let (mut codes, mut scale, mut min) = (vec![0u8; bv], vec![0f32; ns], vec![0f32; ns]);
    for blk in row.chunks_exact(ty.block_bytes()).take(k / bv) {
        unpack_block(ty, blk, &mut codes, &mut scale, &mut min);
        for (i, &c) in codes.iter().enumerate() {
            let s = i / ty.sub();
            out.push(scale[s] * (c as i32 - ty.bias()) as f32 + min[s]);
        }
    }
    out
}

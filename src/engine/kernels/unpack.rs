//! Unpacking weight rows from their GGUF blocks into the common form of [`super::blocks`]
//! (one unsigned byte per weight, f32 scale and min per sub-block), with an AVX2 version of
//! every type's bit-twiddling, and the signed panel the many-token kernels read.

use super::blocks::{unpack_block, QType};
use super::Isa;

/// Unpacks whole rows: `src` holds rows of `k` weights of type `ty`; `codes` gets `k` bytes per
/// row, `scale` and `min` `k / sub` values per row (`min` untouched for types without one).
pub fn unpack_rows(
    isa: Isa,
    ty: QType,
    src: &[u8],
    k: usize,
    codes: &mut [u8],
    scale: &mut [f32],
    min: &mut [f32],
) {
    let rb = ty.row_bytes(k);
    let rows = src.len() / rb;
    let nsub = k / ty.sub();
    assert!(codes.len() >= rows * k && scale.len() >= rows * nsub);
    assert!(!ty.has_min() || min.len() >= rows * nsub);
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Scalar {
        // SAFETY: every Isa other than Scalar is only chosen when AVX2 and FMA are present;
        // the lengths were checked above.
        unsafe { avx2::unpack_rows(ty, &src[..rows * rb], k, codes, scale, min) };
        return;
    }
    let _ = isa;
    let (bv, bb, ns) = (
        ty.block_values(),
        ty.block_bytes(),
        ty.block_values() / ty.sub(),
    );
    let mut none = [0f32; 16];
    for (i, blk) in src[..rows * rb].chunks_exact(bb).enumerate() {
        let m: &mut [f32] = if ty.has_min() {
            &mut min[i * ns..(i + 1) * ns]
        } else {
            &mut none[..ns]
        };
        unpack_block(
            ty,
            blk,
            &mut codes[i * bv..(i + 1) * bv],
            &mut scale[i * ns..(i + 1) * ns],
            m,
        );
    }
}

/// Weight rows prepared for the many-token kernels: signed codes `code − bias` and, per
/// sub-block, `corr = −128 · Σ(code − bias)` (the kernels multiply `activation + 128`).
#[derive(Debug, Default)]
pub struct WPanel {
    /// Values per row.
    pub k: usize,
    /// Sub-blocks per row.
    pub nsub: usize,
    /// Rows held (a multiple of the tile height; padding rows are all zero).
    pub rows: usize,
    /// `rows × k` signed codes (as bytes). With `split`: the upper half `⌊w/2⌋`.
    pub codes: Vec<u8>,
    /// With `split` only: the lower half `w − ⌊w/2⌋`, so each half fits `maddubs` (|h| ≤ 64).
    pub codes2: Vec<u8>,
    /// `rows × nsub` scales.
    pub scale: Vec<f32>,
    /// `rows × nsub` mins (types with a min only).
    pub min: Vec<f32>,
    /// `rows × nsub` integer corrections.
    pub corr: Vec<i32>,
}

impl WPanel {
    /// Fills the panel with the rows in `src` (type `ty`, `k` per row), padded with zero rows to
    /// `rows`. `split` halves every code (needed by plain AVX2 for Q8_0).
    pub fn fill(&mut self, isa: Isa, ty: QType, src: &[u8], k: usize, rows: usize, split: bool) {
        let nsub = k / ty.sub();
        let n = src.len() / ty.row_bytes(k);
        debug_assert!(n <= rows);
        self.k = k;
        self.nsub = nsub;
        self.rows = rows;
        grow(&mut self.codes, rows * k);
        grow(&mut self.scale, rows * nsub);
        grow(&mut self.corr, rows * nsub);
        if ty.has_min() {
            grow(&mut self.min, rows * nsub);
        }
        unpack_rows(
            isa,
            ty,
            src,
            k,
            &mut self.codes,
            &mut self.scale,
            &mut self.min,
        );
        self.codes[n * k..rows * k].fill(ty.bias() as u8);
        self.scale[n * nsub..rows * nsub].fill(0.0);
        if ty.has_min() {
            self.min[n * nsub..rows * nsub].fill(0.0);
        }
        let sub = ty.sub();
        let bias = ty.bias();
        #[cfg(target_arch = "x86_64")]
        if isa != Isa::Scalar {
            // SAFETY: AVX2 is present for every Isa but Scalar; lengths were set above.
            unsafe {
                avx2::sign_codes(
                    &mut self.codes[..rows * k],
                    &mut self.corr[..rows * nsub],
                    sub,
                    bias,
                )
            };
        } else {
            sign_codes(
                &mut self.codes[..rows * k],
                &mut self.corr[..rows * nsub],
                sub,
                bias,
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        sign_codes(
            &mut self.codes[..rows * k],
            &mut self.corr[..rows * nsub],
            sub,
            bias,
        );
        if split {
            grow(&mut self.codes2, rows * k);
            for (h, l) in self.codes[..rows * k]
                .iter_mut()
                .zip(&mut self.codes2[..rows * k])
            {
                let w = *h as i8;
                let hi = w >> 1;
                *h = hi as u8;
                *l = (w - hi) as u8;
            }
        }
    }
}

fn grow<T: Default + Clone>(v: &mut Vec<T>, n: usize) {
    if v.len() < n {
        v.resize(n, T::default());
    }
}

/// Scalar version of [`avx2::sign_codes`].
fn sign_codes(codes: &mut [u8], corr: &mut [i32], sub: usize, bias: i32) {
    for (c, out) in codes.chunks_exact_mut(sub).zip(corr.iter_mut()) {
        let mut sum = 0i32;
        for v in c.iter_mut() {
            let w = *v as i32 - bias;
            sum += w;
            *v = w as i8 as u8;
        }
        *out = -128 * sum;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::super::blocks::QType;

    /// The f16 at `p` as f32 (F16C).
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn h(p: *const u8) -> f32 {
        _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(
            std::ptr::read_unaligned(p as *const u16) as i32,
        )))
    }

    /// Codes minus `bias` in place, and `−128 · Σ` of each `sub` codes into `corr`.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn sign_codes(codes: &mut [u8], corr: &mut [i32], sub: usize, bias: i32) {
        let b = _mm256_set1_epi8(bias as u8 as i8);
        let zero = _mm256_setzero_si256();
        let p = codes.as_mut_ptr();
        // Σ(code − bias) = Σcode − bias · sub; the byte sums come from `sad` on the raw codes.
        let step = 32;
        let mut i = 0;
        let mut s = 0;
        while i < codes.len() {
            let v = _mm256_loadu_si256(p.add(i) as *const __m256i);
            let sad = _mm256_sad_epu8(v, zero);
            _mm256_storeu_si256(p.add(i) as *mut __m256i, _mm256_sub_epi8(v, b));
            if sub == 32 {
                let t = _mm_add_epi64(
                    _mm256_castsi256_si128(sad),
                    _mm256_extracti128_si256(sad, 1),
                );
                let tot = _mm_cvtsi128_si32(t) + _mm_extract_epi32(t, 2);
                corr[s] = -128 * (tot - bias * 32);
                s += 1;
            } else {
                let lo = _mm256_castsi256_si128(sad);
                let hi = _mm256_extracti128_si256(sad, 1);
                let a = _mm_cvtsi128_si32(lo) + _mm_extract_epi32(lo, 2);
                let c = _mm_cvtsi128_si32(hi) + _mm_extract_epi32(hi, 2);
                corr[s] = -128 * (a - bias * 16);
                corr[s + 1] = -128 * (c - bias * 16);
                s += 2;
            }
            i += step;
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn nibbles(qs: *const u8) -> __m256i {
        let x = _mm_loadu_si128(qs as *const __m128i);
        let m4 = _mm_set1_epi8(0x0f);
        let lo = _mm_and_si128(x, m4);
        let hi = _mm_and_si128(_mm_srli_epi16(x, 4), m4);
        _mm256_set_m128i(hi, lo)
    }

    /// Byte `j` of the result is 0x10 when bit `j` of `bits` is set.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn bits_to_0x10(bits: u32) -> __m256i {
        let v = _mm256_set1_epi32(bits as i32);
        let shuf = _mm256_setr_epi8(
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
            3, 3, 3,
        );
        let v = _mm256_shuffle_epi8(v, shuf);
        let mask = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
        let set = _mm256_cmpeq_epi8(_mm256_and_si256(v, mask), mask);
        _mm256_and_si256(set, _mm256_set1_epi8(0x10))
    }

    /// Bits `shift..shift+width` of every byte of `v`, moved to bit 4 upward.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn high_bits(v: __m256i, shift: i32, mask: i8) -> __m256i {
        let s = _mm256_srl_epi16(v, _mm_cvtsi32_si128(shift));
        _mm256_slli_epi16(_mm256_and_si256(s, _mm256_set1_epi8(mask)), 4)
    }

    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn store(p: *mut u8, v: __m256i) {
        _mm256_storeu_si256(p as *mut __m256i, v)
    }

    /// Eight u8 (low 8 bytes of `x`) times `d` as f32, stored at `out`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn u8x8_scaled(x: u64, d: f32, out: *mut f32) {
        let v = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(x as i64));
        _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(d)));
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn unpack_rows(
        ty: QType,
        src: &[u8],
        _k: usize,
        codes: &mut [u8],
        scale: &mut [f32],
        min: &mut [f32],
    ) {
        let bb = ty.block_bytes();
        let nblk = src.len() / bb;
        let (c, s, m, b) = (
            codes.as_mut_ptr(),
            scale.as_mut_ptr(),
            min.as_mut_ptr(),
            src.as_ptr(),
        );
        match ty {
            QType::Q4_0 => {
                for i in 0..nblk {
                    let p = b.add(i * bb);
                    *s.add(i) = h(p);
                    store(c.add(32 * i), nibbles(p.add(2)));
                }
            }
            QType::Q4_1 => {
                for i in 0..nblk {
                    let p = b.add(i * bb);
                    *s.add(i) = h(p);
                    *m.add(i) = h(p.add(2));
                    store(c.add(32 * i), nibbles(p.add(4)));
                }
            }
            QType::Q5_0 => {
                for i in 0..nblk {
                    let p = b.add(i * bb);
                    *s.add(i) = h(p);
                    let qh = std::ptr::read_unaligned(p.add(2) as *const u32);
                    store(
                        c.add(32 * i),
                        _mm256_or_si256(nibbles(p.add(6)), bits_to_0x10(qh)),
                    );
                }
            }
            QType::Q5_1 => {
                for i in 0..nblk {
                    let p = b.add(i * bb);
                    *s.add(i) = h(p);
                    *m.add(i) = h(p.add(2));
                    let qh = std::ptr::read_unaligned(p.add(4) as *const u32);
                    store(
                        c.add(32 * i),
                        _mm256_or_si256(nibbles(p.add(8)), bits_to_0x10(qh)),
                    );
                }
            }
            QType::Q8_0 => {
                let flip = _mm256_set1_epi8(-128);
                for i in 0..nblk {
                    let p = b.add(i * bb);
                    *s.add(i) = h(p);
                    let v = _mm256_loadu_si256(p.add(2) as *const __m256i);
                    store(c.add(32 * i), _mm256_xor_si256(v, flip));
                }
            }
            QType::Q4K | QType::Q5K => {
                let five = ty == QType::Q5K;
                let m4 = _mm256_set1_epi8(0x0f);
                for i in 0..nblk {
                    let p = b.add(i * bb);
                    let d = h(p);
                    let dmin = h(p.add(2));
                    let a = std::ptr::read_unaligned(p.add(4) as *const u32);
                    let bq = std::ptr::read_unaligned(p.add(8) as *const u32);
                    let cq = std::ptr::read_unaligned(p.add(12) as *const u32);
                    // Sub-blocks 0..4 keep the low 6 bits of bytes 0..4 (scales) and 4..8 (mins);
                    // 4..8 take 4 bits from bytes 8..12 and their top 2 bits from the top of
                    // bytes 0..4 / 4..8.
                    let sc_lo = a & 0x3f3f_3f3f;
                    let mn_lo = bq & 0x3f3f_3f3f;
                    let sc_hi = (cq & 0x0f0f_0f0f) | ((a >> 2) & 0x3030_3030);
                    let mn_hi = ((cq >> 4) & 0x0f0f_0f0f) | ((bq >> 2) & 0x3030_3030);
                    u8x8_scaled(sc_lo as u64 | (sc_hi as u64) << 32, d, s.add(8 * i));
                    u8x8_scaled(mn_lo as u64 | (mn_hi as u64) << 32, -dmin, m.add(8 * i));
                    let (qh, qs) = if five {
                        (p.add(16), p.add(48))
                    } else {
                        (p, p.add(16))
                    };
                    let hb = if five {
                        _mm256_loadu_si256(qh as *const __m256i)
                    } else {
                        _mm256_setzero_si256()
                    };
                    for j in 0..4 {
                        let x = _mm256_loadu_si256(qs.add(32 * j) as *const __m256i);
                        let mut lo = _mm256_and_si256(x, m4);
                        let mut hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
                        if five {
                            lo = _mm256_or_si256(lo, high_bits(hb, 2 * j as i32, 1));
                            hi = _mm256_or_si256(hi, high_bits(hb, 2 * j as i32 + 1, 1));
                        }
                        store(c.add(256 * i + 64 * j), lo);
                        store(c.add(256 * i + 64 * j + 32), hi);
                    }
                }
            }
            QType::Q6K => {
                let m4 = _mm256_set1_epi8(0x0f);
                for i in 0..nblk {
                    let p = b.add(i * bb);
                    let d = h(p.add(208));
                    let sc = _mm_loadu_si128(p.add(192) as *const __m128i);
                    let dv = _mm256_set1_ps(d);
                    let s0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sc));
                    let s1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(sc, 8)));
                    _mm256_storeu_ps(s.add(16 * i), _mm256_mul_ps(s0, dv));
                    _mm256_storeu_ps(s.add(16 * i + 8), _mm256_mul_ps(s1, dv));
                    for n in 0..2 {
                        let ql0 = _mm256_loadu_si256(p.add(64 * n) as *const __m256i);
                        let ql1 = _mm256_loadu_si256(p.add(64 * n + 32) as *const __m256i);
                        let qh = _mm256_loadu_si256(p.add(128 + 32 * n) as *const __m256i);
                        let o = c.add(256 * i + 128 * n);
                        store(
                            o,
                            _mm256_or_si256(_mm256_and_si256(ql0, m4), high_bits(qh, 0, 3)),
                        );
                        store(
                            o.add(32),
                            _mm256_or_si256(_mm256_and_si256(ql1, m4), high_bits(qh, 2, 3)),
                        );
                        store(
                            o.add(64),
                            _mm256_or_si256(
                                _mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                high_bits(qh, 4, 3),
                            ),
                        );
                        store(
                            o.add(96),
                            _mm256_or_si256(
                                _mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                high_bits(qh, 6, 3),
                            ),
                        );
                    }
                }
            }
        }
    }
}

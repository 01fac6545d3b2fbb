//! The 256-bit many-token kernels, stamped out for three ways of multiplying unsigned by signed bytes:
//! AVX2's `vpmaddubsw` + `vpmaddwd` (exact while the unsigned side stays ≤ 128 or the signed
//! side ≤ 64), and the `vpdpbusd` of AVX-VNNI or of AVX-512 VNNI on ymm registers (exact always).
//!
//! The many-token kernel `tile`: `R` panel rows × 8 tokens, lanes across tokens: each 4-code
//! slice of a weight row is broadcast and multiplied with the same slice of 8 activation rows,
//! so every unpacked weight serves 8 tokens per load and no horizontal sums are needed until
//! the end of the row.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// AVX2: `acc + Σ₄ a·b` through 16-bit pair sums.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_maddubs(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
    let p = _mm256_maddubs_epi16(a, b);
    _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)))
}

/// AVX-VNNI (VEX) `vpdpbusd`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma,avxvnni")]
unsafe fn dot_avxvnni(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
    _mm256_dpbusd_avx_epi32(acc, a, b)
}

/// AVX-512 VNNI `vpdpbusd` on ymm registers.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma,avx512f,avx512vl,avx512vnni")]
unsafe fn dot_vnni_vl(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
    _mm256_dpbusd_epi32(acc, a, b)
}

/// Where a tile's results go: `out[token · ld + row]`.
#[derive(Clone, Copy)]
pub struct TileOut {
    /// Base of the output matrix.
    pub ptr: *mut f32,
    /// Row stride of the output (the weight matrix's row count).
    pub ld: usize,
    /// Output column of the tile's first row.
    pub row0: usize,
    /// Rows of the tile that are real (the rest are padding).
    pub rows: usize,
    /// First token of the group.
    pub tok0: usize,
    /// Tokens of the group that are real.
    pub toks: usize,
}

macro_rules! simd256 {
    ($name:ident, $features:literal, $dot:ident, $exact255:expr) => {
        #[cfg(target_arch = "x86_64")]
        pub mod $name {
            use std::arch::x86_64::*;

            use super::super::acts::ActPanel;
            use super::super::unpack::WPanel;
            use super::*;

            /// `R` panel rows from `r0` × the 8 tokens of group `g`, written through `o`.
            /// `SPLIT`: the panel holds each code as two halves (`codes`, `codes2`).
            ///
            /// # Safety
            /// The CPU has the features in this module's name; the panel holds rows
            /// `r0..r0 + R`; `o` addresses a matrix with room for every real row and token.
            #[target_feature(enable = $features)]
            pub unsafe fn tile<
                const R: usize,
                const SUB: usize,
                const MIN: bool,
                const SPLIT: bool,
            >(
                w: &WPanel,
                r0: usize,
                p: &ActPanel,
                g: usize,
                o: &TileOut,
            ) {
                const L: usize = 8;
                let (k, nsub) = (w.k, w.nsub);
                let y = p.y.as_ptr().add(g * k * L);
                let d = p.d.as_ptr().add(g * nsub * L);
                let s = if MIN {
                    p.s.as_ptr().add(g * nsub * L)
                } else {
                    d
                };
                let codes = w.codes.as_ptr().add(r0 * k);
                let codes2 = if SPLIT {
                    w.codes2.as_ptr().add(r0 * k)
                } else {
                    codes
                };
                let scale = w.scale.as_ptr().add(r0 * nsub);
                let corr = w.corr.as_ptr().add(r0 * nsub);
                let min = if MIN {
                    w.min.as_ptr().add(r0 * nsub)
                } else {
                    scale
                };
                let mut accf = [_mm256_setzero_ps(); R];
                for sb in 0..nsub {
                    let mut acci = [_mm256_setzero_si256(); R];
                    for r in 0..R {
                        acci[r] = _mm256_set1_epi32(*corr.add(r * nsub + sb));
                    }
                    for j in 0..SUB / 4 {
                        let kk = sb * SUB + 4 * j;
                        let yv = _mm256_loadu_si256(y.add(kk * L) as *const __m256i);
                        for r in 0..R {
                            let wv = _mm256_set1_epi32(std::ptr::read_unaligned(
                                codes.add(r * k + kk) as *const i32,
                            ));
                            acci[r] = $dot(acci[r], yv, wv);
                            if SPLIT {
                                let w2 = _mm256_set1_epi32(std::ptr::read_unaligned(
                                    codes2.add(r * k + kk) as *const i32,
                                ));
                                acci[r] = $dot(acci[r], yv, w2);
                            }
                        }
                    }
                    let dv = _mm256_loadu_ps(d.add(sb * L));
                    for r in 0..R {
                        let sc = _mm256_mul_ps(dv, _mm256_set1_ps(*scale.add(r * nsub + sb)));
                        accf[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acci[r]), sc, accf[r]);
                    }
                    if MIN {
                        let sv = _mm256_loadu_ps(s.add(sb * L));
                        for r in 0..R {
                            accf[r] = _mm256_fmadd_ps(
                                _mm256_set1_ps(*min.add(r * nsub + sb)),
                                sv,
                                accf[r],
                            );
                        }
                    }
                }
                let mut lanes = [0f32; L];
                for r in 0..R.min(o.rows) {
                    _mm256_storeu_ps(lanes.as_mut_ptr(), accf[r]);
                    for (l, v) in lanes.iter().enumerate().take(o.toks) {
                        *o.ptr.add((o.tok0 + l) * o.ld + o.row0 + r) = *v;
                    }
                }
            }
        }
    };
}

simd256!(avx2, "avx2,fma", dot_maddubs, false);
simd256!(avxvnni, "avx2,fma,avxvnni", dot_avxvnni, true);
simd256!(
    vnni_vl,
    "avx2,fma,avx512f,avx512vl,avx512vnni",
    dot_vnni_vl,
    true
);

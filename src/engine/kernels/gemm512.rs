//! The AVX-512 VNNI many-token kernel: `R` panel rows × 16 tokens per call, lanes across tokens.
//! Each 4-code slice of a weight row is broadcast straight from the panel into `vpdpbusd`
//! against the same slice of 16 activation rows (stored +128, so unsigned); a sub-block's
//! integer sums are then scaled in f32 by `weight scale × activation scale` per lane.

#[cfg(target_arch = "x86_64")]
pub use imp::*;

#[cfg(target_arch = "x86_64")]
// Index loops over the rows of the register tile read as the maths does (acc[r], row r).
#[allow(clippy::needless_range_loop)]
mod imp {
    use std::arch::x86_64::*;

    use super::super::acts::ActPanel;
    use super::super::gemm256::TileOut;
    use super::super::unpack::WPanel;

    /// `R` panel rows from `r0` × the 16 tokens of group `g`, written through `o`.
    ///
    /// # Safety
    /// The CPU has AVX-512 F/VL/BW and VNNI; the panel holds rows `r0..r0 + R`; `o` addresses a
    /// matrix with room for every real row and token.
    #[target_feature(enable = "avx2,fma,avx512f,avx512vl,avx512bw,avx512vnni")]
    pub unsafe fn tile<const R: usize, const SUB: usize, const MIN: bool>(
        w: &WPanel,
        r0: usize,
        p: &ActPanel,
        g: usize,
        o: &TileOut,
    ) {
        const L: usize = 16;
        let (k, nsub) = (w.k, w.nsub);
        let y = p.y.as_ptr().add(g * k * L);
        let d = p.d.as_ptr().add(g * nsub * L);
        let s = if MIN {
            p.s.as_ptr().add(g * nsub * L)
        } else {
            d
        };
        let codes = w.codes.as_ptr().add(r0 * k);
        let scale = w.scale.as_ptr().add(r0 * nsub);
        let corr = w.corr.as_ptr().add(r0 * nsub);
        let min = if MIN {
            w.min.as_ptr().add(r0 * nsub)
        } else {
            scale
        };
        // Min terms summed apart and added at the end, as ggml does (see `gemv::dot512`).
        let mut accf = [_mm512_setzero_ps(); R];
        let mut accm = [_mm512_setzero_ps(); R];
        for sb in 0..nsub {
            let mut acci = [_mm512_setzero_si512(); R];
            for r in 0..R {
                acci[r] = _mm512_set1_epi32(*corr.add(r * nsub + sb));
            }
            for j in 0..SUB / 4 {
                let kk = sb * SUB + 4 * j;
                let yv = _mm512_loadu_si512(y.add(kk * L) as *const _);
                for r in 0..R {
                    let wv = _mm512_set1_epi32(std::ptr::read_unaligned(
                        codes.add(r * k + kk) as *const i32
                    ));
                    acci[r] = _mm512_dpbusd_epi32(acci[r], yv, wv);
                }
            }
            let dv = _mm512_loadu_ps(d.add(sb * L));
            for r in 0..R {
                let sc = _mm512_mul_ps(dv, _mm512_set1_ps(*scale.add(r * nsub + sb)));
                accf[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acci[r]), sc, accf[r]);
            }
            if MIN {
                let sv = _mm512_loadu_ps(s.add(sb * L));
                for r in 0..R {
                    accm[r] = _mm512_fmadd_ps(_mm512_set1_ps(*min.add(r * nsub + sb)), sv, accm[r]);
                }
            }
        }
        let mut lanes = [0f32; L];
        for r in 0..R.min(o.rows) {
            let v = if MIN {
                _mm512_add_ps(accf[r], accm[r])
            } else {
                accf[r]
            };
            _mm512_storeu_ps(lanes.as_mut_ptr(), v);
            for (l, v) in lanes.iter().enumerate().take(o.toks) {
                *o.ptr.add((o.tok0 + l) * o.ld + o.row0 + r) = *v;
            }
        }
    }
}

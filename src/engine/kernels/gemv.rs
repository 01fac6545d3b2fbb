//! The few-token kernels (decoding): weight rows are read straight from their GGUF blocks,
//! unpacked in registers and dotted with one activation row at a time, 64 codes per step on
//! AVX-512 and 32 on the 256-bit flavours, four weight rows at once so the activation loads and
//! the accumulator chains are shared and independent.
//!
//! Per step a type's decoder ([`Dec512`], [`Dec256`]) yields the unsigned codes, the weight
//! scale of every 32-bit lane (4 codes) and, for types with a min, the min of every lane. The
//! generic part is then `acc += f32(Σ₄ code·y + lane bias) · scale · d + min · s/lanes`, where
//! the activation side (`y`, lane bias `−bias·Σ₄y`, `d`, `s`) comes from [`super::acts`]. The
//! integer sums are exactly ggml's; only the f32 summation order differs.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::blocks::QType;

/// One token's activation arrays (see [`super::acts::QActs`]).
#[derive(Clone, Copy)]
pub struct TokActs {
    /// Codes (`kp` values, zero-padded).
    pub y: *const i8,
    /// Lane bias `−bias·Σ₄y`.
    pub bias: *const i32,
    /// Scale per lane.
    pub d4: *const f32,
    /// `s / lanes` per lane (types with a min only).
    pub s4: *const f32,
    /// `s` per sub-block (types with a min only).
    pub s: *const f32,
}

/// The portable kernel and the reference for the SIMD ones: per sub-block the exact integer
/// `Σ code·y − bias·Σy`, scaled by `weight scale · activation scale`, plus `min · s`.
///
/// # Safety
/// `codes` holds `k` unpacked codes, `scale`/`min` one value per sub-block; `a` covers `k`.
pub unsafe fn dot_row_scalar(
    ty: QType,
    k: usize,
    codes: &[u8],
    scale: &[f32],
    min: &[f32],
    a: &TokActs,
) -> f32 {
    let sub = ty.sub();
    let lanes = sub / 4;
    let mut acc = 0f32;
    let mut macc = 0f32;
    for sb in 0..k / sub {
        let mut i = 0;
        for j in sb * lanes..(sb + 1) * lanes {
            i += *a.bias.add(j);
        }
        for (j, &c) in codes.iter().enumerate().skip(sb * sub).take(sub) {
            i += c as i32 * *a.y.add(j) as i32;
        }
        let d = *a.d4.add(sb * lanes);
        acc += i as f32 * (scale[sb] * d);
        if ty.has_min() {
            macc += min[sb] * (*a.s4.add(sb * lanes) * lanes as f32);
        }
    }
    acc + macc
}

/// A weight type's decoder for the 512-bit kernel: a *group* is the unit of the block layout
/// (two legacy blocks, or one super-block), a *chunk* 64 codes of it.
#[cfg(target_arch = "x86_64")]
pub trait Dec512 {
    /// Values per group.
    const GROUP: usize;
    /// Bytes per group.
    const BYTES: usize;
    /// Whether sub-blocks carry a min (all such types have 32-value sub-blocks).
    const MIN: bool;
    /// Whether `chunk`'s lane scales already include the activation scale (the k-quants,
    /// whose activation block is the whole group).
    const SCALED: bool;
    /// What a group decodes once for all its chunks.
    type State: Copy;
    /// Decodes the per-group part at `p`; `d` is the group's activation scale when `SCALED`.
    ///
    /// # Safety
    /// The CPU has AVX-512 F/BW/VL/VNNI and F16C; `p` points to `BYTES` readable bytes.
    unsafe fn group(p: *const u8, d: f32) -> Self::State;
    /// Chunk `j`: codes and the scale of every lane.
    ///
    /// # Safety
    /// As for [`Dec512::group`], with `st` from the same `p` and `j < GROUP / 64`.
    unsafe fn chunk(st: &Self::State, p: *const u8, j: usize) -> (__m512i, __m512);
    /// The group's min terms `Σ min · s` spread over lanes (`s`: the activation's `d·Σq` per
    /// sub-block of the group); zero for types without a min.
    ///
    /// # Safety
    /// As for [`Dec512::chunk`]; `s` points to `GROUP / 32` readable values.
    unsafe fn mins(st: &Self::State, p: *const u8, s: *const f32) -> __m512;
}

/// A weight type's decoder for the 256-bit kernels: groups of one block or super-block, chunks
/// of 32 codes.
#[cfg(target_arch = "x86_64")]
pub trait Dec256 {
    /// Values per group.
    const GROUP: usize;
    /// Bytes per group.
    const BYTES: usize;
    /// Whether lanes carry a min.
    const MIN: bool;
    /// Whether codes may exceed 127 (Q8_0; `maddubs` then needs the sign trick).
    const WIDE: bool;
    /// What a group decodes once for all its chunks.
    type State: Copy;
    /// Decodes the per-group part at `p`.
    ///
    /// # Safety
    /// The CPU has AVX2, FMA and F16C; `p` points to `BYTES` readable bytes.
    unsafe fn group(p: *const u8) -> Self::State;
    /// Chunk `j`: codes, scale per lane, min per lane.
    ///
    /// # Safety
    /// As for [`Dec256::group`], with `st` from the same `p` and `j < GROUP / 32`.
    unsafe fn chunk(st: &Self::State, p: *const u8, j: usize) -> (__m256i, __m256, __m256);
}

/// Marker types, one per weight type, implementing the decoders.
pub mod ty {
    /// Q4_0.
    pub struct Q4_0;
    /// Q4_1.
    pub struct Q4_1;
    /// Q5_0.
    pub struct Q5_0;
    /// Q5_1.
    pub struct Q5_1;
    /// Q8_0.
    pub struct Q8_0;
    /// Q4_K.
    pub struct Q4K;
    /// Q5_K.
    pub struct Q5K;
    /// Q6_K.
    pub struct Q6K;
}

#[cfg(target_arch = "x86_64")]
mod dec512 {
    use std::arch::x86_64::*;

    use super::ty::*;
    use super::Dec512;

    // Every decoder runs inside the AVX-512 kernel, so it may assume the kernel's features.

    /// Two f16 values as f32 lanes: the first in lanes 0–7, the second in 8–15.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn f16_pair(a: *const u8, b: *const u8) -> __m512 {
        let bits = std::ptr::read_unaligned(a as *const u16) as i32
            | (std::ptr::read_unaligned(b as *const u16) as i32) << 16;
        let v = _mm_cvtph_ps(_mm_cvtsi32_si128(bits));
        let idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v))
    }

    /// The 4-bit codes of two legacy blocks whose 16 code bytes start at `a` and `b`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn nibbles2(a: *const u8, b: *const u8) -> __m512i {
        let x = _mm512_broadcast_i32x4(_mm_loadu_si128(a as *const __m128i));
        let x = _mm512_mask_broadcast_i32x4(x, 0xff00, _mm_loadu_si128(b as *const __m128i));
        // 128-bit lanes 1 and 3 take the high nibbles.
        const C: i64 = 0x0004_0004_0004_0004;
        let cnt = _mm512_setr_epi64(0, 0, C, C, 0, 0, C, C);
        _mm512_and_si512(_mm512_srlv_epi16(x, cnt), _mm512_set1_epi8(0x0f))
    }

    /// Adds 16 to the bytes whose bit is set in `qa` (bytes 0–31) and `qb` (bytes 32–63).
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn fifth_bits(codes: __m512i, qa: *const u8, qb: *const u8) -> __m512i {
        let m = std::ptr::read_unaligned(qa as *const u32) as u64
            | (std::ptr::read_unaligned(qb as *const u32) as u64) << 32;
        _mm512_mask_add_epi8(codes, m, codes, _mm512_set1_epi8(16))
    }

    /// 32 code bytes at `p` as [low nibbles, high nibbles].
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn nibbles32(p: *const u8) -> __m512i {
        let x = _mm512_broadcast_i64x4(_mm256_loadu_si256(p as *const __m256i));
        let cnt = _mm512_inserti64x4::<1>(_mm512_setzero_si512(), _mm256_set1_epi16(4));
        _mm512_and_si512(_mm512_srlv_epi16(x, cnt), _mm512_set1_epi8(0x0f))
    }

    macro_rules! legacy {
        ($t:ty, $bb:expr, $min:expr, $five:expr, $qs:expr) => {
            impl Dec512 for $t {
                const GROUP: usize = 64;
                const BYTES: usize = 2 * $bb;
                const MIN: bool = $min;
                const SCALED: bool = false;
                /// The two blocks' f16 header as f32: `[d0, m0, d1, m1]` with a min, else
                /// `[d0, d1, 0, 0]`.
                type State = __m128;
                #[inline]
                #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
                unsafe fn group(p: *const u8, _: f32) -> __m128 {
                    let q = p.add($bb);
                    if $min {
                        let a = std::ptr::read_unaligned(p as *const i32);
                        let b = std::ptr::read_unaligned(q as *const i32);
                        _mm_cvtph_ps(_mm_set_epi32(0, 0, b, a))
                    } else {
                        let bits = std::ptr::read_unaligned(p as *const u16) as i32
                            | (std::ptr::read_unaligned(q as *const u16) as i32) << 16;
                        _mm_cvtph_ps(_mm_cvtsi32_si128(bits))
                    }
                }
                #[inline]
                #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
                unsafe fn chunk(st: &__m128, p: *const u8, _: usize) -> (__m512i, __m512) {
                    let q = p.add($bb);
                    let mut c = nibbles2(p.add($qs), q.add($qs));
                    if $five {
                        c = fifth_bits(c, p.add($qs - 4), q.add($qs - 4));
                    }
                    let b = if $min { 2 } else { 1 };
                    let idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, b, b, b, b, b, b, b, b);
                    (c, _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(*st)))
                }
                #[inline]
                #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
                unsafe fn mins(st: &__m128, _: *const u8, s: *const f32) -> __m512 {
                    if !$min {
                        return _mm512_setzero_ps();
                    }
                    // [d0, m0, d1, m1] · [0, s0, 0, s1]
                    let sv = _mm_castpd_ps(_mm_load_sd(s as *const f64));
                    _mm512_zextps128_ps512(_mm_mul_ps(*st, _mm_unpacklo_ps(_mm_setzero_ps(), sv)))
                }
            }
        };
    }
    legacy!(Q4_0, 18, false, false, 2);
    legacy!(Q4_1, 20, true, false, 4);
    legacy!(Q5_0, 22, false, true, 6);
    legacy!(Q5_1, 24, true, true, 8);

    impl Dec512 for Q8_0 {
        const GROUP: usize = 64;
        const BYTES: usize = 68;
        const MIN: bool = false;
        const SCALED: bool = false;
        type State = ();
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn group(_: *const u8, _: f32) {}
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn chunk(_: &(), p: *const u8, _: usize) -> (__m512i, __m512) {
            let a = _mm256_loadu_si256(p.add(2) as *const __m256i);
            let b = _mm256_loadu_si256(p.add(36) as *const __m256i);
            let c = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(a), b);
            (
                _mm512_xor_si512(c, _mm512_set1_epi8(-128)),
                f16_pair(p, p.add(34)),
            )
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn mins(_: &(), _: *const u8, _: *const f32) -> __m512 {
            _mm512_setzero_ps()
        }
    }

    /// Q4_K/Q5_K: the eight sub-block scales times the activation scale (`d·sc·dy`, lanes
    /// 0–7) and the mins (`−dmin·m`, lanes 8–15).
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn k4_scales(p: *const u8, dy: f32) -> __m512 {
        let a = std::ptr::read_unaligned(p.add(4) as *const u32);
        let b = std::ptr::read_unaligned(p.add(8) as *const u32);
        let c = std::ptr::read_unaligned(p.add(12) as *const u32);
        // Sub-blocks 0..4 keep the low 6 bits of bytes 0..4 (scales) and 4..8 (mins); 4..8
        // take 4 bits from bytes 8..12 and their top 2 bits from the top of bytes 0..4 / 4..8.
        let sc = (a & 0x3f3f_3f3f) as u64
            | (((c & 0x0f0f_0f0f) | ((a >> 2) & 0x3030_3030)) as u64) << 32;
        let mn = (b & 0x3f3f_3f3f) as u64
            | ((((c >> 4) & 0x0f0f_0f0f) | ((b >> 2) & 0x3030_3030)) as u64) << 32;
        let v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_set_epi64x(mn as i64, sc as i64)));
        let f = _mm512_mask_mov_ps(_mm512_set1_ps(dy), 0xff00, _mm512_set1_ps(-1.0));
        _mm512_mul_ps(v, _mm512_mul_ps(f16_pair(p, p.add(2)), f))
    }

    /// Lanes 0–7 take element `a` of `v`, lanes 8–15 element `b`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn pick2(v: __m512, a: i32, b: i32) -> __m512 {
        _mm512_permutexvar_ps(
            _mm512_setr_epi32(a, a, a, a, a, a, a, a, b, b, b, b, b, b, b, b),
            v,
        )
    }

    /// The min terms of a Q4_K/Q5_K super-block: lanes 8–15 of `st` times `s`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn k4_mins(st: __m512, s: *const f32) -> __m512 {
        let s8 = _mm256_castps_pd(_mm256_loadu_ps(s));
        let sv = _mm512_castpd_ps(_mm512_insertf64x4::<1>(_mm512_setzero_pd(), s8));
        _mm512_mul_ps(st, sv)
    }

    impl Dec512 for Q4K {
        const GROUP: usize = 256;
        const BYTES: usize = 144;
        const MIN: bool = true;
        const SCALED: bool = true;
        type State = __m512;
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn group(p: *const u8, d: f32) -> __m512 {
            k4_scales(p, d)
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn chunk(st: &__m512, p: *const u8, j: usize) -> (__m512i, __m512) {
            let j2 = 2 * j as i32;
            (nibbles32(p.add(16 + 32 * j)), pick2(*st, j2, j2 + 1))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn mins(st: &__m512, _: *const u8, s: *const f32) -> __m512 {
            k4_mins(*st, s)
        }
    }

    impl Dec512 for Q5K {
        const GROUP: usize = 256;
        const BYTES: usize = 176;
        const MIN: bool = true;
        const SCALED: bool = true;
        type State = (__m512, __m256i);
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn group(p: *const u8, d: f32) -> (__m512, __m256i) {
            (
                k4_scales(p, d),
                _mm256_loadu_si256(p.add(16) as *const __m256i),
            )
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn chunk(st: &(__m512, __m256i), p: *const u8, j: usize) -> (__m512i, __m512) {
            let c = nibbles32(p.add(48 + 32 * j));
            let lo = _mm256_test_epi8_mask(st.1, _mm256_set1_epi8((1u8 << (2 * j)) as i8));
            let hi = _mm256_test_epi8_mask(st.1, _mm256_set1_epi8((2u8 << (2 * j)) as i8));
            let c = _mm512_mask_add_epi8(c, lo as u64 | (hi as u64) << 32, c, _mm512_set1_epi8(16));
            let j2 = 2 * j as i32;
            (c, pick2(st.0, j2, j2 + 1))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn mins(st: &(__m512, __m256i), _: *const u8, s: *const f32) -> __m512 {
            k4_mins(st.0, s)
        }
    }

    impl Dec512 for Q6K {
        const GROUP: usize = 256;
        const BYTES: usize = 210;
        const MIN: bool = false;
        const SCALED: bool = true;
        type State = __m512;
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn group(p: *const u8, dy: f32) -> __m512 {
            let sc = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
                p.add(192) as *const __m128i
            )));
            let d = _mm_cvtph_ps(_mm_cvtsi32_si128(
                std::ptr::read_unaligned(p.add(208) as *const u16) as i32,
            ));
            _mm512_mul_ps(sc, _mm512_set1_ps(_mm_cvtss_f32(d) * dy))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn chunk(st: &__m512, p: *const u8, j: usize) -> (__m512i, __m512) {
            // Chunk j: half n = j/2 of the super-block; quarter 0 takes the low nibbles
            // (values l and 32 + l), quarter 1 the high ones (64 + l, 96 + l).
            let (n, q) = (j / 2, j % 2);
            let x = _mm512_loadu_si512(p.add(64 * n) as *const _);
            let h =
                _mm512_broadcast_i64x4(_mm256_loadu_si256(p.add(128 + 32 * n) as *const __m256i));
            let (lo_shift, hi_shift) = if q == 0 { (0, 2) } else { (4, 6) };
            let cnt =
                _mm512_inserti64x4::<1>(_mm512_set1_epi16(lo_shift), _mm256_set1_epi16(hi_shift));
            let x = if q == 1 { _mm512_srli_epi16::<4>(x) } else { x };
            let lo = _mm512_and_si512(x, _mm512_set1_epi8(0x0f));
            let hb = _mm512_and_si512(_mm512_srlv_epi16(h, cnt), _mm512_set1_epi8(3));
            let c = _mm512_or_si512(lo, _mm512_slli_epi16::<4>(hb));
            // Sub-blocks of 16: bytes 0–31 are values 128n + 64q + 0..32, bytes 32–63 the next 32.
            let s = 8 * n as i32 + 4 * q as i32;
            let idx = _mm512_setr_epi32(
                s,
                s,
                s,
                s,
                s + 1,
                s + 1,
                s + 1,
                s + 1,
                s + 2,
                s + 2,
                s + 2,
                s + 2,
                s + 3,
                s + 3,
                s + 3,
                s + 3,
            );
            (c, _mm512_permutexvar_ps(idx, *st))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
        unsafe fn mins(_: &__m512, _: *const u8, _: *const f32) -> __m512 {
            _mm512_setzero_ps()
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod dec256 {
    use std::arch::x86_64::*;

    use super::ty::*;
    use super::Dec256;

    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn f16_splat(p: *const u8) -> __m256 {
        _mm256_cvtph_ps(_mm_set1_epi16(std::ptr::read_unaligned(p as *const i16)))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn nibbles(qs: *const u8) -> __m256i {
        let x = _mm_loadu_si128(qs as *const __m128i);
        let m4 = _mm_set1_epi8(0x0f);
        _mm256_set_m128i(
            _mm_and_si128(_mm_srli_epi16(x, 4), m4),
            _mm_and_si128(x, m4),
        )
    }

    /// 16 for every byte whose bit is set in the 32 bits at `qh`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn fifth_bits(qh: *const u8) -> __m256i {
        let v = _mm256_set1_epi32(std::ptr::read_unaligned(qh as *const i32));
        let shuf = _mm256_setr_epi8(
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
            3, 3, 3,
        );
        let mask = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
        let set = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(v, shuf), mask), mask);
        _mm256_and_si256(set, _mm256_set1_epi8(16))
    }

    macro_rules! legacy {
        ($t:ty, $bb:expr, $min:expr, $five:expr, $qs:expr) => {
            impl Dec256 for $t {
                const GROUP: usize = 32;
                const BYTES: usize = $bb;
                const MIN: bool = $min;
                const WIDE: bool = false;
                type State = ();
                #[inline]
                #[target_feature(enable = "avx2,fma,f16c")]
                unsafe fn group(_: *const u8) {}
                #[inline]
                #[target_feature(enable = "avx2,fma,f16c")]
                unsafe fn chunk(_: &(), p: *const u8, _: usize) -> (__m256i, __m256, __m256) {
                    let mut c = nibbles(p.add($qs));
                    if $five {
                        c = _mm256_or_si256(c, fifth_bits(p.add($qs - 4)));
                    }
                    let m = if $min {
                        f16_splat(p.add(2))
                    } else {
                        _mm256_setzero_ps()
                    };
                    (c, f16_splat(p), m)
                }
            }
        };
    }
    legacy!(Q4_0, 18, false, false, 2);
    legacy!(Q4_1, 20, true, false, 4);
    legacy!(Q5_0, 22, false, true, 6);
    legacy!(Q5_1, 24, true, true, 8);

    impl Dec256 for Q8_0 {
        const GROUP: usize = 32;
        const BYTES: usize = 34;
        const MIN: bool = false;
        const WIDE: bool = true;
        type State = ();
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn group(_: *const u8) {}
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn chunk(_: &(), p: *const u8, _: usize) -> (__m256i, __m256, __m256) {
            let c = _mm256_loadu_si256(p.add(2) as *const __m256i);
            (
                _mm256_xor_si256(c, _mm256_set1_epi8(-128)),
                f16_splat(p),
                _mm256_setzero_ps(),
            )
        }
    }

    /// Q4_K/Q5_K: sub-block scales `d·sc` (0–7) and mins `−dmin·m` (8–15).
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn k4_scales(p: *const u8) -> [f32; 16] {
        let a = std::ptr::read_unaligned(p.add(4) as *const u32);
        let b = std::ptr::read_unaligned(p.add(8) as *const u32);
        let c = std::ptr::read_unaligned(p.add(12) as *const u32);
        let sc = (a & 0x3f3f_3f3f) as u64
            | (((c & 0x0f0f_0f0f) | ((a >> 2) & 0x3030_3030)) as u64) << 32;
        let mn = (b & 0x3f3f_3f3f) as u64
            | ((((c >> 4) & 0x0f0f_0f0f) | ((b >> 2) & 0x3030_3030)) as u64) << 32;
        let d = f16_splat(p);
        let dmin = f16_splat(p.add(2));
        let s = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(sc as i64)));
        let m = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(mn as i64)));
        let mut out = [0f32; 16];
        _mm256_storeu_ps(out.as_mut_ptr(), _mm256_mul_ps(s, d));
        _mm256_storeu_ps(
            out.as_mut_ptr().add(8),
            _mm256_mul_ps(m, _mm256_sub_ps(_mm256_setzero_ps(), dmin)),
        );
        out
    }

    /// Sub-block `j` (32 values) of a Q4_K/Q5_K super-block whose codes start at `qs`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn k4_codes(qs: *const u8, j: usize) -> __m256i {
        let x = _mm256_loadu_si256(qs.add(32 * (j / 2)) as *const __m256i);
        let x = if j % 2 == 1 {
            _mm256_srli_epi16(x, 4)
        } else {
            x
        };
        _mm256_and_si256(x, _mm256_set1_epi8(0x0f))
    }

    impl Dec256 for Q4K {
        const GROUP: usize = 256;
        const BYTES: usize = 144;
        const MIN: bool = true;
        const WIDE: bool = false;
        type State = [f32; 16];
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn group(p: *const u8) -> [f32; 16] {
            k4_scales(p)
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn chunk(st: &[f32; 16], p: *const u8, j: usize) -> (__m256i, __m256, __m256) {
            (
                k4_codes(p.add(16), j),
                _mm256_set1_ps(st[j]),
                _mm256_set1_ps(st[8 + j]),
            )
        }
    }

    impl Dec256 for Q5K {
        const GROUP: usize = 256;
        const BYTES: usize = 176;
        const MIN: bool = true;
        const WIDE: bool = false;
        type State = [f32; 16];
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn group(p: *const u8) -> [f32; 16] {
            k4_scales(p)
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn chunk(st: &[f32; 16], p: *const u8, j: usize) -> (__m256i, __m256, __m256) {
            let qh = _mm256_loadu_si256(p.add(16) as *const __m256i);
            let hb = _mm256_and_si256(
                _mm256_srl_epi16(qh, _mm_cvtsi32_si128(j as i32)),
                _mm256_set1_epi8(1),
            );
            let c = _mm256_or_si256(k4_codes(p.add(48), j), _mm256_slli_epi16(hb, 4));
            (c, _mm256_set1_ps(st[j]), _mm256_set1_ps(st[8 + j]))
        }
    }

    impl Dec256 for Q6K {
        const GROUP: usize = 256;
        const BYTES: usize = 210;
        const MIN: bool = false;
        const WIDE: bool = false;
        type State = [f32; 16];
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn group(p: *const u8) -> [f32; 16] {
            let sc = _mm_loadu_si128(p.add(192) as *const __m128i);
            let d = f16_splat(p.add(208));
            let mut out = [0f32; 16];
            _mm256_storeu_ps(
                out.as_mut_ptr(),
                _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sc)), d),
            );
            let hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(sc, 8)));
            _mm256_storeu_ps(out.as_mut_ptr().add(8), _mm256_mul_ps(hi, d));
            out
        }
        #[inline]
        #[target_feature(enable = "avx2,fma,f16c")]
        unsafe fn chunk(st: &[f32; 16], p: *const u8, j: usize) -> (__m256i, __m256, __m256) {
            // Chunk j (32 values): half n = j/4; within it quarter q: low nibbles of ql[0..32]
            // (q = 0), of ql[32..64] (1), high nibbles of ql[0..32] (2), of ql[32..64] (3), with
            // bits 2q, 2q+1 of qh.
            let (n, q) = (j / 4, j % 4);
            let x = _mm256_loadu_si256(p.add(64 * n + 32 * (q % 2)) as *const __m256i);
            let x = if q >= 2 { _mm256_srli_epi16(x, 4) } else { x };
            let h = _mm256_loadu_si256(p.add(128 + 32 * n) as *const __m256i);
            let hb = _mm256_and_si256(
                _mm256_srl_epi16(h, _mm_cvtsi32_si128(2 * q as i32)),
                _mm256_set1_epi8(3),
            );
            let c = _mm256_or_si256(
                _mm256_and_si256(x, _mm256_set1_epi8(0x0f)),
                _mm256_slli_epi16(hb, 4),
            );
            let s = 2 * j;
            (
                c,
                _mm256_set_m128(_mm_set1_ps(st[s + 1]), _mm_set1_ps(st[s])),
                _mm256_setzero_ps(),
            )
        }
    }
}

/// Rows handled together by one kernel call.
pub const NR: usize = 4;

/// The AVX-512 kernel: `N` rows (pointers to their first block) · one token.
///
/// # Safety
/// The CPU has AVX-512 F/BW/VL/VNNI and F16C; each row holds `k` weights of `T`'s type;
/// `a` covers `k` rounded up to 64 (zero-padded).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
pub unsafe fn dot512<T: Dec512, const N: usize>(
    rows: [*const u8; N],
    k: usize,
    a: &TokActs,
) -> [f32; N] {
    // The min terms are summed apart from the products and added at the end, as ggml does:
    // they largely cancel against the products, so the order of the sums shows in the result.
    let mut acc = [_mm512_setzero_ps(); N];
    let mut macc = [_mm512_setzero_ps(); N];
    let groups = k / T::GROUP;
    for g in 0..groups {
        let mut base = rows;
        for b in base.iter_mut() {
            *b = b.add(g * T::BYTES);
            prefetch_ahead(*b, T::BYTES);
        }
        group512::<T, N>(&mut acc, &mut macc, base, g * T::GROUP, a);
    }
    if groups * T::GROUP < k {
        // A last lone legacy block: decode it from a copy followed by a zero block.
        let mut pad = [[0u8; 68]; N];
        let mut base = rows;
        for r in 0..N {
            std::ptr::copy_nonoverlapping(
                rows[r].add(groups * T::BYTES),
                pad[r].as_mut_ptr(),
                T::BYTES / 2,
            );
            base[r] = pad[r].as_ptr();
        }
        group512::<T, N>(&mut acc, &mut macc, base, groups * T::GROUP, a);
    }
    let mut out = [0f32; N];
    for r in 0..N {
        out[r] = _mm512_reduce_add_ps(acc[r]);
        if T::MIN {
            out[r] += _mm512_reduce_add_ps(macc[r]);
        }
    }
    out
}

/// One group of [`dot512`] for every row; `off`: the group's first value.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn group512<T: Dec512, const N: usize>(
    acc: &mut [__m512; N],
    macc: &mut [__m512; N],
    base: [*const u8; N],
    off: usize,
    a: &TokActs,
) {
    let dg = if T::SCALED { *a.d4.add(off / 4) } else { 0.0 };
    let mut st = [T::group(base[0], dg); N];
    for r in 1..N {
        st[r] = T::group(base[r], dg);
    }
    for j in 0..T::GROUP / 64 {
        let o = off + 64 * j;
        let y = _mm512_loadu_si512(a.y.add(o) as *const _);
        let init = _mm512_loadu_si512(a.bias.add(o / 4) as *const _);
        let d = if T::SCALED {
            _mm512_setzero_ps()
        } else {
            _mm512_loadu_ps(a.d4.add(o / 4))
        };
        for r in 0..N {
            let (c, sw) = T::chunk(&st[r], base[r], j);
            let i = _mm512_dpbusd_epi32(init, c, y);
            let sw = if T::SCALED { sw } else { _mm512_mul_ps(sw, d) };
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), sw, acc[r]);
        }
    }
    if T::MIN {
        for r in 0..N {
            macc[r] = _mm512_add_ps(macc[r], T::mins(&st[r], base[r], a.s.add(off / 32)));
        }
    }
}

macro_rules! dot256 {
    ($name:ident, $features:literal, $dot:ident, $exact255:expr) => {
        /// The 256-bit kernel (see the module doc): `N` rows · one token.
        ///
        /// # Safety
        /// The CPU has the features named in the attribute; each row holds `k` weights of
        /// `T`'s type; `a` covers `k`.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        pub unsafe fn $name<T: Dec256, const N: usize>(
            rows: [*const u8; N],
            k: usize,
            a: &TokActs,
        ) -> [f32; N] {
            // Min terms apart, added at the end (see `dot512`).
            let mut acc = [_mm256_setzero_ps(); N];
            let mut macc = [_mm256_setzero_ps(); N];
            let signed = T::WIDE && !$exact255;
            for g in 0..k / T::GROUP {
                let mut base = rows;
                for b in base.iter_mut() {
                    *b = b.add(g * T::BYTES);
                    prefetch_ahead(*b, T::BYTES);
                }
                let mut st = [T::group(base[0]); N];
                for r in 1..N {
                    st[r] = T::group(base[r]);
                }
                for j in 0..T::GROUP / 32 {
                    let off = g * T::GROUP + 32 * j;
                    let y = _mm256_loadu_si256(a.y.add(off) as *const __m256i);
                    let init = _mm256_loadu_si256(a.bias.add(off / 4) as *const __m256i);
                    let d = _mm256_loadu_ps(a.d4.add(off / 4));
                    let s = if T::MIN {
                        _mm256_loadu_ps(a.s4.add(off / 4))
                    } else {
                        d
                    };
                    for r in 0..N {
                        let (c, sw, mw) = T::chunk(&st[r], base[r], j);
                        let i = if signed {
                            dot_signed(c, y)
                        } else {
                            $dot(init, c, y)
                        };
                        acc[r] =
                            _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), _mm256_mul_ps(sw, d), acc[r]);
                        if T::MIN {
                            macc[r] = _mm256_fmadd_ps(mw, s, macc[r]);
                        }
                    }
                }
            }
            let mut out = [0f32; N];
            for r in 0..N {
                out[r] = hsum256(acc[r]);
                if T::MIN {
                    out[r] += hsum256(macc[r]);
                }
            }
            out
        }
    };
}

/// How far ahead of the bytes being decoded to prefetch. Decoding streams each weight once
/// per token, and the hardware prefetcher alone kept one core at about half its streaming
/// rate (Q4_K: 8 → 16 GB/s single-threaded with this, on huge pages); 4–16 KiB all did well.
const PREFETCH_AHEAD: usize = 8192;

/// Prefetches the cache lines `PREFETCH_AHEAD` past `bytes` bytes at `p` (never faults).
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn prefetch_ahead(p: *const u8, bytes: usize) {
    let mut o = 0;
    while o < bytes {
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(PREFETCH_AHEAD + o) as *const i8);
        o += 64;
    }
}

/// AVX2: `acc + Σ₄ a·b` through 16-bit pair sums (exact: `a` ≤ 63 here).
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_maddubs(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
    _mm256_add_epi32(
        acc,
        _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1)),
    )
}

/// AVX-VNNI (VEX) `vpdpbusd`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma,avxvnni")]
unsafe fn dot_avxvnni(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
    _mm256_dpbusd_avx_epi32(acc, a, b)
}

/// `Σ₄ (c − 128)·y` for codes `c` up to 255 through `maddubs`: |c − 128| with its sign moved
/// onto `y` keeps every pair sum within i16 (ggml's sign trick).
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_signed(codes: __m256i, y: __m256i) -> __m256i {
    let w = _mm256_xor_si256(codes, _mm256_set1_epi8(-128));
    let p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(y, w));
    _mm256_madd_epi16(p, _mm256_set1_epi16(1))
}

#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn hsum256(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
}

dot256!(dot_avx2, "avx2,fma,f16c", dot_maddubs, false);
dot256!(dot_avxvnni256, "avx2,fma,f16c,avxvnni", dot_avxvnni, true);

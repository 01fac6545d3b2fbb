//! Throughput of the quantized matrix kernels on the shapes of the real models: one token
//! (decoding, weight-bandwidth bound) and 512 tokens (prefill, compute bound), per weight type
//! and instruction set. Run: `cargo bench --bench kernels [-- FILTER]` (FILTER matches the
//! type name, e.g. `Q4K`). Threads: `RAYON_NUM_THREADS` (default: all cores); token counts:
//! `KERNEL_BENCH_TOKENS=1,512` (the default); instruction sets: `KERNEL_BENCH_ISA=avx512`.
//!
//! The weights are random bytes with sane scales; speed does not depend on their values.

use std::time::Instant;

use factcheck::engine::kernels::blocks::f32_to_f16;
use factcheck::engine::kernels::{matmul_with, Isa, QMatrix, QType};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn weights(ty: QType, rows: usize, cols: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(1);
    let mut w = vec![0u8; rows * ty.row_bytes(cols)];
    rng.fill(&mut w[..]);
    let at: &[usize] = match ty {
        QType::Q6K => &[208],
        QType::Q4_1 | QType::Q5_1 | QType::Q4K | QType::Q5K => &[0, 2],
        _ => &[0],
    };
    for b in w.chunks_exact_mut(ty.block_bytes()) {
        for &a in at {
            b[a..a + 2].copy_from_slice(&f32_to_f16(0.01).to_le_bytes());
        }
    }
    w
}

fn time(mut f: impl FnMut(), min_s: f64) -> f64 {
    f();
    let t = Instant::now();
    let mut n = 0;
    while t.elapsed().as_secs_f64() < min_s || n < 3 {
        f();
        n += 1;
    }
    t.elapsed().as_secs_f64() / n as f64
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    // (type, rows, cols): the largest matrices of the four real files.
    let shapes = [
        (QType::Q5_0, 4864, 896),
        (QType::Q8_0, 4864, 896),
        (QType::Q6K, 896, 4864),
        (QType::Q4K, 8960, 1536),
        (QType::Q6K, 1536, 8960),
        (QType::Q4_1, 1536, 576),
        (QType::Q4_0, 4864, 896),
        (QType::Q5_1, 4864, 896),
        (QType::Q5K, 8960, 1536),
        (QType::Q8_0, 32768, 640),
    ];
    let isas = Isa::available();
    println!("threads: {}", rayon::current_num_threads());
    for (ty, rows, cols) in shapes {
        let name = format!("{ty:?} {rows}x{cols}");
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let w = weights(ty, rows, cols);
        let m = QMatrix::new(ty, rows, cols, &w).unwrap();
        for &isa in &isas[1..] {
            if std::env::var("KERNEL_BENCH_ISA")
                .is_ok_and(|v| !format!("{isa:?}").eq_ignore_ascii_case(&v))
            {
                continue;
            }
            let token_counts: Vec<usize> = match std::env::var("KERNEL_BENCH_TOKENS") {
                Ok(v) => v.split(',').filter_map(|t| t.parse().ok()).collect(),
                Err(_) => vec![1, 512],
            };
            for &tokens in &token_counts {
                let x: Vec<f32> = (0..tokens * cols)
                    .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
                    .collect();
                let mut out = vec![0f32; tokens * rows];
                let s = time(|| matmul_with(isa, &m, &x, tokens, &mut out), 0.5);
                let macs = (rows * cols * tokens) as f64;
                println!(
                    "{name:<18} {isa:<8?} {tokens:>4} tok: {:8.3} ms  {:7.1} GMAC/s  {:6.2} GB/s weights",
                    s * 1e3,
                    macs / s / 1e9,
                    w.len() as f64 / s / 1e9
                );
            }
        }
    }
}

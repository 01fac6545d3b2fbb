//! Tensor infos.

use super::*;

#[test]
fn dims_overflowing_u64() {
    let e = err(&with(|g| {
        g.tensor("huge", &[1 << 32, 1 << 32, 1 << 1], F32);
    }));
    assert!(
        matches!(e, GgufError::ShapeOverflow { ref tensor, .. } if tensor == "huge"),
        "{e}"
    );
    // Element count fits but the byte size does not.
    let e = err(&with(|g| {
        g.tensor("big", &[1 << 31, 1 << 31, 1 << 1], F32);
    }));
    assert!(matches!(e, GgufError::ShapeOverflow { .. }), "{e}");
}

#[test]
fn zero_and_too_many_dimensions() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").ne = vec![64, 0];
    }));
    assert!(matches!(e, GgufError::BadShape { .. }), "{e}");
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").ne = vec![1; 5];
    }));
    assert!(matches!(e, GgufError::TooMany { limit: 4, .. }), "{e}");
}

#[test]
fn unknown_dtype() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").dtype = 4; // Q4_2, removed from ggml
    }));
    assert!(
        matches!(e, GgufError::UnknownDType { ref tensor, code: 4 } if tensor == "output_norm.weight"),
        "{e}"
    );
}

#[test]
fn rows_not_whole_blocks() {
    let e = err(&with(|g| {
        g.tensor("odd", &[48, 2], Q8_0);
    }));
    assert!(matches!(e, GgufError::BadShape { .. }), "{e}");
}

#[test]
fn misaligned_offset() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(VOCAB * EMBD * 4 + 4);
    }));
    assert!(
        matches!(e, GgufError::MisalignedTensor { offset, .. } if offset == VOCAB * EMBD * 4 + 4),
        "{e}"
    );
}

#[test]
fn offset_past_end_of_file() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(1 << 40);
    }));
    assert!(matches!(e, GgufError::TensorOutOfBounds { .. }), "{e}");
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(u64::MAX - 31);
    }));
    assert!(matches!(e, GgufError::TensorOutOfBounds { .. }), "{e}");
}

#[test]
fn overlapping_tensors() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(0);
    }));
    assert!(matches!(e, GgufError::TensorOverlap { .. }), "{e}");
}

#[test]
fn duplicate_tensor() {
    let e = err(&with(|g| {
        g.tensor("output_norm.weight", &[EMBD], F32);
    }));
    assert!(matches!(e, GgufError::DuplicateTensor(_)), "{e}");
}

#[test]
fn truncated_at_several_points() {
    let (bytes, layout) = Gguf::tiny().build_with_layout();
    for cut in [
        6,
        20,
        layout.metadata_start + 5,
        layout.metadata_start + 40,
        layout.tensor_infos_start - 3,
        layout.tensor_infos_start + 10,
        layout.data_start - 40,
    ] {
        let e = err(&bytes[..cut]);
        assert!(
            matches!(e, GgufError::Truncated { .. } | GgufError::BadMagic { .. }),
            "cut at {cut}: {e}"
        );
    }
    for cut in [layout.data_start, layout.data_start + 100, bytes.len() - 1] {
        let e = err(&bytes[..cut]);
        assert!(
            matches!(e, GgufError::TensorOutOfBounds { .. }),
            "cut at {cut}: {e}"
        );
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}

#[test]
fn stream_shorter_than_claimed_length() {
    let bytes = Gguf::tiny().build();
    let short = &bytes[..100];
    let e = validate_reader(&mut Cursor::new(short), bytes.len() as u64).unwrap_err();
    assert!(matches!(e, GgufError::Truncated { .. }), "{e}");
}

//! Header.

use super::*;

#[test]
fn bad_magic() {
    let bytes = with(|g| g.magic = *b"GGUG");
    assert!(matches!(err(&bytes), GgufError::BadMagic { .. }));
    assert!(matches!(err(b"GG"), GgufError::BadMagic { .. }));
    assert!(matches!(err(b""), GgufError::BadMagic { .. }));
}

#[test]
fn unsupported_versions() {
    for v in [0, 1, 4, u32::MAX] {
        let bytes = with(|g| g.version = v);
        let e = err(&bytes);
        assert!(
            matches!(e, GgufError::UnsupportedVersion(x) if x == v),
            "{e}"
        );
    }
    let s = check(&with(|g| g.version = 2)).unwrap();
    assert_eq!(s.version, 2);
}

#[test]
fn huge_counts_in_header() {
    let mut bytes = Gguf::tiny().build();
    bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    let e = err(&bytes);
    assert!(matches!(e, GgufError::TooMany { limit: 65536, .. }), "{e}");
    assert!(e.to_string().contains("tensor count"), "{e}");

    let mut bytes = Gguf::tiny().build();
    bytes[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let e = err(&bytes);
    assert!(e.to_string().contains("metadata count"), "{e}");

    // Under the limit but impossible for the file size.
    let mut bytes = Gguf::tiny().build();
    bytes[8..16].copy_from_slice(&60_000u64.to_le_bytes());
    assert!(matches!(err(&bytes), GgufError::Truncated { .. }));
}

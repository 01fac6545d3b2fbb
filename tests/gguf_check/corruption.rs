//! Random corruption never panics.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn mutations_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = Gguf::tiny().build();
        // Bias edits towards the header and metadata where the structure lives.
        let header_len = check(&Gguf::tiny().build()).unwrap().data_offset as usize;
        for (at, value) in edits {
            let i = at.index(header_len);
            bytes[i] = value;
        }
        if truncate {
            let n = cut.index(bytes.len());
            bytes.truncate(n);
        }
        let _ = check(&bytes);
    }

    #[test]
    fn truncations_never_pass(cut in 0usize..4000) {
        let bytes = Gguf::tiny().build();
        let n = cut.min(bytes.len() - 1);
        prop_assert!(check(&bytes[..n]).is_err());
    }
}

//! The known-good model downloads `factcheck pull` offers by name.
//!
//! A preset pins a hub repository and a file (and, when we have recorded one, its sha256), so the
//! common case needs no arguments at all; [`find_preset`] looks one up by name, ignoring case.

use super::PullError;

/// The preset `factcheck pull` downloads when given no argument.
pub const DEFAULT_PRESET: &str = "qwen2.5-1.5b";

/// A named, known-good model download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Name given on the command line.
    pub name: &'static str,
    /// Hub repository (`owner/name`).
    pub repo: &'static str,
    /// File inside the repository.
    pub file: &'static str,
    /// Known sha256 of the file; `None` when we have not recorded one (the hub's is used then).
    pub sha256: Option<&'static str>,
    /// One line for `--list`.
    pub description: &'static str,
}

/// Small instruct models that handle Korean, from the Qwen team's own GGUF repositories.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "qwen2.5-1.5b",
        repo: "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        file: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        sha256: None,
        description: "Qwen2.5 1.5B Instruct, Q4_K_M (~1.1 GB) - the default: best answers; Q4_K/Q6_K run at 1.25x llama.cpp's prefill here",
    },
    Preset {
        name: "qwen3-0.6b",
        repo: "Qwen/Qwen3-0.6B-GGUF",
        file: "Qwen3-0.6B-Q8_0.gguf",
        sha256: None,
        description: "Qwen3 0.6B, Q8_0 (~640 MB) - fast Q8_0 kernels; the qwen3 architecture is not yet checked against llama.cpp on a real file",
    },
    Preset {
        name: "qwen2.5-0.5b",
        repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
        file: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        sha256: None,
        description: "Qwen2.5 0.5B Instruct, Q4_K_M (~490 MB) - smallest and fastest (its Q5_0/Q8_0 mix runs at 1.6x llama.cpp's prefill here); weaker answers",
    },
];

/// Finds a preset by name.
pub fn find_preset(name: &str) -> Result<&'static Preset, PullError> {
    PRESETS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| PullError::UnknownPreset { name: name.into() })
}

/// The preset names, comma-separated, for error messages.
pub(super) fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

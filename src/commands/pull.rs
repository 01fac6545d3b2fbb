//! `factcheck pull`: downloads a GGUF model from the Hugging Face hub ([`crate::pull`]) and
//! reports the checksum verdict and the model's shape.

use std::fmt::Write;
use std::path::PathBuf;

use super::CommandError;
use crate::pull::{self, PullOptions, PullOutcome, Verification};

/// Options of `pull`.
#[derive(clap::Args, Debug)]
pub struct PullArgs {
    /// A preset name (see --list; default qwen2.5-1.5b), or a repository and a file.
    #[arg(num_args = 0..=2, value_name = "PRESET | REPO FILE")]
    pub target: Vec<String>,
    /// Folder the model is saved in.
    #[arg(long, env = "FACTCHECK_MODELS_DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// Branch, tag or commit of the repository.
    #[arg(long, env = "FACTCHECK_REVISION", default_value = "main")]
    pub revision: String,
    /// Expected sha256 of the file (for REPO FILE downloads).
    #[arg(long, env = "FACTCHECK_SHA256")]
    pub sha256: Option<String>,
    /// Print the presets and exit.
    #[arg(long, env = "FACTCHECK_PULL_LIST")]
    pub list: bool,
    /// Hub address (a mirror can be used).
    #[arg(long, env = "HF_ENDPOINT", default_value = crate::pull::DEFAULT_ENDPOINT)]
    pub endpoint: String,
    /// Access token for gated or private repositories.
    #[arg(long, env = "HF_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// `factcheck pull`.
pub fn run(args: PullArgs) -> Result<(), CommandError> {
    if args.list {
        print!("{}", preset_list());
        return Ok(());
    }
    let mut request = pull::resolve(&args.target, &args.revision)?;
    if let Some(sha) = args.sha256 {
        request.sha256 = Some(sha.to_ascii_lowercase());
    }
    let options = PullOptions {
        endpoint: args.endpoint,
        token: args.token,
        ..PullOptions::new(args.models_dir)
    };
    print!("{}", pull_report(&pull::pull(&request, &options)?));
    Ok(())
}

/// The `pull --list` text: every preset with its repository and file.
pub fn preset_list() -> String {
    let mut out = String::new();
    for p in pull::PRESETS {
        let default = if p.name == pull::DEFAULT_PRESET {
            " (default)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:<14} {}{default}\n{:<14} {} / {}",
            p.name, p.description, "", p.repo, p.file
        );
    }
    out
}

/// What `pull` prints after a download: the checksum verdict, the file, and the model's shape.
pub fn pull_report(outcome: &PullOutcome) -> String {
    let mut out = String::new();
    if outcome.already_present {
        let _ = writeln!(
            out,
            "{} is already present and valid",
            outcome.path.display()
        );
    } else {
        match &outcome.verification {
            Some(Verification::Verified { sha256, source }) => {
                let _ = writeln!(out, "sha256 {sha256} verified ({source})");
            }
            Some(Verification::Unverified { sha256, reason }) => {
                let _ = writeln!(out, "sha256 {sha256} could NOT be verified: {reason}");
            }
            None => {}
        }
        let _ = writeln!(
            out,
            "saved {} ({} bytes)",
            outcome.path.display(),
            outcome.bytes
        );
    }
    let s = &outcome.summary;
    let context = s
        .context_length
        .map_or("unknown".to_string(), |c| c.to_string());
    let _ = writeln!(
        out,
        "model: {} with {} layers, {} tensors, context {context}",
        s.architecture,
        s.block_count.unwrap_or(0),
        s.tensor_count
    );
    out
}

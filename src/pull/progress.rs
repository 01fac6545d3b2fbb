//! Showing download progress on stderr.
//!
//! An indicatif bar when stderr is a terminal, a plain line every few seconds otherwise (logs and
//! CI keep a readable record), or nothing at all, as [`ProgressStyle`] asks.

use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

use super::ProgressStyle;

/// A progress display: an indicatif bar on a terminal, a line every few seconds otherwise.
pub(super) enum Progress {
    Bar(indicatif::ProgressBar),
    Lines {
        name: String,
        total: Option<u64>,
        last: Instant,
        done: u64,
    },
    Quiet,
}

impl Progress {
    /// Starts a display for `name`, of `total` bytes when known, `start` of which are already here.
    pub(super) fn new(style: ProgressStyle, total: Option<u64>, start: u64, name: &str) -> Self {
        let terminal = io::stderr().is_terminal();
        match style {
            ProgressStyle::Quiet => Progress::Quiet,
            ProgressStyle::Auto if terminal => Progress::Bar(bar(total, start, name)),
            _ => {
                eprintln!(
                    "downloading {name}{}{}",
                    total.map(|t| format!(" ({})", mib(t))).unwrap_or_default(),
                    if start > 0 {
                        format!(", resuming at {}", mib(start))
                    } else {
                        String::new()
                    }
                );
                Progress::Lines {
                    name: name.into(),
                    total,
                    last: Instant::now(),
                    done: start,
                }
            }
        }
    }

    /// `done` bytes are now here.
    pub(super) fn update(&mut self, done: u64) {
        match self {
            Progress::Bar(bar) => bar.set_position(done),
            Progress::Lines {
                name,
                total,
                last,
                done: d,
            } => {
                *d = done;
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    match total {
                        Some(t) if *t > 0 => eprintln!(
                            "{name}: {} of {} ({}%)",
                            mib(done),
                            mib(*t),
                            done * 100 / *t
                        ),
                        _ => eprintln!("{name}: {}", mib(done)),
                    }
                }
            }
            Progress::Quiet => {}
        }
    }

    /// The transfer ended, completely or not.
    pub(super) fn finish(&mut self) {
        match self {
            Progress::Bar(bar) => bar.finish(),
            Progress::Lines { name, done, .. } => eprintln!("{name}: {} received", mib(*done)),
            Progress::Quiet => {}
        }
    }
}

/// A terminal progress bar (a spinner when the size is unknown).
fn bar(total: Option<u64>, start: u64, name: &str) -> indicatif::ProgressBar {
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    if let Ok(s) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(s.progress_chars("=> "));
    }
    bar.set_message(name.to_string());
    bar.set_position(start);
    bar
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

//! The progress bar of the batch commands: bytes read of the total size on
//! disk, drawn on stderr by its own thread until the run is done.

use crate::input::Source;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Draws bytes read of the total size on disk, with rate and ETA, on stderr.
pub(crate) fn spawn(
    sources: &[Source],
    bytes_read: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let total: Option<u64> = sources
        .iter()
        .map(|s| {
            s.path()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
        })
        .sum();
    std::thread::spawn(move || {
        let bar = match total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            "{wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"
        } else {
            "{spinner} {bytes} {bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        while !done.load(Ordering::Relaxed) {
            bar.set_position(bytes_read.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    })
}

//! Progress for long runs, and the flag that stops them cleanly. Both live in the binary:
//! the library draws nothing and keeps no global state; its long functions report through
//! callbacks (an observer, or a `(done, total)` counter), and the commands draw from those.
//!
//! * [`Progress`] draws a one-line bar on stderr — `[#####.....] 120/500 1.9 it/s ETA 3m20s
//!   loss 1.2e6` — redrawn at most a few times a second. When stderr is not a
//!   terminal (CI, a log file) it prints a plain line every few seconds instead, so logs
//!   stay readable. [`with_bar`] hands a library function a `(done, total)` callback that
//!   draws one.
//! * [`interrupted`] reports whether a stop was asked for with [`request_stop`]: the
//!   commands' loops check it between iterations, save what they have, and return
//!   normally. [`crate::signals`] calls [`request_stop`] on Ctrl-C or SIGTERM and chooses
//!   the exit status.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Has a stop been asked for?
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Ask the running loop to stop after its current step (a signal handler may call this:
/// it only stores an atomic flag).
pub fn request_stop() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// A progress line for `total` steps.
pub struct Progress {
    label: String,
    total: usize,
    start: Instant,
    last_draw: Option<Instant>,
    tty: bool,
    quiet: bool,
}

impl Progress {
    /// Start timing now. `quiet` draws nothing.
    pub fn new(label: impl Into<String>, total: usize, quiet: bool) -> Self {
        Progress {
            label: label.into(),
            total,
            start: Instant::now(),
            last_draw: None,
            tty: std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// Report that `done` steps are complete; `note` is appended (e.g. the loss).
    pub fn update(&mut self, done: usize, note: &str) {
        if self.quiet {
            return;
        }
        let every = if self.tty {
            Duration::from_millis(150)
        } else {
            Duration::from_secs(5)
        };
        let due = self.last_draw.is_none_or(|t| t.elapsed() >= every) || done == self.total;
        if !due {
            return;
        }
        self.last_draw = Some(Instant::now());
        let line = self.line(done, note);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// End the line (on a terminal) so later output starts on a fresh one.
    pub fn finish(&mut self) {
        if !self.quiet && self.tty {
            eprintln!();
        }
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn line(&self, done: usize, note: &str) -> String {
        let secs = self.elapsed();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        let eta = if rate > 0.0 {
            (self.total.saturating_sub(done)) as f64 / rate
        } else {
            f64::NAN
        };
        let width = 24;
        let filled = (done * width)
            .checked_div(self.total)
            .unwrap_or(width)
            .min(width);
        let bar = format!("{}{}", "#".repeat(filled), ".".repeat(width - filled));
        let rate_s = if rate >= 1.0 {
            format!("{rate:.2} it/s")
        } else {
            format!("{:.2} s/it", 1.0 / rate.max(1e-9))
        };
        format!(
            "{} [{bar}] {done}/{} {rate_s} ETA {} {note}",
            self.label,
            self.total,
            fmt_duration(eta)
        )
    }
}

/// `3m20s`, `1h02m`, `45s`, or `?` when unknown.
pub fn fmt_duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "?".into();
    }
    let s = secs.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Run `f` with a `(done, total)` callback that draws a bar labelled `label` from the
/// first report on (nothing if `f` reports nothing, or when `quiet`), and end the bar's
/// line afterwards.
pub fn with_bar<R>(
    label: &str,
    quiet: bool,
    f: impl FnOnce(&mut dyn FnMut(usize, usize)) -> R,
) -> R {
    let start = Instant::now();
    let mut bar: Option<Progress> = None;
    let result = f(&mut |done, total| {
        // Timed from the call, not from the first report, so the rate counts step 1.
        bar.get_or_insert_with(|| Progress {
            start,
            ..Progress::new(label, total, quiet)
        })
        .update(done, "")
    });
    if let Some(mut bar) = bar {
        bar.finish();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(5.2), "5s");
        assert_eq!(fmt_duration(200.0), "3m20s");
        assert_eq!(fmt_duration(3720.0), "1h02m");
        assert_eq!(fmt_duration(f64::NAN), "?");
    }

    #[test]
    fn line_shows_counts_rate_and_bar() {
        let p = Progress::new("stylize", 10, true);
        let line = p.line(5, "loss 1.0");
        assert!(
            line.starts_with("stylize [############............] 5/10"),
            "{line}"
        );
        assert!(line.ends_with("loss 1.0"));
    }
}

//! Ctrl-C (SIGINT) and SIGTERM during a long run.
//!
//! The first signal asks the running loop to stop ([`crate::progress::request_stop`]): it
//! finishes the step it is in, saves what it has and returns; `nst` then exits with
//! status 128 + the signal's number — 130 after Ctrl-C, 143 after SIGTERM (what `kill`,
//! `timeout` and job schedulers send) — so a script can tell an interrupted run from a
//! finished one. A second signal exits at once, without saving.
//!
//! The `ctrlc` crate handles Ctrl-C on every platform (Windows included) but cannot tell
//! SIGINT from SIGTERM when asked to catch both, so SIGTERM has its own handler on Unix,
//! installed with `sigaction` from `libc`: it only stores atomics and calls the
//! async-signal-safe `write` and `_exit`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The signal numbers (the same on every Unix).
pub const SIGINT: i32 = 2;
/// SIGTERM.
pub const SIGTERM: i32 = 15;

/// The first signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// Appended to the `--help` of every command that stops cleanly on a signal.
pub const HELP: &str = "Ctrl-C (SIGINT) or SIGTERM stops the run after the current step, \
saves what it has, and exits with status 130 (Ctrl-C) or 143 (SIGTERM); a second signal \
exits at once without saving.";

/// Install the handlers (idempotent). Call where a loop polls
/// [`crate::progress::interrupted`]: elsewhere a signal keeps its default effect.
pub fn install() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let _ = ctrlc::set_handler(|| {
        if RECEIVED
            .compare_exchange(0, SIGINT, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            eprintln!("\ninterrupted twice: exiting without saving");
            std::process::exit(128 + SIGINT);
        }
        crate::progress::request_stop();
        eprintln!("\ninterrupted: finishing this step and saving (press Ctrl-C again to quit now)");
    });
    #[cfg(unix)]
    unix::install_sigterm();
}

/// The exit status for a run that a signal stopped: 128 + its number.
pub fn exit_code() -> Option<ExitCode> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(ExitCode::from((128 + s) as u8)),
    }
}

#[cfg(unix)]
mod unix {
    use super::{RECEIVED, SIGTERM};
    use std::sync::atomic::Ordering;

    const FIRST: &[u8] = b"\nterminated (SIGTERM): finishing this step and saving\n";
    const SECOND: &[u8] = b"\nterminated twice: exiting without saving\n";

    /// Runs in signal context: atomics, `write` and `_exit` only.
    extern "C" fn on_sigterm(_: libc::c_int) {
        let first = RECEIVED
            .compare_exchange(0, SIGTERM, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        let msg = if first { FIRST } else { SECOND };
        // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffers are static.
        unsafe {
            libc::write(2, msg.as_ptr().cast(), msg.len());
            if !first {
                libc::_exit(128 + SIGTERM);
            }
        }
        crate::progress::request_stop();
    }

    pub fn install_sigterm() {
        // SAFETY: a zeroed sigaction is valid (empty mask, no flags); the handler only
        // does async-signal-safe work (see on_sigterm).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigterm as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESTART;
            libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
        }
    }
}

//! The crate's error: one line that names the problem, for the user to read.
//!
//! Bad input (a file that is not a picture, a weight of the wrong shape, a nonsense
//! flag) is reported as an [`Error`] and printed by `nst` as a single `error: …` line
//! with a non-zero exit. Panics are reserved for bugs in this crate.

use std::fmt;

/// A message for the user, already phrased as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

/// Shorthand used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Build an error from anything printable.
    pub fn msg(m: impl Into<String>) -> Self {
        Error(m.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Return early with a formatted [`Error`].
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::error::Error(format!($($arg)*))) };
}

/// Attach context to I/O and parsing errors: `file.read().context(|| format!("reading {p}"))`.
pub trait Context<T> {
    /// Prefix the underlying error with `what` (`"{what}: {error}"`).
    fn context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error(format!("{}: {e}", what().into())))
    }
}

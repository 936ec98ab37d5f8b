//! A crate that re-exports python-container-test, as a company's test kit
//! would; its users name the runtime with `crate = testkit::pct`.

/// The runtime, re-exported.
pub use pct;

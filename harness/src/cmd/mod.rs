//! One module per subcommand; each has an `Args` (clap) and a `run(Args) -> anyhow::Result<u8>`
//! that returns the exit status of its verdict. Beside them, what they share: `values` (the
//! flags' value parsers) and `paths` (the folders the user names, checked before anything
//! starts).

pub mod analyze;
pub mod bench;
pub mod check;
pub mod drill;
pub mod paths;
pub mod sandbox;
pub mod serve;
pub mod targets;
pub mod test;
pub mod values;

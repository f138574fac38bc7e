//! One module per subcommand; each has an `Args` (clap) and a `run(Args) -> anyhow::Result<u8>`
//! that returns the exit status of its verdict.

pub mod analyze;
pub mod bench;
pub mod check;
pub mod sandbox;
pub mod serve;
pub mod targets;
pub mod test;

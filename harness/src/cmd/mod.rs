//! One module per subcommand; each has an `Args` (clap) and a `run(Args) -> anyhow::Result<u8>`
//! that returns the exit status of its verdict.

pub mod check;
pub mod sandbox;

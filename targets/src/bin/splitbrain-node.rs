//! `splitbrain-node`: one candidate of a splitbrain test, the same as `splitbrain node` (which
//! the controller starts); this crate's tests and benchmarks run this binary. Everything is in
//! [`splitbrain_targets::node`]; the crate docs give its command line and protocols.

fn main() -> std::process::ExitCode {
    splitbrain_targets::node::cli::main()
}

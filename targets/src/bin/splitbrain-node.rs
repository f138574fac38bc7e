//! `splitbrain-node`: one candidate of a splitbrain test. Everything is in
//! [`splitbrain_targets::node`]; the crate docs give its command line and protocols.

fn main() -> std::process::ExitCode {
    splitbrain_targets::node::cli::main()
}

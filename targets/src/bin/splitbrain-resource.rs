//! `splitbrain-resource`: the fenced resource as a process of its own, the same as
//! `splitbrain resource`. Everything is in [`splitbrain_targets::resource::cli`].

fn main() -> std::process::ExitCode {
    splitbrain_targets::resource::cli::main_from(std::env::args_os())
}

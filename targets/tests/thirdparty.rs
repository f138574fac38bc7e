//! Integration tests of the third-party targets on loopback: real etcd and redis-server
//! processes, started per test and killed when it ends. A trial whose server is not installed
//! is ignored at runtime, with the reason printed.

mod thirdparty_support;

use libtest_mimic::{Arguments, Trial};
use thirdparty_support::{etcd_tests, k8s_tests, node_tests, redis_tests};

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(etcd_tests::trials());
    trials.extend(k8s_tests::trials());
    trials.extend(redis_tests::trials());
    trials.extend(node_tests::trials());
    libtest_mimic::run(&args, trials).exit();
}

/// A trial that runs only when `program` is installed; otherwise ignored, with the reason.
pub fn needs(program: &str, name: &str, f: fn() -> Result<(), String>) -> Trial {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = splitbrain_targets::thirdparty::catalog::find_program(program, &path).is_some();
    let trial = Trial::test(name, move || f().map_err(Into::into));
    if found {
        return trial;
    }
    eprintln!("ignoring {name}: `{program}` is not installed (run scripts/setup)");
    trial.with_ignored_flag(true)
}

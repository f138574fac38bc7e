//! Builds the clock shim (`shim/src/lib.rs`) as a `no_std`, `panic = "abort"` cdylib with rustc
//! directly, so that the library this crate embeds (see `clock::shim`) is the lean one, whatever
//! profile the workspace builds with, and every binary that links this crate carries it.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = PathBuf::from(env("CARGO_MANIFEST_DIR")).join("shim/src/lib.rs");
    println!("cargo:rerun-if-changed={}", src.display());
    let out = PathBuf::from(env("OUT_DIR")).join("libsplitbrain_clock_shim.so");
    let status = Command::new(env("RUSTC"))
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "cdylib",
            "--crate-name",
            "splitbrain_clock_shim",
        ])
        .args(["-C", "panic=abort", "-C", "opt-level=2", "-C", "debuginfo=0", "--target"])
        .arg(env("TARGET"))
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .expect("running rustc for the clock shim");
    assert!(status.success(), "rustc failed to build the clock shim from {}", src.display());
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name} for build scripts"))
}

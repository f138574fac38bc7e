//! Integration tests of the third-party targets (etcd, k8s-lease, Redis) on loopback.
fn main() {
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), Vec::new()).exit();
}

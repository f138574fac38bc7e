//! node
fn main() {}

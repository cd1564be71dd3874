//! Benchmarks of the schedulability analysis (being written).
fn main() {}

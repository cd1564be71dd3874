//! `rtlab`: parse the command line and dispatch.
fn main() {}

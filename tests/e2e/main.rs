//! End-to-end tests of the `rtlab` binary.

//! Fixed-priority and FIFO bounds against the `response-time-analysis` crate.

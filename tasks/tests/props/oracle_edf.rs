//! EDF bounds against the `response-time-analysis` crate (filled in by the EDF work).

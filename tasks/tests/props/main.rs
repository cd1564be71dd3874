//! Property tests of rtlab-tasks (one integration binary, one module per area).

mod analysis;
mod config;
mod oracle_edf;
mod oracle_fp;

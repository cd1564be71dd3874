//! Property tests of rtlab-tasks (one integration binary, one module per area).

mod analysis;
mod config;

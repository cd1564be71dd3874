//! rtlab-reports: exporters for rtlab results.

pub mod error;
pub mod export;
pub mod format;

pub use error::ReportError;
pub use rtlab_tasks as tasks;

//! rtlab-tasks: the model every rtlab engine stands on.
//!
//! - [`time`]: integer-nanosecond durations and instants, unit strings,
//!   exact hyperperiods;
//! - [`model`]: the validated task set ([`model::System`]);
//! - [`config`]: reading a TOML config into a [`model::System`], with every
//!   problem located at `file:line:col`;
//! - [`analysis`]: schedulability tests (utilization bounds, response-time
//!   analysis, EDF processor demand) and priority assignment;
//! - [`generate`]: random task sets (UUniFast, UUniFast-Discard,
//!   RandFixedSum) for schedulability experiments.
//!
//! ```
//! use rtlab_tasks::config;
//! let text = r#"
//! name = "example"
//! [[task]]
//! name = "a"
//! period = "4ms"
//! wcet = "1ms"
//! [[task]]
//! name = "b"
//! period = "6ms"
//! wcet = "2ms"
//! "#;
//! let loaded = config::load_str(text, "example.toml")?;
//! let report = rtlab_tasks::analysis::analyze(&loaded.system);
//! assert_eq!(report.schedulable, Some(true));
//! # Ok::<(), config::ConfigError>(())
//! ```

pub mod analysis;
pub mod config;
pub mod generate;
pub mod model;
pub mod outcome;
pub mod time;

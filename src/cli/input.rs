//! What the user hands a command: config files (loaded, their warnings
//! shown, a `[[variant]]` picked) and duration arguments.

use std::path::Path;

use rtlab_sim::des::MAX_HORIZON;
use rtlab_tasks::config::{self, Loaded};
use rtlab_tasks::model::System;
use rtlab_tasks::time::Duration;

use super::diagnostics;
use super::error::CliError;

/// Loads a config file and prints its warnings to standard error.
pub(super) fn load(path: &Path) -> Result<Loaded, CliError> {
    let loaded = config::load_file(path)?;
    diagnostics::report_warnings(&loaded);
    Ok(loaded)
}

/// The base system, or the named variant's.
pub(super) fn select<'a>(
    loaded: &'a Loaded,
    variant: Option<&str>,
) -> Result<&'a System, CliError> {
    match variant {
        None => Ok(&loaded.system),
        Some(name) => loaded
            .variants
            .iter()
            .find(|v| v.name == name)
            .map(|v| &v.system)
            .ok_or_else(|| {
                let names: Vec<&str> = loaded.variants.iter().map(|v| v.name.as_str()).collect();
                CliError::Usage(if names.is_empty() {
                    format!("no variant named `{name}`: the config has no [[variant]]")
                } else {
                    format!("no variant named `{name}`; variants: {}", names.join(", "))
                })
            }),
    }
}

/// Parses a duration argument such as `10s` or `1.5ms`.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    text.parse::<Duration>().map_err(|e| e.to_string())
}

/// Parses the length of a run (`simulate --horizon`, `run` and `compare
/// --duration`): a duration at most as long as a config's `duration` may
/// be ([`MAX_HORIZON`]).
pub(super) fn parse_horizon(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        Err("must be greater than 0".to_string())
    } else if d > MAX_HORIZON {
        Err(format!(
            "longer than {MAX_HORIZON} (about 126 years), the longest run (as for a config's `duration`)"
        ))
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run's length says the bound it breaks: 0 is not a run, a minus
    /// sign is not a duration.
    #[test]
    fn a_zero_or_negative_run_length_says_its_bound() {
        assert_eq!(
            parse_horizon("0s"),
            Err("must be greater than 0".to_string())
        );
        assert_eq!(
            parse_horizon("-5ms"),
            Err("`-5ms` is negative: a duration cannot be".to_string())
        );
        assert_eq!(parse_horizon("2s"), Ok(Duration::from_nanos(2_000_000_000)));
    }
}

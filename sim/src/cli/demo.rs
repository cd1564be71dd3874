//! `rtlab` with no arguments: the demo on the embedded `configs/demo.toml`.
//!
//! For now the demo is the analysis of the base config and of its variant;
//! simulation, a live run and the HTML report join it as those engines land.

use rtlab_tasks::analysis;
use rtlab_tasks::config;

use super::analyze::{headline, render, verdict};
use super::{CliError, Exit, init, print};

/// Runs the demo.
pub(super) fn run() -> Result<Exit, CliError> {
    let text = init::template("demo").unwrap_or_default();
    let loaded = config::load_str(text, "configs/demo.toml (embedded)")?;
    let mut out = String::new();
    out.push_str("rtlab demo: the embedded configs/demo.toml\n\n");
    out.push_str(loaded.system.description.trim());
    out.push_str("\n\n");
    out.push_str(&render(&loaded.system, &analysis::analyze(&loaded.system)));
    for v in &loaded.variants {
        out.push_str(&format!("\n--- variant `{}`: {}\n", v.name, v.description));
        out.push_str(&format!("{}\n", headline(&v.system)));
        out.push_str(&verdict(&v.system, &analysis::analyze(&v.system)));
    }
    out.push_str(
        "\nNext: rtlab init demo > demo.toml, change a priority, rtlab analyze demo.toml;\n\
         rtlab tune demo.toml finds a feasible priority order.\n",
    );
    print(&out)?;
    Ok(Exit::Success)
}

//! `rtlab` with no arguments: the demo on the embedded `configs/demo.toml`.
//!
//! The demo analyses the base config and its variant, then simulates both
//! and writes their results under `rtlab-out/demo/`. The live run and the
//! HTML report join it as those engines land.

use rtlab_tasks::analysis;
use rtlab_tasks::config;

use super::analyze::{headline, render as render_analysis, verdict};
use super::simulate::{default_out, simulate_into};
use super::summary::render as render_summary;
use super::{CliError, Exit, init, print};
use crate::des::Options;

/// Runs the demo.
pub(super) fn run() -> Result<Exit, CliError> {
    let text = init::template("demo").unwrap_or_default();
    let loaded = config::load_str(text, "configs/demo.toml (embedded)")?;
    let base = &loaded.system;
    let mut out = String::new();
    out.push_str("rtlab demo: the embedded configs/demo.toml\n\n");
    out.push_str(base.description.trim());
    out.push_str("\n\n== 1. analysis ==\n\n");
    out.push_str(&render_analysis(base, &analysis::analyze(base)));
    for v in &loaded.variants {
        out.push_str(&format!("\nvariant `{}`: {}\n", v.name, v.description));
        out.push_str(&format!("{}\n", headline(&v.system)));
        out.push_str(&verdict(&v.system, &analysis::analyze(&v.system)));
    }

    out.push_str(&format!(
        "\n== 2. simulation ({} of virtual time, seed {}) ==\n\n",
        base.duration, base.seed
    ));
    let options = Options::of(base);
    let dir = default_out(base, None, "simulation");
    let outcome = simulate_into(base, None, &options, &dir, false)?;
    out.push_str(&render_summary(base, &outcome));
    let mut written = vec![dir];
    for v in &loaded.variants {
        let dir = default_out(&v.system, Some(&v.name), "simulation");
        let outcome = simulate_into(
            &v.system,
            Some(&v.name),
            &Options::of(&v.system),
            &dir,
            false,
        )?;
        let misses = outcome.deadline_misses();
        out.push_str(&format!(
            "\nvariant `{}`: {}\n",
            v.name,
            if misses == 0 {
                "no deadline was missed".to_string()
            } else {
                format!("{misses} deadlines missed")
            }
        ));
        written.push(dir);
    }
    out.push_str("\nresults:\n");
    for dir in &written {
        out.push_str(&format!("  {}\n", dir.join("result.json").display()));
    }
    out.push_str(
        "\nNext: rtlab init demo --out demo.toml, change a priority, rtlab analyze demo.toml;\n\
         rtlab tune demo.toml finds a feasible order; rtlab simulate demo.toml --trace\n\
         writes a trace for ui.perfetto.dev.\n",
    );
    print(&out)?;
    Ok(Exit::Success)
}

//! Finding where in a config a value stands, for problems found after
//! loading (a CPU the machine does not have is found by `rtlab run`, not by
//! `check`).

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::Source;
use super::reader::as_i64;

/// The first place that names CPU `cpu`: an entry of `platform.cpus`, a
/// task's `cpu`, or an entry of a `[[load]]`'s `cpus`.
pub fn cpu_span(source: &Source, cpu: u32) -> Option<Range<usize>> {
    let root = DeTable::parse(source.text()).ok()?;
    let root = root.get_ref();
    let is = |v: &DeValue<'_>| as_i64(v) == Some(i64::from(cpu));
    let in_array = |v: &DeValue<'_>| {
        v.as_array()
            .and_then(|a| a.iter().find(|x| is(x.get_ref())).map(|x| x.span()))
    };
    if let Some(span) = root
        .get("platform")
        .and_then(|p| p.get_ref().as_table())
        .and_then(|p| p.get("cpus"))
        .and_then(|c| in_array(c.get_ref()))
    {
        return Some(span);
    }
    let tables = |key: &str| -> Vec<&DeTable<'_>> {
        root.get(key)
            .and_then(|t| t.get_ref().as_array())
            .map(|a| a.iter().filter_map(|t| t.get_ref().as_table()).collect())
            .unwrap_or_default()
    };
    for t in tables("task") {
        if let Some(c) = t.get("cpu").filter(|c| is(c.get_ref())) {
            return Some(c.span());
        }
    }
    for l in tables("load") {
        if let Some(span) = l.get("cpus").and_then(|c| in_array(c.get_ref())) {
            return Some(span);
        }
    }
    None
}

/// Where the value of the table key at `path` stands (`["scheduler",
/// "preemptive"]`), if the config writes it.
pub fn key_span(source: &Source, path: &[&str]) -> Option<Range<usize>> {
    let root = DeTable::parse(source.text()).ok()?;
    let (last, tables) = path.split_last()?;
    let mut table = root.get_ref();
    for key in tables {
        table = table.get(*key)?.get_ref().as_table()?;
    }
    table.get(*last).map(|v| v.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_platform_task_and_load_cpus() {
        let text = "name = \"x\"\n[platform]\ncpus = [0, 3]\n[[task]]\nname = \"a\"\ncpu = 7\n[[load]]\ncpus = [9]\n";
        let s = Source::new("x.toml", text);
        assert_eq!(
            s.location(cpu_span(&s, 3).unwrap().start).to_string(),
            "3:12"
        );
        assert_eq!(
            s.location(cpu_span(&s, 7).unwrap().start).to_string(),
            "6:7"
        );
        assert_eq!(
            s.location(cpu_span(&s, 9).unwrap().start).to_string(),
            "8:9"
        );
        assert_eq!(cpu_span(&s, 5), None);
    }

    #[test]
    fn finds_a_key_in_a_table_and_nothing_for_a_key_not_written() {
        let text = "name = \"x\"\n[scheduler]\npolicy = \"fifo\"\npreemptive = false\n";
        let s = Source::new("x.toml", text);
        let span = key_span(&s, &["scheduler", "preemptive"]).unwrap();
        assert_eq!(s.location(span.start).to_string(), "4:14");
        assert_eq!(key_span(&s, &["scheduler", "quantum"]), None);
        assert_eq!(key_span(&s, &["live", "os_policy"]), None);
    }
}

//! Shared resources: ids in order of first use, lock-order cycles, and
//! thread-name clashes.

use std::collections::BTreeMap;

use crate::config::problem::Problem;
use crate::config::raw::RawConfig;
use crate::config::reader::Problems;
use crate::model::{Resource, ResourceId, Task, index_resources, lock_order_cycles};

/// Collects the resources named in `sections` and sets each section's
/// resource id; `order[k]` lists the raw section index of each section of
/// `tasks[k]`. Numbering by first use and the lists of users are the
/// model's bookkeeping ([`crate::model::index_resources`]), done here too
/// because the lock-order warnings need them, even for a config with errors.
pub(super) fn resources(
    raw: &RawConfig,
    tasks: &mut [Task],
    order: &[Vec<usize>],
) -> Vec<Resource> {
    let mut resources: Vec<Resource> = Vec::new();
    for (task, order) in tasks.iter_mut().zip(order) {
        let rt = &raw.tasks[task.id.0];
        for (section, &i) in task.sections.iter_mut().zip(order) {
            let name = &rt.sections[i].resource.value;
            let id = match resources.iter().position(|r| &r.name == name) {
                Some(r) => r,
                None => {
                    resources.push(Resource {
                        id: ResourceId(resources.len()),
                        name: name.clone(),
                        users: Vec::new(),
                    });
                    resources.len() - 1
                }
            };
            section.resource = ResourceId(id);
        }
    }
    index_resources(tasks, &mut resources);
    resources
}

/// Warns about cycles in the order in which nested sections take locks
/// (see [`crate::model::lock_order_cycles`]), at the inner section that
/// closes each cycle.
pub(super) fn lock_order_warnings(
    raw: &RawConfig,
    tasks: &[Task],
    resources: &[Resource],
    out: &mut Problems,
) {
    for cycle in lock_order_cycles(tasks, resources.len()) {
        let n = cycle.resources.len();
        let name = |r: ResourceId| resources[r.0].name.as_str();
        let mut names: Vec<&str> = cycle.resources.iter().map(|&r| name(r)).collect();
        names.push(names[0]);
        let how: Vec<String> = cycle
            .takers
            .iter()
            .enumerate()
            .map(|(k, t)| {
                format!(
                    "`{}` takes {} then {}",
                    tasks[t.0].name,
                    names[k],
                    names[k + 1]
                )
            })
            .collect();
        // The span of the inner section of the closing edge.
        let (last, first) = (cycle.resources[n - 1], cycle.resources[0]);
        let taker = cycle.takers[n - 1];
        let inner = tasks[taker.0].sections.iter().find(|sb| {
            sb.resource == first
                && tasks[taker.0]
                    .sections
                    .iter()
                    .any(|sa| sa.resource == last && sa.contains(sb))
        });
        let rt = &raw.tasks[taker.0];
        let span = inner
            .and_then(|sb| {
                rt.sections
                    .iter()
                    .find(|s| s.after.value == sb.after && s.hold.value == sb.hold)
            })
            .map_or(rt.span.clone(), |s| s.span.clone());
        out.push(
            Problem::warning(
                format!(
                    "possible deadlock: lock order cycle {} ({})",
                    names.join(" -> "),
                    how.join("; ")
                ),
                span,
            )
            .with_hint(
                "take nested locks in one global order, or use locking = \"ceiling\" on one CPU",
            ),
        );
    }
}

/// Warns when two task names share their first 15 bytes (the live engine's
/// thread names would be the same).
pub(super) fn thread_name_warnings(raw: &RawConfig, out: &mut Problems) {
    let mut seen: BTreeMap<&[u8], &str> = BTreeMap::new();
    for t in &raw.tasks {
        let Some(n) = &t.name else { continue };
        let key = &n.value.as_bytes()[..n.value.len().min(15)];
        match seen.get(key) {
            Some(other) if *other != n.value => out.push(Problem::warning(
                format!(
                    "task names `{other}` and `{}` share their first 15 bytes: their live threads will have the same name in top and ps",
                    n.value
                ),
                n.span.clone(),
            )),
            _ => {
                seen.insert(key, &n.value);
            }
        }
    }
}

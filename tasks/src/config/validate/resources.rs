//! Shared resources: ids in order of first use, lock-order cycles, and
//! thread-name clashes.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::config::problem::Problem;
use crate::config::raw::RawConfig;
use crate::config::reader::Problems;
use crate::model::{Resource, ResourceId, Task};

/// Collects resources in order of first use and sets section resource ids;
/// `order[k]` lists the raw section index of each section of `tasks[k]`.
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
                Some(r) => ResourceId(r),
                None => {
                    resources.push(Resource {
                        id: ResourceId(resources.len()),
                        name: name.clone(),
                        users: Vec::new(),
                    });
                    ResourceId(resources.len() - 1)
                }
            };
            section.resource = id;
            if !resources[id.0].users.contains(&task.id) {
                resources[id.0].users.push(task.id);
            }
        }
    }
    resources
}

/// Warns about cycles in the order in which nested sections take locks.
pub(super) fn lock_order_warnings(
    raw: &RawConfig,
    tasks: &[Task],
    resources: &[Resource],
    out: &mut Problems,
) {
    // Edge outer -> inner, remembering one task and span that takes it.
    let mut edges: BTreeMap<(usize, usize), (usize, Range<usize>)> = BTreeMap::new();
    for task in tasks {
        for (a, sa) in task.sections.iter().enumerate() {
            for sb in &task.sections[a + 1..] {
                if sa.contains(sb) && sa.resource != sb.resource {
                    let span = raw.tasks[task.id.0]
                        .sections
                        .iter()
                        .find(|s| s.after.value == sb.after && s.hold.value == sb.hold)
                        .map_or(raw.tasks[task.id.0].span.clone(), |s| s.span.clone());
                    edges
                        .entry((sa.resource.0, sb.resource.0))
                        .or_insert((task.id.0, span));
                }
            }
        }
    }
    let n = resources.len();
    let mut reported = Vec::new();
    for start in 0..n {
        // Depth-first search for a path back to `start` through resources
        // with larger ids (each cycle reported once, from its smallest id).
        let mut stack = vec![(start, vec![start])];
        while let Some((node, path)) = stack.pop() {
            for (&(a, b), _) in edges.range((node, 0)..=(node, usize::MAX)) {
                debug_assert_eq!(a, node);
                if b == start {
                    if !reported.contains(&path) {
                        let mut names: Vec<&str> =
                            path.iter().map(|&r| resources[r].name.as_str()).collect();
                        names.push(&resources[start].name);
                        let how: Vec<String> = path
                            .iter()
                            .zip(path.iter().skip(1).chain(std::iter::once(&start)))
                            .map(|(&x, &y)| {
                                let (t, _) = &edges[&(x, y)];
                                format!(
                                    "`{}` takes {} then {}",
                                    tasks[*t].name, resources[x].name, resources[y].name
                                )
                            })
                            .collect();
                        let span = edges[&(node, start)].1.clone();
                        out.push(
                            Problem::warning(
                                format!("possible deadlock: lock order cycle {} ({})", names.join(" -> "), how.join("; ")),
                                span,
                            )
                            .with_hint("take nested locks in one global order, or use locking = \"ceiling\" on one CPU"),
                        );
                        reported.push(path.clone());
                    }
                } else if b > start && !path.contains(&b) {
                    let mut next = path.clone();
                    next.push(b);
                    stack.push((b, next));
                }
            }
        }
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

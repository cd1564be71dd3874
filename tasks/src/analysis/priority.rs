//! Priority assignment (stub: being written).

use crate::model::{Priority, PriorityOrder, System};

/// The outcome of a priority assignment.
#[derive(Clone, Debug)]
pub struct Assignment {
    /// One priority per task, in task order (higher = more urgent).
    pub priorities: Vec<Priority>,
}

/// Rate-monotonic stub.
pub fn assign(system: &System, _order: PriorityOrder) -> Assignment {
    let mut idx: Vec<usize> = (0..system.tasks.len()).collect();
    idx.sort_by_key(|&i| {
        (
            std::cmp::Reverse(system.tasks[i].period),
            std::cmp::Reverse(i),
        )
    });
    let mut priorities = vec![0; system.tasks.len()];
    for (rank, i) in idx.into_iter().enumerate() {
        priorities[i] = rank as Priority + 1;
    }
    Assignment { priorities }
}

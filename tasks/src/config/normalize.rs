//! The normalized form of a config: every default filled in, durations as
//! unit strings, the priorities and CPUs the model ended up with. Result
//! files carry it so that a result says exactly what was run.

use serde_json::{Value, json};

use crate::model::{Execution, System, Task};

/// The system as a JSON object with the keys of the config schema.
pub fn normalized(system: &System) -> Value {
    let s = &system.scheduler;
    let tasks: Vec<Value> = system.tasks.iter().map(|t| task(system, t)).collect();
    let loads: Vec<Value> = system
        .loads
        .iter()
        .map(|l| {
            json!({
                "kind": l.kind,
                "cpus": l.cpus,
                "duty": l.duty,
                "period": l.period.to_string(),
            })
        })
        .collect();
    json!({
        "name": system.name,
        "description": system.description,
        "duration": system.duration.to_string(),
        "seed": system.seed,
        "platform": { "cpus": system.platform.cpus },
        "scheduler": {
            "policy": s.policy,
            "preemptive": s.preemptive,
            "priorities": s.priorities,
            "placement": s.placement,
            "quantum": s.quantum.to_string(),
            "locking": s.locking,
            "overrun": s.overrun,
            "on_miss": s.on_miss,
        },
        "live": {
            "os_policy": system.live.os_policy,
            "priority_top": system.live.priority_top,
            "spin_tail": system.live.spin_tail.to_string(),
            "lock_memory": system.live.lock_memory,
            "kernel_trace": system.live.kernel_trace,
        },
        "task": tasks,
        "load": loads,
    })
}

/// One `[[task]]` table, with the priority and CPU the model ended up with.
fn task(system: &System, t: &Task) -> Value {
    let sections: Vec<Value> = t
        .sections
        .iter()
        .map(|sec| {
            json!({
                "resource": system.resource_name(sec.resource),
                "after": sec.after.to_string(),
                "hold": sec.hold.to_string(),
            })
        })
        .collect();
    json!({
        "name": t.name,
        "period": t.period.to_string(),
        "wcet": t.wcet.to_string(),
        "deadline": t.deadline.to_string(),
        "offset": t.offset.to_string(),
        "priority": t.priority,
        "cpu": t.cpu,
        "execution": execution(&t.execution),
        "release_jitter": t.release_jitter.to_string(),
        "sections": sections,
        "faults": { "panic_every": t.faults.panic_every },
    })
}

/// A task's `execution` table, durations as unit strings.
fn execution(execution: &Execution) -> Value {
    match execution {
        Execution::Constant => json!({ "model": "constant" }),
        Execution::Uniform { min, max } => {
            json!({ "model": "uniform", "min": min.to_string(), "max": max.to_string() })
        }
        Execution::Normal { mean, stddev } => {
            json!({ "model": "normal", "mean": mean.to_string(), "stddev": stddev.to_string() })
        }
        Execution::Bimodal { low, high, p_high } => json!({
            "model": "bimodal", "low": low.to_string(), "high": high.to_string(), "p_high": p_high
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalized_config_fills_defaults() {
        let text = "name = \"n\"\n[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1.5ms\"\nsections = [{ resource = \"bus\", after = \"0ms\", hold = \"1ms\" }]\n";
        let loaded = super::super::load_str(text, "n.toml").unwrap();
        let v = super::normalized(&loaded.system);
        assert_eq!(v["scheduler"]["policy"], "fixed-priority");
        assert_eq!(v["task"][0]["wcet"], "1.5ms");
        assert_eq!(v["task"][0]["deadline"], "4ms");
        assert_eq!(v["task"][0]["sections"][0]["resource"], "bus");
        assert_eq!(v["task"][0]["cpu"], 0);
        assert_eq!(v["live"]["os_policy"], "fifo");
        assert_eq!(v["duration"], "1s");
    }
}

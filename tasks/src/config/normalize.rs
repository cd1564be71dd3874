//! The normalized form of a config: every default filled in, durations as
//! unit strings, the priorities and CPUs the model ended up with. Result
//! files carry it so that a result says exactly what was run.

use serde_json::{Value, json};

use crate::model::{Arrival, Execution, System, Task};

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
    let mut v = json!({
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
    });
    if !system.chains.is_empty() {
        let chains: Vec<Value> = system
            .chains
            .iter()
            .map(|c| {
                let mut chain = json!({
                    "name": c.name,
                    "tasks": c.tasks.iter().map(|t| &system.tasks[t.0].name).collect::<Vec<_>>(),
                });
                if let Some(d) = c.deadline {
                    chain["deadline"] = json!(d.to_string());
                }
                chain
            })
            .collect();
        v["chain"] = json!(chains);
    }
    v
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
    let mut v = json!({
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
    });
    // Only where a task has them, so that results of configs without
    // them keep their bytes.
    match t.arrival {
        Arrival::Periodic => {}
        Arrival::Sporadic { min, max } => {
            v["arrival"] =
                json!({ "model": "sporadic", "min": min.to_string(), "max": max.to_string() });
        }
        Arrival::Poisson { mean, min } => {
            v["arrival"] =
                json!({ "model": "poisson", "mean": mean.to_string(), "min": min.to_string() });
        }
    }
    if let Some(trigger) = t.trigger {
        v["trigger"] = json!(system.tasks[trigger.0].name);
    }
    if !t.reads.is_empty() {
        let reads: Vec<&str> = t
            .reads
            .iter()
            .map(|r| system.tasks[r.0].name.as_str())
            .collect();
        v["reads"] = json!(reads);
    }
    v
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
        assert!(v.get("chain").is_none());
        assert!(v["task"][0].get("trigger").is_none());
    }

    #[test]
    fn normalized_config_names_links_arrivals_and_chains() {
        let text = "name = \"n\"\n[[task]]\nname = \"a\"\nwcet = \"1ms\"\n\
                    arrival = { model = \"sporadic\", min = \"4ms\", max = \"8ms\" }\n\
                    [[task]]\nname = \"b\"\nwcet = \"1ms\"\ntrigger = \"a\"\n\
                    [[task]]\nname = \"c\"\nperiod = \"2ms\"\nwcet = \"1ms\"\nreads = [\"b\"]\n\
                    [[chain]]\nname = \"abc\"\ntasks = [\"a\", \"b\", \"c\"]\ndeadline = \"9ms\"\n";
        let loaded = super::super::load_str(text, "n.toml").unwrap();
        let v = super::normalized(&loaded.system);
        assert_eq!(v["task"][0]["arrival"]["model"], "sporadic");
        assert_eq!(v["task"][0]["arrival"]["max"], "8ms");
        assert_eq!(v["task"][1]["trigger"], "a");
        assert_eq!(v["task"][1]["period"], "4ms");
        assert_eq!(v["task"][2]["reads"][0], "b");
        assert_eq!(v["chain"][0]["tasks"][2], "c");
        assert_eq!(v["chain"][0]["deadline"], "9ms");
    }
}

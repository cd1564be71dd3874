//! The config templates: the configs shipped in `configs/`, compiled into
//! the binary, so `rtlab init` and the demo work anywhere.

/// `(name, what it teaches, text)` of every template; the first is the
/// default.
pub(super) const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "starter",
        "every key with its default and meaning",
        include_str!("../../configs/starter.toml"),
    ),
    (
        "demo",
        "priorities by importance miss; rate-monotonic fixes it",
        include_str!("../../configs/demo.toml"),
    ),
    (
        "rm-textbook",
        "three tasks under RM: utilization bounds vs exact RTA",
        include_str!("../../configs/rm-textbook.toml"),
    ),
    (
        "rm-vs-edf",
        "schedulable under EDF, not under RM",
        include_str!("../../configs/rm-vs-edf.toml"),
    ),
    (
        "pathfinder",
        "priority inversion and its cures (inherit, ceiling)",
        include_str!("../../configs/pathfinder.toml"),
    ),
    (
        "overload",
        "U > 1: how FP and EDF degrade",
        include_str!("../../configs/overload.toml"),
    ),
    (
        "two-cores",
        "partitioned vs global on two CPUs (Dhall effect)",
        include_str!("../../configs/two-cores.toml"),
    ),
    (
        "pipeline",
        "a camera pipeline over two CPUs: end-to-end latency of triggered stages",
        include_str!("../../configs/pipeline.toml"),
    ),
    (
        "request-server",
        "Poisson requests and a worker stage beside a periodic control task",
        include_str!("../../configs/request-server.toml"),
    ),
    (
        "jitter-under-load",
        "wake-up latency under load, with and without SCHED_FIFO",
        include_str!("../../configs/jitter-under-load.toml"),
    ),
];

/// The text of a template by name.
pub(super) fn template(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, t)| *t)
}

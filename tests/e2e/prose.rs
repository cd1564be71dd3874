//! Every number a shipped config's prose states (its header comment and its
//! `description`) is what rtlab computes for it: a percentage or a total
//! utilization is checked against the analysis (total utilization, per CPU
//! capacity), the simulation (busy share) or the config itself (a load's
//! duty). A new number in the prose without a rule here fails the test.

use crate::util::{Sandbox, all_configs};

/// What a number in the prose stands for.
enum Means {
    /// The total utilization (sum of WCET / period), as a percentage.
    UtilizationPercent,
    /// The total utilization, as a number.
    Utilization,
    /// The total utilization per CPU of the platform, as a percentage.
    CapacityPercent,
    /// The simulated busy share of the first CPU, as a percentage.
    SimulatedBusyPercent,
    /// The first `[[load]]`'s duty, as a percentage.
    LoadDutyPercent,
    /// Liu & Layland's bound for the config's number of tasks.
    LiuLayland,
    /// The hyperbolic bound's product, Π (U_i + 1).
    HyperbolicProduct,
}

/// (config, the text just before the number, what it means).
const RULES: &[(&str, &str, Means)] = &[
    ("demo", "fill only ", Means::UtilizationPercent),
    ("demo", "the CPU (", Means::SimulatedBusyPercent),
    ("overload", "asks for ", Means::UtilizationPercent),
    ("overload", "utilization ", Means::Utilization),
    ("two-cores", "utilization of ", Means::Utilization),
    ("rm-textbook", "total utilization ", Means::Utilization),
    ("rm-textbook", "three tasks is ", Means::LiuLayland),
    ("rm-textbook", "product is ", Means::HyperbolicProduct),
    ("rm-vs-edf", "Utilization ", Means::Utilization),
    ("two-cores", "two CPUs, ", Means::CapacityPercent),
    ("jitter-under-load", "busy ", Means::LoadDutyPercent),
];

/// The prose of a config file: its leading comment and its description.
fn prose(text: &str) -> String {
    let header: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    let description = text
        .split("description = \"\"\"")
        .nth(1)
        .and_then(|d| d.split("\"\"\"").next())
        .unwrap_or("");
    format!("{} {}", header.join(" "), description).replace('\n', " ")
}

/// Every number with a `%` after it, or with a decimal point and no unit:
/// the 20 characters before it, its value, its number of decimals.
fn numbers(prose: &str) -> Vec<(String, f64, i32)> {
    let chars: Vec<char> = prose.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let text = text.trim_end_matches('.');
            let percent = chars.get(i) == Some(&'%');
            // A duration ("0.1 ms", "10.5ms") is not a utilization.
            let word: String = chars[i..]
                .iter()
                .skip_while(|c| **c == ' ')
                .take_while(|c| c.is_alphabetic())
                .collect();
            let unit = ["ms", "us", "µs", "ns", "s", "min"].contains(&word.as_str());
            if percent || (text.contains('.') && !unit) {
                let before: String = chars[start.saturating_sub(20)..start].iter().collect();
                let decimals = text.split('.').nth(1).map_or(0, |d| d.len() as i32);
                out.push((before, text.parse().unwrap(), decimals));
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn every_number_in_a_configs_prose_is_what_rtlab_computes() {
    let sb = Sandbox::new();
    let mut checked = 0;
    for path in all_configs() {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let found = numbers(&prose(&text));
        if found.is_empty() {
            continue;
        }
        let analysis = sb
            .rtlab(["analyze".as_ref(), path.as_os_str(), "--json".as_ref()])
            .json();
        let u = analysis["utilization"].as_f64().unwrap();
        let tasks = analysis["tasks"].as_array().unwrap();
        for (before, value, decimals) in found {
            let rule = RULES
                .iter()
                .find(|(c, b, _)| *c == name && before.ends_with(b))
                .unwrap_or_else(|| {
                    panic!("{name}: no rule for the number {value} after {before:?}")
                });
            let computed = match rule.2 {
                Means::UtilizationPercent => u * 100.0,
                Means::Utilization => u,
                Means::CapacityPercent => {
                    let cpus = text
                        .split("cpus = [")
                        .nth(1)
                        .unwrap()
                        .split(']')
                        .next()
                        .unwrap();
                    u * 100.0 / cpus.split(',').count() as f64
                }
                Means::SimulatedBusyPercent => {
                    let out = format!("sim-{name}");
                    let sim = sb.rtlab([
                        "simulate".as_ref(),
                        path.as_os_str(),
                        "--json".as_ref(),
                        "--out".as_ref(),
                        out.as_ref(),
                    ]);
                    sim.json()["cpus"][0]["busy_ratio"].as_f64().unwrap() * 100.0
                }
                Means::LiuLayland => {
                    let n = tasks.len() as f64;
                    n * (2f64.powf(1.0 / n) - 1.0)
                }
                Means::HyperbolicProduct => tasks
                    .iter()
                    .map(|t| t["utilization"].as_f64().unwrap() + 1.0)
                    .product(),
                Means::LoadDutyPercent => {
                    let duty = text
                        .split("duty = ")
                        .nth(1)
                        .unwrap()
                        .split_whitespace()
                        .next();
                    duty.unwrap().parse::<f64>().unwrap() * 100.0
                }
            };
            // Rounded as written.
            let scale = 10f64.powi(decimals);
            let shown = (computed * scale).round() / scale;
            assert_eq!(
                shown, value,
                "{name}: the prose says {value} after {before:?}, rtlab computes {computed}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked} numbers checked");
}

//! The loader never panics: on arbitrary bytes, and on random mutations of
//! every shipped config. What it accepts satisfies the model's invariants;
//! what it rejects carries at least one located error.

use proptest::prelude::*;

use rtlab_tasks::config::{self, ConfigError};
use rtlab_tasks::model::{Placement, PriorityOrder, System};

const CONFIGS: &[&str] = &[
    include_str!("../../../configs/demo.toml"),
    include_str!("../../../configs/rm-textbook.toml"),
    include_str!("../../../configs/rm-vs-edf.toml"),
    include_str!("../../../configs/pathfinder.toml"),
    include_str!("../../../configs/overload.toml"),
    include_str!("../../../configs/two-cores.toml"),
    include_str!("../../../configs/jitter-under-load.toml"),
    include_str!("../../../configs/starter.toml"),
];

/// Fragments that tend to break things when spliced into a config.
const TOKENS: &[&str] = &[
    "\"0ms\"",
    "\"-1ms\"",
    "\"1.5\"",
    "\"99999999999s\"",
    "\"18446744073709551615ns\"",
    "\"1e3ms\"",
    "\"0.0000001ns\"",
    "0",
    "-1",
    "99999999999999999999",
    "3.5",
    "nan",
    "inf",
    "true",
    "\"\"",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    "=",
    "\"",
    ".",
    "\n",
    "#",
    "[[task]]\n",
    "[[variant]]\n",
    "[scheduler]\n",
    "name = \"x\"\n",
    "period = \"1ms\"\n",
    "wcet = \"2ms\"\n",
    "cpu = 7\n",
    "priority = 0\n",
    "priority = 100\n",
    "sections = [{ resource = \"r\", after = \"0ms\", hold = \"9s\" }]\n",
    "set = { \"task.*.wcet\" = \"1s\" }\n",
    "set = { \"scheduler\" = 1 }\n",
    "set = { \"a..b\" = 1 }\n",
    "execution = { model = \"normal\", mean = \"1ms\", stddev = \"0ms\" }\n",
    "µ",
    "\u{0}",
    "\u{feff}",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Replace { at: usize, len: usize, token: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), 1usize..12, 0..TOKENS.len())
            .prop_map(|(at, len, token)| Mutation::Replace { at, len, token }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut s = text.to_string();
    match *m {
        Mutation::Delete { at, len } => {
            let a = boundary(&s, at);
            let b = boundary(&s, (a + len).min(s.len()));
            s.replace_range(a..b.max(a), "");
        }
        Mutation::Insert { at, token } => {
            let a = boundary(&s, at);
            s.insert_str(a, TOKENS[token]);
        }
        Mutation::Replace { at, len, token } => {
            let a = boundary(&s, at);
            let b = boundary(&s, (a + len).min(s.len()));
            s.replace_range(a..b.max(a), TOKENS[token]);
        }
        Mutation::DuplicateLine { line } => {
            let lines: Vec<&str> = s.lines().collect();
            if !lines.is_empty() {
                let i = line % lines.len();
                let mut out: Vec<&str> = lines.clone();
                out.insert(i, lines[i]);
                s = out.join("\n");
            }
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<&str> = s.lines().collect();
            if !lines.is_empty() {
                let (a, b) = (a % lines.len(), b % lines.len());
                lines.swap(a, b);
                s = lines.join("\n");
            }
        }
    }
    s
}

/// The invariants documented in `rtlab_tasks::model`.
fn check_invariants(s: &System) {
    assert!(!s.tasks.is_empty());
    assert!(!s.platform.cpus.is_empty());
    for (i, t) in s.tasks.iter().enumerate() {
        assert_eq!(t.id.0, i);
        assert!(!t.period.is_zero(), "{}", t.name);
        assert!(!t.wcet.is_zero() && t.wcet <= t.deadline, "{}", t.name);
        match s.scheduler.placement {
            Placement::Partitioned => {
                assert!(
                    t.cpu.is_some_and(|c| s.platform.cpus.contains(&c)),
                    "{}",
                    t.name
                )
            }
            Placement::Global => assert!(t.cpu.is_none()),
        }
        if s.scheduler.priorities == PriorityOrder::Explicit {
            assert!((1..=99).contains(&t.priority));
        } else {
            assert!(t.priority >= 1);
        }
        for sec in &t.sections {
            assert!(sec.end() <= t.wcet);
            assert!(sec.resource.0 < s.resources.len());
        }
    }
    let mut names: Vec<&str> = s.tasks.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), s.tasks.len());
}

fn check_outcome(result: Result<config::Loaded, ConfigError>) {
    match result {
        Ok(loaded) => {
            check_invariants(&loaded.system);
            for v in &loaded.variants {
                check_invariants(&v.system);
            }
            for w in &loaded.warnings {
                let _ = config::render_plain(&loaded.source, w);
            }
        }
        Err(ConfigError::Invalid { file, problems }) => {
            assert!(problems.iter().any(|p| p.is_error()));
            for p in &problems {
                let line = config::render_plain(&file, p);
                assert!(line.starts_with(file.name()), "{line}");
                let at = file.location(p.span.start);
                assert!(at.line >= 1 && at.column >= 1);
            }
        }
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=N runs a longer hunt.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_outcome(config::load_bytes(&bytes, "fuzz.toml"));
    }

    #[test]
    fn mutated_configs_never_panic(
        which in 0..CONFIGS.len(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut text = CONFIGS[which].to_string();
        for m in &mutations {
            text = apply(&text, m);
        }
        check_outcome(config::load_str(&text, "mutated.toml"));
    }
}

#[test]
fn every_shipped_config_loads() {
    for text in CONFIGS {
        check_outcome(config::load_str(text, "shipped.toml"));
        assert!(config::load_str(text, "shipped.toml").is_ok());
    }
}

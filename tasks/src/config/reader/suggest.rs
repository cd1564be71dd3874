//! "Did you mean": the word a wrong one most likely stands for. Keys are
//! matched by edit distance; an enum value also by case, `_` for `-`,
//! initials (`RM`), other names (`pip`), prefixes, and by being a value of
//! another key (`policy = "rate-monotonic"`), which is then named.

use std::ops::Range;

use crate::config::choices::{ALIASES, enum_keys};
use crate::config::problem::{Problem, ProblemKind};

/// `word` spelled as the value tables spell values: trimmed, lowercase,
/// `-` for `_` and blanks, without a `sched-` prefix (`SCHED_FIFO` is
/// `fifo`).
pub(crate) fn normalized(word: &str) -> String {
    let w: String = word
        .trim()
        .chars()
        .map(|c| {
            if c == '_' || c.is_whitespace() {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    match w.strip_prefix("sched-") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => w,
    }
}

/// The closest of `candidates` to `word` by edit distance, if close enough
/// to be a plausible typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|&(d, c)| d <= 2.max(c.len() / 3))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance over characters: Levenshtein's
/// insertions, deletions and substitutions, plus swapping two neighbours
/// (`wect` is one step from `wcet`, not two).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| (0..=b.len()).map(|j| if i == 0 { j } else { i }).collect())
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The first letters of a value's words (`rm` for `rate-monotonic`); none
/// for a one-word value.
fn initials(value: &str) -> Option<String> {
    value
        .contains('-')
        .then(|| value.split('-').filter_map(|w| w.chars().next()).collect())
}

/// A value that a wrong one most likely stands for, and what that value
/// is when its name does not say.
struct Guess {
    value: &'static str,
    gloss: Option<&'static str>,
}

impl Guess {
    fn hint(&self) -> String {
        match self.gloss {
            Some(g) => format!("did you mean \"{}\" ({g})?", self.value),
            None => format!("did you mean \"{}\"?", self.value),
        }
    }
}

/// Which of `values` (those of the key at `path`) `word` stands for: the
/// same word in another case or spelling, another name of it, its
/// initials, and when `loose`, a prefix of it or a typo.
fn guess(path: &str, word: &str, values: &[&'static str], loose: bool) -> Option<Guess> {
    let w = normalized(word);
    let plain = |value: &'static str| Guess { value, gloss: None };
    if let Some(v) = values.iter().find(|v| **v == w) {
        return Some(plain(v));
    }
    if let Some(a) = ALIASES
        .iter()
        .find(|a| a.path == path && a.names.contains(&w.as_str()))
    {
        return Some(Guess {
            value: a.value,
            gloss: a.gloss,
        });
    }
    if let Some(v) = values.iter().find(|v| initials(v).is_some_and(|i| i == w)) {
        return Some(plain(v));
    }
    if !loose {
        return None;
    }
    if w.len() >= 3
        && let Some(v) = values
            .iter()
            .find(|v| v.starts_with(&w) || (v.len() >= 3 && w.starts_with(**v)))
    {
        return Some(plain(v));
    }
    // One typo per three letters of the shorter word, at least one: `dm` is
    // not a typo of `edf`.
    values
        .iter()
        .map(|v| (edit_distance(&w, v), *v))
        .filter(|&(d, v)| d <= (w.chars().count().min(v.len()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, v)| plain(v))
}

/// How a config writes `value` at the enum key at `path`.
fn written_at(path: &str, value: &str) -> String {
    match path.split_once('.') {
        Some(("task", "execution.model")) => {
            format!("execution = {{ model = \"{value}\" }} in a [[task]]")
        }
        Some(("load", key)) => format!("{key} = \"{value}\" in a [[load]]"),
        Some((table, key)) => format!("{key} = \"{value}\" under [{table}]"),
        None => format!("{path} = \"{value}\""),
    }
}

/// The problem of `found`, at `span`, which is not one of `values`, those
/// of the enum key at `path` (`scheduler.policy`): it names the value meant
/// when that is plain, and the key that takes `found` when it is another
/// key's value.
pub(crate) fn bad_choice(
    path: &str,
    found: &str,
    values: &[&'static str],
    span: Range<usize>,
) -> Problem {
    let key = path.rsplit('.').next().unwrap_or(path);
    let own = guess(path, found, values, true);
    let keys = enum_keys();
    let others = || keys.iter().filter(|(p, _)| *p != path);
    let w = normalized(found);
    // `SCHED_FIFO` at `os_policy` is its own `fifo` misspelt, whoever else
    // takes `fifo`.
    let own_value = values.contains(&w.as_str());
    let owners: Vec<String> = others()
        .filter(|(_, vs)| !own_value && vs.contains(&w.as_str()))
        .map(|(p, _)| (*p).to_string())
        .collect();
    if let Some(first) = owners.first() {
        let hint = match &own {
            Some(g) => g.hint(),
            None => format!("set {}", written_at(first, &w)),
        };
        let kind = ProblemKind::ValueOfOtherKey {
            value: w,
            key: path.to_string(),
            owners,
            choices: values.iter().map(|v| (*v).to_string()).collect(),
        };
        return Problem::error(kind, span).with_hint(hint);
    }
    let list = values
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let p = Problem::error(
        ProblemKind::BadValue {
            key: key.to_string(),
            message: format!("must be one of {list}, found \"{found}\""),
        },
        span,
    );
    if let Some(g) = own {
        return p.with_hint(g.hint());
    }
    // Another key's value by another name (`policy = "RM"`): say where it
    // goes. Prefixes and typos are too loose to name another key on.
    match others().find_map(|(p, vs)| guess(p, found, vs, false).map(|g| (*p, g))) {
        Some((other, g)) => p.with_hint(format!(
            "\"{found}\" reads as \"{}\"{}, a value of `{other}`: set {}",
            g.value,
            g.gloss.map_or(String::new(), |g| format!(" ({g})")),
            written_at(other, g.value)
        )),
        None => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_keys_only() {
        let keys = ["period", "wcet", "deadline", "priority"];
        assert_eq!(did_you_mean("perid", &keys), Some("period"));
        assert_eq!(did_you_mean("wect", &keys), Some("wcet"));
        assert_eq!(did_you_mean("colour", &keys), None);
    }

    #[test]
    fn edit_distance_counts_a_swap_of_neighbours_as_one_step() {
        assert_eq!(edit_distance("wect", "wcet"), 1);
        assert_eq!(edit_distance("gloabl", "global"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "edf"), 3);
        assert_eq!(edit_distance("edf", ""), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("abc", "ca"), 3);
        assert_eq!(edit_distance("µs", "us"), 1);
    }

    #[test]
    fn normalizes_case_underscores_and_the_sched_prefix() {
        assert_eq!(normalized("SCHED_FIFO"), "fifo");
        assert_eq!(normalized(" Rate_Monotonic "), "rate-monotonic");
        assert_eq!(normalized("round robin"), "round-robin");
        assert_eq!(normalized("sched_"), "sched-");
    }

    fn meant(path: &str, word: &str) -> Option<&'static str> {
        let keys = enum_keys();
        let (_, values) = keys.iter().find(|(p, _)| *p == path).expect("a key");
        guess(path, word, values, true).map(|g| g.value)
    }

    #[test]
    fn guesses_a_value_by_case_initials_alias_prefix_and_typo() {
        assert_eq!(meant("scheduler.priorities", "RM"), Some("rate-monotonic"));
        assert_eq!(
            meant("scheduler.priorities", "dm"),
            Some("deadline-monotonic")
        );
        assert_eq!(meant("scheduler.policy", "EDF"), Some("edf"));
        assert_eq!(meant("scheduler.policy", "RR"), Some("round-robin"));
        assert_eq!(meant("scheduler.locking", "pip"), Some("inherit"));
        assert_eq!(meant("scheduler.locking", "PCP"), Some("ceiling"));
        assert_eq!(meant("scheduler.locking", "inheritance"), Some("inherit"));
        assert_eq!(
            meant("scheduler.placement", "partition"),
            Some("partitioned")
        );
        assert_eq!(meant("scheduler.placement", "gloabl"), Some("global"));
        assert_eq!(meant("live.os_policy", "SCHED_DEADLINE"), Some("deadline"));
        assert_eq!(meant("live.os_policy", "edf"), Some("deadline"));
        assert_eq!(meant("load.kind", "mem"), Some("memory"));
        assert_eq!(meant("task.execution.model", "Gaussian"), Some("normal"));
        // Too far to be a typo: no guess rather than a wrong one.
        assert_eq!(meant("scheduler.policy", "dm"), None);
        assert_eq!(meant("scheduler.policy", "rate-monotonic"), None);
        assert_eq!(meant("scheduler.locking", "semaphore"), None);
    }

    fn hint_and_message(path: &str, found: &str) -> (String, Option<String>) {
        let keys = enum_keys();
        let (_, values) = keys.iter().find(|(p, _)| *p == path).expect("a key");
        let p = bad_choice(path, found, values, 0..1);
        (p.kind.to_string(), p.hint)
    }

    #[test]
    fn a_value_of_another_key_names_that_key() {
        let (m, h) = hint_and_message("scheduler.policy", "rate-monotonic");
        assert_eq!(
            m,
            "`rate-monotonic` is a value of `scheduler.priorities`, not `scheduler.policy`; \
             `policy` takes fixed-priority, edf, fifo, round-robin"
        );
        assert_eq!(
            h.as_deref(),
            Some("set priorities = \"rate-monotonic\" under [scheduler]")
        );
        // Of two keys at once, and with a guess for the key written.
        let (m, h) = hint_and_message("scheduler.priorities", "FIFO");
        assert!(
            m.starts_with(
                "`fifo` is a value of `scheduler.policy` and `live.os_policy`, not `scheduler.priorities`"
            ),
            "{m}"
        );
        assert_eq!(
            h.as_deref(),
            Some("set policy = \"fifo\" under [scheduler]")
        );
        let (m, h) = hint_and_message("live.os_policy", "edf");
        assert!(
            m.starts_with("`edf` is a value of `scheduler.policy`"),
            "{m}"
        );
        assert_eq!(
            h.as_deref(),
            Some("did you mean \"deadline\" (SCHED_DEADLINE, Linux's EDF)?")
        );
        // Its own value misspelt is only that, though another key takes it.
        let (m, h) = hint_and_message("live.os_policy", "SCHED_FIFO");
        assert!(m.starts_with("`os_policy` must be one of"), "{m}");
        assert_eq!(h.as_deref(), Some("did you mean \"fifo\"?"));
        let (m, h) = hint_and_message("scheduler.overrun", "abort");
        assert!(
            m.starts_with("`abort` is a value of `scheduler.on_miss`"),
            "{m}"
        );
        assert_eq!(
            h.as_deref(),
            Some("set on_miss = \"abort\" under [scheduler]")
        );
    }

    #[test]
    fn another_name_of_another_keys_value_is_placed_in_the_hint() {
        let (m, h) = hint_and_message("scheduler.policy", "RM");
        assert!(m.starts_with("`policy` must be one of"), "{m}");
        assert_eq!(
            h.as_deref(),
            Some(
                "\"RM\" reads as \"rate-monotonic\", a value of `scheduler.priorities`: \
                 set priorities = \"rate-monotonic\" under [scheduler]"
            )
        );
        let (_, h) = hint_and_message("scheduler.priorities", "pip");
        assert_eq!(
            h.as_deref(),
            Some(
                "\"pip\" reads as \"inherit\" (priority inheritance, PTHREAD_PRIO_INHERIT), \
                 a value of `scheduler.locking`: set locking = \"inherit\" under [scheduler]"
            )
        );
        let (_, h) = hint_and_message("scheduler.placement", "semaphore");
        assert_eq!(h, None);
    }
}

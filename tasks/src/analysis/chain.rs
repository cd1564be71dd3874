//! End-to-end bounds of chains (`chains[]` in `rtlab.analysis/v1`).
//!
//! A chain `τ_1, ..., τ_n` is cut at its register links into *segments*,
//! maximal runs of trigger links `τ_a -> ... -> τ_b`. The tasks of a
//! segment share one trigger source `σ` (the head of their trigger links),
//! and job `k` of each derives from job `k` of `σ` (nominal release `n_k`).
//! Per task the inputs are the per-task bounds of the analysis:
//! `R_own(k)`, from the job's own release (the task's `wcrt_ns`), and
//! `R_src(k)`, from the nominal release of its source's job (the holistic
//! response, [`super::holistic`]; `R_own` for a task that is not
//! triggered). Every release below is a nominal release (the instant
//! `response_time` is measured from), and `G(σ)` is the longest gap
//! between two releases of `σ`: its period if periodic, `max` if sporadic,
//! none (no bound) if Poisson.
//!
//! **A segment** `a..b`, from the release of a job of `τ_a` to the
//! completion of the job of `τ_b` it triggers: at most
//! `S(a..b) = min(R_src(b), Σ_{k=a..b} R_own(k))`. `R_src(b)` holds because
//! `τ_a`'s job is released at or after `n_k` (its own release when
//! `τ_a = σ`, a completion after it otherwise) and `τ_b`'s completes by
//! `n_k + R_src(b)`; the sum holds because each triggered job is released
//! at its trigger's completion, so the segment's latency is the sum of its
//! jobs' own responses. (Nothing is subtracted for the time between `n_k`
//! and a triggered first stage's release: 0 is what can be proven without
//! best-case response times.)
//!
//! **Data age** (`data_age_bound_ns`, chains with register links): a job
//! `j_n` of the last stage, back through the links to the first stage's
//! job `j_1` whose value it used; age `f(j_n) - r(j_1)`. Across a register
//! link from segment `a..b` (source `σ`) to the next one's head `h`: `h`'s
//! job starts at `s` and reads the value of `τ_b`'s latest completed job
//! `j_b` (job `k`); `τ_b`'s job `k + 1` had not completed at `s`, and
//! completes by `n_{k+1} + R_src(b)`, while `j_a` was released at or after
//! `n_k`. So `r(j_h) - r(j_a) <= s - r(j_a) <= n_{k+1} - n_k + R_src(b) <=
//! G(σ) + R_src(b)`. Summing over the links:
//!
//! ```text
//! data age <= Σ_{segments a..b but the last} (G(σ_ab) + R_src(b)) + S(last segment)
//! ```
//!
//! With every link a register, this is the bound of A. Davare, Q. Zhu, M.
//! Di Natale, C. Pinello, S. Kanajan and A. Sangiovanni-Vincentelli,
//! "Period optimization for hard real-time distributed automotive
//! systems", DAC 2007, `Σ (T_k + R_k)`, without the last stage's period
//! (which the reads-at-start argument does not need). The tighter bounds of
//! M. Dürr, G. von der Brüggen, K.-H. Chen and J.-J. Chen, "End-to-end
//! timing analysis of sporadic cause-effect chains in distributed
//! systems", ACM TECS 18(5s), 2019, are not implemented.
//!
//! **Reaction** (first-stage release to the first last-stage completion
//! that used it or a newer value), forward: the first segment takes
//! `S(first)`; then at each register link into a segment of source `σ'`,
//! the first release of `σ'` strictly after the completion `f` (which is
//! at or after the first release of the previous segment's source `σ`)
//! comes within `G'(σ') = max(G(σ'), offset(σ') - offset(σ))`, its
//! head job starts after `f` and reads that value or a newer one, and the
//! segment's last job completes within `R_src` of that release:
//!
//! ```text
//! reaction <= S(first) + Σ_{segments a..b but the first} (G'(σ_ab) + R_src(b))
//! ```
//!
//! `bound_ns` is the larger of the two for chains with register links (so
//! it bounds the latency measured either way), `S` of the single segment
//! otherwise. Both arguments need every job to run to completion (a
//! skipped, aborted or faulty job loses its stimulus, which then reacts
//! only through a later one; a writer's leaves the value stale; a skipped
//! reader release delays the reaction): under `overrun = "skip"`,
//! `on_miss = "abort"` or injected faults in the chain's tasks or their
//! triggers, a chain gets no bound (the soundness harness found the trigger
//! case: a stimulus aborted at 9 ns reacted through the next one, past the
//! holistic bound).
//!
//! `schedulable` is `true` when the bound is at most the chain's deadline,
//! `null` otherwise: a bound above the deadline is not a proven miss, and
//! without a deadline there is nothing to prove (the bound is still given).

use serde::Serialize;

use super::TaskVerdict;
use super::holistic::Holistic;
use crate::model::{Arrival, Chain, Link, OnMiss, Overrun, Placement, System, TaskId};
use crate::time::Duration;

/// One chain's end-to-end verdict (`chains[]` in `rtlab.analysis/v1`).
#[derive(Clone, Debug, Serialize)]
pub struct ChainVerdict {
    /// The chain's name.
    pub name: String,
    /// Its stages' task names, first to last.
    pub tasks: Vec<String>,
    /// Its end-to-end deadline in nanoseconds, if any.
    pub deadline_ns: Option<u64>,
    /// Bound on the end-to-end latency in nanoseconds (from a first-stage
    /// job's release to the completion of the last stage's job that
    /// processes it), `None` when some stage has no bound.
    pub bound_ns: Option<u64>,
    /// Chains with register links only (absent otherwise): bound on the
    /// data age in nanoseconds (from the release of the first-stage job
    /// whose value a last-stage job used to that job's completion), `null`
    /// without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_age_bound_ns: Option<Option<u64>>,
    /// `holistic` (trigger links only), `davare` (register links only) or
    /// `holistic+davare`.
    pub method: &'static str,
    /// `true` when the bound is at most the deadline; `None` otherwise (no
    /// deadline, no bound, or a bound above the deadline, which is not a
    /// proven miss).
    pub schedulable: Option<bool>,
    /// The bound's terms and the comparison with the deadline, readable.
    pub detail: String,
}

/// The end-to-end verdicts of `system`'s chains, from the per-task
/// verdicts `tasks` (final: after every test and voiding) and, under fixed
/// priorities with triggered tasks, the holistic responses.
pub(crate) fn verdicts(
    system: &System,
    tasks: &[TaskVerdict],
    holistic: Option<&Holistic>,
) -> Vec<ChainVerdict> {
    let figures = Figures {
        system,
        tasks,
        holistic,
        // Global bounds assume the tasks above meet their deadlines.
        usable: system.scheduler.placement != Placement::Global
            || tasks.iter().all(|t| t.schedulable == Some(true)),
    };
    system.chains.iter().map(|c| figures.chain(c)).collect()
}

/// A bound's term: what it is and its value (`None`: no bound, with why).
struct Term {
    label: String,
    value: Result<Duration, String>,
}

/// The per-task bounds the chain bounds are made of.
struct Figures<'a> {
    system: &'a System,
    tasks: &'a [TaskVerdict],
    holistic: Option<&'a Holistic>,
    /// False under global placement unless every task is proven: the
    /// global per-task bounds then do not hold.
    usable: bool,
}

/// A maximal run of trigger links: positions `first..=last` in the chain.
#[derive(Clone, Copy)]
struct Segment {
    first: usize,
    last: usize,
}

impl Figures<'_> {
    fn name(&self, id: TaskId) -> &str {
        &self.system.tasks[id.0].name
    }

    /// `R_own`: the task's bound from its own release.
    fn own(&self, id: TaskId) -> Result<Duration, String> {
        let none = || format!("`{}` has no response-time bound", self.name(id));
        if !self.usable {
            return Err(
                "global placement: the per-task bounds hold only once every task is \
                        proven to meet its deadline"
                    .to_string(),
            );
        }
        self.tasks[id.0]
            .wcrt_ns
            .map(Duration::from_nanos)
            .ok_or_else(none)
    }

    /// `R_src`: the task's bound from its source's nominal release.
    fn since_source(&self, id: TaskId) -> Result<Duration, String> {
        let own = self.own(id)?;
        if self.system.tasks[id.0].trigger.is_none() {
            return Ok(own);
        }
        self.holistic
            .and_then(|h| h.from_source[id.0])
            .ok_or_else(|| format!("`{}` has no bound from its source", self.name(id)))
    }

    /// The source of a task (itself when not triggered).
    fn source(&self, id: TaskId) -> TaskId {
        self.system.trigger_source(id).unwrap_or(id)
    }

    /// `G(σ)`: the longest gap between two releases of `σ`.
    fn longest_gap(&self, source: TaskId) -> Result<Duration, String> {
        let t = &self.system.tasks[source.0];
        match t.arrival {
            Arrival::Periodic => Ok(t.period),
            Arrival::Sporadic { max, .. } => Ok(max),
            Arrival::Poisson { .. } => Err(format!(
                "`{}` has Poisson arrivals: no longest gap between releases",
                t.name
            )),
        }
    }

    /// `S(a..b)`: a segment's latency from its first job's release.
    fn span(&self, chain: &Chain, seg: Segment) -> Term {
        let ids = &chain.tasks[seg.first..=seg.last];
        let last = ids[ids.len() - 1];
        let src = self.since_source(last);
        let sum = ids.iter().try_fold(Duration::ZERO, |acc, &id| {
            let r = self.own(id)?;
            acc.checked_add(r)
                .ok_or_else(|| "time overflow".to_string())
        });
        let src_label = if self.system.tasks[last.0].trigger.is_some() {
            format!(
                "R({} from `{}`)",
                self.name(last),
                self.name(self.source(last))
            )
        } else {
            format!("R({})", self.name(last))
        };
        let sum_label = ids
            .iter()
            .map(|&id| format!("R({})", self.name(id)))
            .collect::<Vec<_>>()
            .join("+");
        match (src, sum) {
            (Ok(a), Ok(b)) if ids.len() > 1 && b < a => Term {
                label: sum_label,
                value: Ok(b),
            },
            (Ok(a), _) => Term {
                label: src_label,
                value: Ok(a),
            },
            (Err(_), Ok(b)) => Term {
                label: sum_label,
                value: Ok(b),
            },
            (Err(e), Err(_)) => Term {
                label: src_label,
                value: Err(e),
            },
        }
    }

    /// `G + R_src(b)` across a register link into segment `seg`; `from`
    /// is the source of the previous segment for the reaction's offset
    /// term, `None` for the data age (the gap of the writer `b`'s source).
    fn hop(&self, chain: &Chain, seg: Segment, reaction_from: Option<TaskId>) -> [Term; 2] {
        let last = chain.tasks[seg.last];
        let source = self.source(last);
        let gap = self.longest_gap(source).map(|g| match reaction_from {
            Some(prev) => {
                let (o, p) = (
                    self.system.tasks[source.0].offset,
                    self.system.tasks[prev.0].offset,
                );
                g.max(o.saturating_sub(p))
            }
            None => g,
        });
        let r = self.since_source(last);
        let r_label = if last == source {
            format!("R({})", self.name(last))
        } else {
            format!("R({} from `{}`)", self.name(last), self.name(source))
        };
        [
            Term {
                label: format!("G({})", self.name(source)),
                value: gap,
            },
            Term {
                label: r_label,
                value: r,
            },
        ]
    }

    fn chain(&self, chain: &Chain) -> ChainVerdict {
        let links: Vec<Link> = chain
            .tasks
            .windows(2)
            .map(|p| self.system.link(p[0], p[1]).unwrap_or(Link::Trigger))
            .collect();
        let segments = segments(&links);
        let registers = links.contains(&Link::Register);
        let method = match (registers, links.contains(&Link::Trigger)) {
            (false, _) => "holistic",
            (true, false) => "davare",
            (true, true) => "holistic+davare",
        };
        let (bound, data_age, mut detail) = if let Some(why) = self.stale_values(chain) {
            (None, None, format!("no bound: {why}"))
        } else if registers {
            self.register_bounds(chain, &segments)
        } else {
            let term = self.span(chain, segments[0]);
            let text = describe("end-to-end", std::slice::from_ref(&term));
            (term.value.ok(), None, text)
        };
        let deadline = chain.deadline;
        let schedulable = match (bound, deadline) {
            (Some(b), Some(d)) if b <= d => {
                detail.push_str(&format!("; {b} <= deadline {d}"));
                Some(true)
            }
            (Some(b), Some(d)) => {
                detail.push_str(&format!(
                    "; {b} > deadline {d}: an upper bound, not a proven miss"
                ));
                None
            }
            (Some(_), None) => {
                detail.push_str("; no end-to-end deadline");
                None
            }
            (None, _) => None,
        };
        ChainVerdict {
            name: chain.name.clone(),
            tasks: chain
                .tasks
                .iter()
                .map(|&id| self.name(id).to_string())
                .collect(),
            deadline_ns: deadline.map(Duration::as_nanos),
            bound_ns: bound.map(Duration::as_nanos),
            data_age_bound_ns: registers.then_some(data_age.map(Duration::as_nanos)),
            method,
            schedulable,
            detail,
        }
    }

    /// The bound (larger of reaction and data age), the data-age bound
    /// and the detail of a chain with register links.
    fn register_bounds(
        &self,
        chain: &Chain,
        segments: &[Segment],
    ) -> (Option<Duration>, Option<Duration>, String) {
        let (head, tail) = segments.split_first().expect("a chain has a segment");
        let mut age: Vec<Term> = Vec::new();
        for seg in &segments[..segments.len() - 1] {
            age.extend(self.hop(chain, *seg, None));
        }
        age.push(self.span(chain, segments[segments.len() - 1]));
        let mut reaction = vec![self.span(chain, *head)];
        let mut prev = self.source(chain.tasks[head.last]);
        for seg in tail {
            reaction.extend(self.hop(chain, *seg, Some(prev)));
            prev = self.source(chain.tasks[seg.last]);
        }
        let (a, r) = (total(&age), total(&reaction));
        let bound = match (a, r) {
            (Some(a), Some(r)) => Some(a.max(r)),
            _ => None,
        };
        let text = format!(
            "{}; {}",
            describe("data age", &age),
            describe("reaction", &reaction)
        );
        (bound, a, text)
    }

    /// Why a stimulus can be lost, or a value go stale without end, in this
    /// chain, if they can: a job of one of its tasks (or of their
    /// triggers) may not complete. A lost stimulus reacts only through a
    /// later one, so no per-instance bound holds for it.
    fn stale_values(&self, chain: &Chain) -> Option<String> {
        let s = &self.system.scheduler;
        if s.overrun == Overrun::Skip {
            return Some("overrun = skip drops releases: a stimulus can be lost, a register value stay stale".into());
        }
        if s.on_miss == OnMiss::Abort {
            return Some("on_miss = abort ends late jobs: a stimulus can be lost, a register value stay stale".into());
        }
        let mut ids: Vec<TaskId> = Vec::new();
        for &id in &chain.tasks {
            let mut at = Some(id);
            while let Some(k) = at {
                if ids.contains(&k) {
                    break;
                }
                ids.push(k);
                at = self.system.tasks[k.0].trigger;
            }
        }
        ids.iter()
            .find(|k| self.system.tasks[k.0].faults.panic_every > 0)
            .map(|k| {
                format!(
                    "`{}` has injected faults: a stimulus can be lost, a register value stay stale",
                    self.name(*k)
                )
            })
    }
}

/// The chain's segments, cut at register links.
fn segments(links: &[Link]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut first = 0;
    for (i, link) in links.iter().enumerate() {
        if *link == Link::Register {
            out.push(Segment { first, last: i });
            first = i + 1;
        }
    }
    out.push(Segment {
        first,
        last: links.len(),
    });
    out
}

/// The sum of the terms, `None` if one has no value or it overflows.
fn total(terms: &[Term]) -> Option<Duration> {
    terms.iter().try_fold(Duration::ZERO, |acc, t| {
        acc.checked_add(*t.value.as_ref().ok()?)
    })
}

/// "what <= a 1ms + b 2ms = 3ms", or "what: no bound, why".
fn describe(what: &str, terms: &[Term]) -> String {
    if let Some(Err(why)) = terms.iter().map(|t| &t.value).find(|v| v.is_err()) {
        return format!("{what}: no bound, {why}");
    }
    let parts: Vec<String> = terms
        .iter()
        .map(|t| match &t.value {
            Ok(v) => format!("{} {v}", t.label),
            Err(_) => t.label.clone(),
        })
        .collect();
    match total(terms) {
        Some(sum) if terms.len() > 1 => format!("{what} <= {} = {sum}", parts.join(" + ")),
        Some(_) => format!("{what} <= {}", parts.join(" + ")),
        None => format!("{what}: no bound, time overflow"),
    }
}

#[cfg(test)]
mod tests;

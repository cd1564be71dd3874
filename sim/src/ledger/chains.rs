//! Chain accounting: which first-stage job each job's data derives from,
//! through trigger and register links, and the chains' latencies
//! (`rtlab_tasks::outcome::ChainOutcome`, whose docs define them).
//!
//! The engines report each job of a task that is in a chain when it is
//! released (with the [`Token`] of the completion that triggered it, for a
//! triggered task), when it first starts (a register is read then), and
//! when it completes or is dropped (aborted, faulted, unfinished). A job
//! carries, per chain it is in, the *path* of jobs that brought its data:
//! one [`Stage`] per earlier stage. A completion hands its paths on: to
//! the jobs it triggers (its token) and to later readers (the task's
//! latest value). A completion of a chain's last stage closes a path: the
//! data age is measured from the path's first job, and every stimulus
//! released up to that job gets its reaction.
//!
//! Jobs of one task are reported in release order and end in release
//! order but for aborts of queued jobs, so each task keeps its jobs in
//! flight in a short queue searched from the front.

use std::collections::VecDeque;
use std::sync::Arc;

use rtlab_tasks::model::{Link, System};
use rtlab_tasks::outcome::metrics::Recorder;
use rtlab_tasks::outcome::{ChainInstance, ChainOutcome, StageShare};

use super::Names;

/// One stage's job on a chain instance's path (times in ns from the
/// start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stage {
    task: usize,
    k: u64,
    release: u64,
    start: u64,
    end: u64,
}

/// What a completed job hands on: its path, per chain it is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Token {
    paths: Vec<(usize, Vec<Stage>)>,
}

impl Token {
    fn path(&self, chain: usize) -> Option<&Vec<Stage>> {
        self.paths.iter().find(|(c, _)| *c == chain).map(|(_, p)| p)
    }
}

/// A job in flight of a task that is in a chain.
#[derive(Clone, Debug)]
struct Flight {
    k: u64,
    release: u64,
    start: Option<u64>,
    /// Per (chain, stage) of the task, the path so far (`None`: no data
    /// reached it, e.g. a register read before its writer completed).
    paths: Vec<Option<Vec<Stage>>>,
}

/// The running state of one chain.
#[derive(Clone, Debug)]
struct ChainState {
    name: String,
    tasks: Vec<usize>,
    links: Vec<Link>,
    deadline: Option<u64>,
    /// Releases of first-stage jobs still waiting for their reaction.
    pending: VecDeque<u64>,
    jobs: u64,
    misses: u64,
    end_to_end: Recorder,
    data_age: Option<Recorder>,
    worst: Option<ChainInstance>,
}

/// The chain accounting of a run.
#[derive(Clone, Debug)]
pub struct ChainBook {
    chains: Vec<ChainState>,
    /// Per task, its (chain, stage) places.
    places: Vec<Vec<(usize, usize)>>,
    /// Per task, its jobs in flight (kept only for tasks in a chain).
    flights: Vec<VecDeque<Flight>>,
    /// Per task, what its last completed job handed on (kept only for
    /// tasks in a chain).
    latest: Vec<Option<Token>>,
    names: Arc<Names>,
}

impl ChainBook {
    /// The book of `system`'s chains (empty without chains), naming
    /// tasks from `names` (the ledger's).
    pub fn new(system: &System, names: Arc<Names>) -> Self {
        let n = system.tasks.len();
        let mut places = vec![Vec::new(); n];
        let chains = system
            .chains
            .iter()
            .enumerate()
            .map(|(c, chain)| {
                let tasks: Vec<usize> = chain.tasks.iter().map(|t| t.0).collect();
                for (s, &t) in tasks.iter().enumerate() {
                    places[t].push((c, s));
                }
                let links: Vec<Link> = chain
                    .tasks
                    .windows(2)
                    .map(|w| system.link(w[0], w[1]).unwrap_or(Link::Register))
                    .collect();
                let register = links.contains(&Link::Register);
                ChainState {
                    name: chain.name.clone(),
                    tasks,
                    links,
                    deadline: chain.deadline.map(|d| d.as_nanos()),
                    pending: VecDeque::new(),
                    jobs: 0,
                    misses: 0,
                    end_to_end: Recorder::new(),
                    data_age: register.then(Recorder::new),
                    worst: None,
                }
            })
            .collect();
        ChainBook {
            chains,
            places,
            flights: vec![VecDeque::new(); n],
            latest: vec![None; n],
            names,
        }
    }

    /// Whether `task` is a stage of some chain (the other tasks' reports
    /// are ignored, at the cost of this test: the engines call the book
    /// for every job).
    #[inline]
    pub fn tracks(&self, task: usize) -> bool {
        !self.chains.is_empty() && self.places.get(task).is_some_and(|p| !p.is_empty())
    }

    /// Job `k` of `task` is released at `release` (ns), by the completion
    /// that handed on `token` if it is triggered.
    #[inline]
    pub fn released(&mut self, task: usize, k: u64, release: u64, token: Option<&Token>) {
        if self.tracks(task) {
            self.released_tracked(task, k, release, token);
        }
    }

    fn released_tracked(&mut self, task: usize, k: u64, release: u64, token: Option<&Token>) {
        let mut paths = Vec::with_capacity(self.places[task].len());
        for &(c, s) in &self.places[task] {
            let chain = &mut self.chains[c];
            let path = if s == 0 {
                chain.jobs += 1;
                chain.pending.push_back(release);
                Some(Vec::new())
            } else if chain.links[s - 1] == Link::Trigger {
                token.and_then(|t| t.path(c)).cloned()
            } else {
                // Read when the job starts.
                None
            };
            paths.push(path);
        }
        self.flights[task].push_back(Flight {
            k,
            release,
            start: None,
            paths,
        });
    }

    /// Job `k` of `task` first runs at `now` (ns): it reads its registers.
    #[inline]
    pub fn started(&mut self, task: usize, k: u64, now: u64) {
        if self.tracks(task) {
            self.started_tracked(task, k, now);
        }
    }

    fn started_tracked(&mut self, task: usize, k: u64, now: u64) {
        let latest = &self.latest;
        start(
            &mut self.flights[task],
            (&self.places[task], &self.chains),
            (k, now),
            |writer| latest[writer].as_ref(),
        );
    }

    /// [`ChainBook::started`] with the values it read given: per task it
    /// reads, the token of the completion whose value it got (a task
    /// missing from `read`, or `None`, gave no value). A live run knows
    /// which job a register held when the reader read it, where the order
    /// of the replayed events could say a later one.
    pub fn started_with(
        &mut self,
        task: usize,
        k: u64,
        now: u64,
        read: &[(usize, Option<&Token>)],
    ) {
        if !self.tracks(task) {
            return;
        }
        start(
            &mut self.flights[task],
            (&self.places[task], &self.chains),
            (k, now),
            |writer| {
                read.iter()
                    .find(|(w, _)| *w == writer)
                    .and_then(|(_, t)| *t)
            },
        );
    }

    /// Job `k` of `task` completes at `now` (ns). Returns what it hands on
    /// to the jobs it triggers.
    #[inline]
    pub fn completed(&mut self, task: usize, k: u64, now: u64) -> Token {
        if self.tracks(task) {
            self.completed_tracked(task, k, now)
        } else {
            Token::default()
        }
    }

    fn completed_tracked(&mut self, task: usize, k: u64, now: u64) -> Token {
        let Some(f) = self.take(task, k) else {
            return Token::default();
        };
        let me = Stage {
            task,
            k,
            release: f.release,
            start: f.start.unwrap_or(now),
            end: now,
        };
        let mut token = Token::default();
        for (&(c, s), path) in self.places[task].iter().zip(f.paths) {
            let Some(mut path) = path else { continue };
            path.push(me);
            if s + 1 == self.chains[c].tasks.len() {
                self.chains[c].close(path, now, &self.names);
            } else {
                token.paths.push((c, path));
            }
        }
        self.latest[task] = Some(token.clone());
        token
    }

    /// Job `k` of `task` ends without completing (aborted, faulted, or
    /// unfinished at the end): its data goes nowhere.
    #[inline]
    pub fn dropped(&mut self, task: usize, k: u64) {
        if self.tracks(task) {
            self.take(task, k);
        }
    }

    fn take(&mut self, task: usize, k: u64) -> Option<Flight> {
        let q = &mut self.flights[task];
        let at = q.iter().position(|f| f.k == k)?;
        q.remove(at)
    }

    /// The chains' results for a run that ended at `end_ns`: stimuli left
    /// without a reaction are unfinished, and misses once their deadline
    /// has passed (a deadline at `end_ns` counts when `whole`: every
    /// completion at that instant was handled).
    pub fn close(self, end_ns: u64, whole: bool) -> Vec<ChainOutcome> {
        let names = &self.names;
        self.chains
            .into_iter()
            .map(|c| {
                let passed = |r: u64| {
                    c.deadline
                        .and_then(|d| r.checked_add(d))
                        .is_some_and(|due| due < end_ns || (whole && due == end_ns))
                };
                let late = c.pending.iter().filter(|&&r| passed(r)).count() as u64;
                ChainOutcome {
                    name: c.name,
                    tasks: c.tasks.iter().map(|&t| names.task(t).to_string()).collect(),
                    jobs: c.jobs,
                    end_to_end: c.end_to_end.summary(),
                    data_age: c.data_age.as_ref().map(Recorder::summary),
                    deadline_ns: c.deadline,
                    deadline_misses: c.misses + late,
                    unfinished: c.pending.len() as u64,
                    worst: c.worst,
                    analysis: None,
                }
            })
            .collect()
    }
}

/// Job `k` (of a task at `places` of `chains`, its jobs in flight
/// `flights`) first runs at `now`: its register paths come from what
/// `read` gives for each task it reads.
fn start<'t>(
    flights: &mut VecDeque<Flight>,
    (places, chains): (&[(usize, usize)], &[ChainState]),
    (k, now): (u64, u64),
    read: impl Fn(usize) -> Option<&'t Token>,
) {
    let Some(f) = flights.iter_mut().find(|f| f.k == k) else {
        return;
    };
    f.start = Some(now);
    for (i, &(c, s)) in places.iter().enumerate() {
        let chain = &chains[c];
        if s > 0 && chain.links[s - 1] == Link::Register {
            f.paths[i] = read(chain.tasks[s - 1]).and_then(|t| t.path(c)).cloned();
        }
    }
}

impl ChainState {
    /// A last-stage job completed at `now` with `path`: its data age, and
    /// the reaction of every stimulus up to the path's first job.
    fn close(&mut self, path: Vec<Stage>, now: u64, names: &Names) {
        let Some(first) = path.first() else { return };
        if let Some(age) = &mut self.data_age {
            age.record(now - first.release);
        }
        while let Some(&r) = self.pending.front() {
            if r > first.release {
                break;
            }
            self.pending.pop_front();
            let latency = now - r;
            self.end_to_end.record(latency);
            if self.deadline.is_some_and(|d| latency > d) {
                self.misses += 1;
            }
            if self.worst.as_ref().is_none_or(|w| latency > w.latency_ns) {
                self.worst = Some(instance(r, &path, now, names));
            }
        }
    }
}

/// The instance of stimulus `r` carried by `path` to `now`.
fn instance(r: u64, path: &[Stage], now: u64, names: &Names) -> ChainInstance {
    let mut ready = r;
    let stages = path
        .iter()
        .map(|s| {
            let share = StageShare {
                task: names.task(s.task).to_string(),
                job: s.k,
                release_ns: s.release,
                start_ns: s.start,
                end_ns: s.end,
                wait_ns: s.start.saturating_sub(ready),
                run_ns: s.end - s.start.max(ready),
            };
            ready = s.end;
            share
        })
        .collect();
    ChainInstance {
        stimulus_ns: r,
        end_ns: now,
        latency_ns: now - r,
        stages,
    }
}

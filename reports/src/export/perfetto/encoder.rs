//! The trace's state and its JSON records; see the parent module for the
//! layout.

use std::collections::BTreeSet;
use std::io::{self, Write};

use rtlab_tasks::model::{CpuId, Placement, ResourceId, System, TaskId};
use rtlab_tasks::outcome::trace::{EventKind, JobEvent};

use crate::format::Micros;

/// Process id of the CPU tracks.
pub(super) const PID_CPUS: u32 = 1;
/// Process id of the task tracks.
pub(super) const PID_TASKS: u32 = 2;
/// `cname` of misses, aborts and faults (the viewer's red).
const TERRIBLE: &str = ",\"cname\":\"terrible\"";
/// `cname` of skipped releases.
const BAD: &str = ",\"cname\":\"bad\"";
/// Extra args of a slice cut by the end of the trace.
const END_OF_TRACE: &str = ",\"end\":\"end of trace\"";
/// First thread id; thread ids are unique across both processes (Perfetto
/// keys threads by tid alone) and never equal a pid.
const FIRST_TID: u32 = 10;

/// The trace's state: tracks, open slices and jobs, counters.
#[derive(Debug)]
pub(super) struct Encoder {
    tasks: Vec<TaskTrack>,
    resources: Vec<String>,
    cpus: Vec<CpuTrack>,
    next_tid: u32,
    other_data: String,
    pub(super) events: u64,
    pub(super) records: u64,
    last_ns: u64,
}

/// A task's track.
#[derive(Debug)]
struct TaskTrack {
    /// JSON-escaped name, without quotes.
    name: String,
    tid: u32,
    /// Released jobs not yet ended.
    open: BTreeSet<u64>,
}

/// A CPU's track.
#[derive(Debug)]
struct CpuTrack {
    id: CpuId,
    tid: u32,
    running: Option<Running>,
}

/// The job executing on a CPU since `since_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Running {
    task: usize,
    job: u64,
    since_ns: u64,
}

impl Encoder {
    pub(super) fn new(system: &System, engine_label: &str) -> Self {
        let mut next_tid = FIRST_TID;
        let mut tid = || {
            next_tid += 1;
            next_tid - 1
        };
        let tasks = system
            .tasks
            .iter()
            .map(|t| TaskTrack {
                name: escape(&t.name),
                tid: tid(),
                open: BTreeSet::new(),
            })
            .collect();
        let cpus = system
            .platform
            .cpus
            .iter()
            .map(|&id| CpuTrack {
                id,
                tid: tid(),
                running: None,
            })
            .collect();
        let placement = match system.scheduler.placement {
            Placement::Partitioned => "partitioned",
            Placement::Global => "global",
        };
        let other_data = format!(
            "{{\"generator\":\"rtlab-reports {}\",\"config\":\"{}\",\"engine\":\"{}\",\
             \"seed\":\"{}\",\"policy\":\"{}\",\"placement\":\"{placement}\",\
             \"time\":\"ts and dur in microseconds, exact to the nanosecond\"}}",
            env!("CARGO_PKG_VERSION"),
            escape(&system.name),
            escape(engine_label),
            system.seed,
            system.scheduler.policy.as_str(),
        );
        Encoder {
            tasks,
            resources: system.resources.iter().map(|r| escape(&r.name)).collect(),
            cpus,
            next_tid,
            other_data,
            events: 0,
            records: 0,
            last_ns: 0,
        }
    }

    /// The opening of the document and the metadata records.
    pub(super) fn begin<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b"{\"traceEvents\":[\n")?;
        for (pid, name, index) in [(PID_CPUS, "CPUs", 0), (PID_TASKS, "Tasks", 1)] {
            self.next_record(out)?;
            write!(
                out,
                "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{pid},\
                 \"args\":{{\"name\":\"{name}\"}}}}"
            )?;
            self.next_record(out)?;
            write!(
                out,
                "{{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":{pid},\
                 \"args\":{{\"sort_index\":{index}}}}}"
            )?;
        }
        for slot in 0..self.cpus.len() {
            self.cpu_metadata(out, slot)?;
        }
        for slot in 0..self.tasks.len() {
            self.task_metadata(out, slot)?;
        }
        Ok(())
    }

    fn cpu_metadata<W: Write>(&mut self, out: &mut W, slot: usize) -> io::Result<()> {
        let (id, tid) = (self.cpus[slot].id, self.cpus[slot].tid);
        self.thread_metadata(out, PID_CPUS, tid, format_args!("CPU {id}"), slot)
    }

    fn task_metadata<W: Write>(&mut self, out: &mut W, slot: usize) -> io::Result<()> {
        self.next_record(out)?;
        let TaskTrack { name, tid, .. } = &self.tasks[slot];
        write_thread_name(out, PID_TASKS, *tid, format_args!("{name}"))?;
        let tid = *tid;
        self.next_record(out)?;
        write_sort_index(out, PID_TASKS, tid, slot)
    }

    fn thread_metadata<W: Write>(
        &mut self,
        out: &mut W,
        pid: u32,
        tid: u32,
        escaped_name: std::fmt::Arguments<'_>,
        index: usize,
    ) -> io::Result<()> {
        self.next_record(out)?;
        write_thread_name(out, pid, tid, escaped_name)?;
        self.next_record(out)?;
        write_sort_index(out, pid, tid, index)
    }

    /// Starts a record: the separator from the previous one.
    fn next_record<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        if self.records > 0 {
            out.write_all(b",\n")?;
        }
        self.records += 1;
        Ok(())
    }

    pub(super) fn event<W: Write>(&mut self, out: &mut W, ev: &JobEvent) -> io::Result<()> {
        self.events += 1;
        self.last_ns = self.last_ns.max(ev.time_ns);
        let task = self.task_slot(out, ev.task)?;
        match ev.kind {
            EventKind::Release => self.job_begin(out, task, ev)?,
            EventKind::Start | EventKind::Resume => {
                if let Some(cpu) = ev.cpu {
                    self.run(out, task, ev.job, cpu, ev.time_ns)?;
                }
            }
            EventKind::Preempt => self.stop(out, task, ev)?,
            EventKind::Block { resource } => {
                self.stop(out, task, ev)?;
                self.instant(out, task, ev, "block", Some(resource), "")?;
            }
            EventKind::Unblock { resource } => {
                self.instant(out, task, ev, "unblock", Some(resource), "")?;
            }
            EventKind::Lock { resource } => {
                self.instant(out, task, ev, "lock", Some(resource), "")?
            }
            EventKind::Unlock { resource } => {
                self.instant(out, task, ev, "unlock", Some(resource), "")?;
            }
            EventKind::Miss => self.instant(out, task, ev, "deadline miss", None, TERRIBLE)?,
            EventKind::Skip => self.instant(out, task, ev, "skip", None, BAD)?,
            EventKind::Complete => {
                self.stop(out, task, ev)?;
                self.job_end(out, task, ev.job, ev.time_ns, "complete")?;
            }
            EventKind::Abort => {
                self.stop(out, task, ev)?;
                self.instant(out, task, ev, "abort", None, TERRIBLE)?;
                self.job_end(out, task, ev.job, ev.time_ns, "aborted")?;
            }
            EventKind::Fault => {
                self.stop(out, task, ev)?;
                self.instant(out, task, ev, "fault", None, TERRIBLE)?;
                self.job_end(out, task, ev.job, ev.time_ns, "fault")?;
            }
        }
        Ok(())
    }

    /// The track of `task`, created (with its metadata) for an id the
    /// system does not have.
    fn task_slot<W: Write>(&mut self, out: &mut W, task: TaskId) -> io::Result<usize> {
        while self.tasks.len() <= task.0 {
            let slot = self.tasks.len();
            let tid = self.fresh_tid();
            self.tasks.push(TaskTrack {
                name: format!("task #{}", slot + 1),
                tid,
                open: BTreeSet::new(),
            });
            self.task_metadata(out, slot)?;
        }
        Ok(task.0)
    }

    /// The track of CPU `id`, created (with its metadata) on first use if
    /// the platform does not list it.
    fn cpu_slot<W: Write>(&mut self, out: &mut W, id: CpuId) -> io::Result<usize> {
        if let Some(slot) = self.cpus.iter().position(|c| c.id == id) {
            return Ok(slot);
        }
        let tid = self.fresh_tid();
        self.cpus.push(CpuTrack {
            id,
            tid,
            running: None,
        });
        let slot = self.cpus.len() - 1;
        self.cpu_metadata(out, slot)?;
        Ok(slot)
    }

    fn fresh_tid(&mut self) -> u32 {
        self.next_tid += 1;
        self.next_tid - 1
    }

    /// The job starts or resumes on `cpu`: whatever the CPU ran, and the
    /// same job anywhere else, stops there now.
    fn run<W: Write>(
        &mut self,
        out: &mut W,
        task: usize,
        job: u64,
        cpu: CpuId,
        now: u64,
    ) -> io::Result<()> {
        let slot = self.cpu_slot(out, cpu)?;
        if let Some(prev) = self.cpus[slot].running.take() {
            self.slice(out, slot, prev, now, "")?;
        }
        if let Some(other) = self.running_slot(task, job)
            && let Some(prev) = self.cpus[other].running.take()
        {
            self.slice(out, other, prev, now, "")?;
        }
        self.cpus[slot].running = Some(Running {
            task,
            job,
            since_ns: now,
        });
        Ok(())
    }

    /// The CPU slot running `task`'s `job`, if any.
    fn running_slot(&self, task: usize, job: u64) -> Option<usize> {
        self.cpus
            .iter()
            .position(|c| c.running.is_some_and(|r| r.task == task && r.job == job))
    }

    /// The job stops executing: closes its slice on the CPU it runs on.
    fn stop<W: Write>(&mut self, out: &mut W, task: usize, ev: &JobEvent) -> io::Result<()> {
        if let Some(slot) = self.running_slot(task, ev.job)
            && let Some(r) = self.cpus[slot].running.take()
        {
            self.slice(out, slot, r, ev.time_ns, "")?;
        }
        Ok(())
    }

    /// One execution slice on a CPU track; `extra` is appended to its args.
    fn slice<W: Write>(
        &mut self,
        out: &mut W,
        slot: usize,
        r: Running,
        end_ns: u64,
        extra: &str,
    ) -> io::Result<()> {
        self.next_record(out)?;
        write!(
            out,
            "{{\"ph\":\"X\",\"cat\":\"run\",\"name\":\"{name}\",\"pid\":{PID_CPUS},\"tid\":{tid},\
             \"ts\":{ts},\"dur\":{dur},\"args\":{{\"job\":{job}{extra}}}}}",
            name = self.tasks[r.task].name,
            tid = self.cpus[slot].tid,
            ts = Micros(r.since_ns),
            dur = Micros(end_ns.saturating_sub(r.since_ns)),
            job = r.job,
        )
    }

    /// Begins a job's span unless it is already open.
    fn job_begin<W: Write>(&mut self, out: &mut W, task: usize, ev: &JobEvent) -> io::Result<()> {
        if !self.tasks[task].open.insert(ev.job) {
            return Ok(());
        }
        self.next_record(out)?;
        let TaskTrack { name, tid, .. } = &self.tasks[task];
        write!(
            out,
            "{{\"ph\":\"b\",\"cat\":\"job\",\"name\":\"{name}\",\"id\":\"{name}#{job}\",\
             \"pid\":{PID_TASKS},\"tid\":{tid},\"ts\":{ts},\"args\":{{\"job\":{job}}}}}",
            job = ev.job,
            ts = Micros(ev.time_ns),
        )
    }

    /// Ends a job's span if it is open; `how` goes into `args.end`.
    fn job_end<W: Write>(
        &mut self,
        out: &mut W,
        task: usize,
        job: u64,
        now: u64,
        how: &str,
    ) -> io::Result<()> {
        if !self.tasks[task].open.remove(&job) {
            return Ok(());
        }
        self.next_record(out)?;
        let TaskTrack { name, tid, .. } = &self.tasks[task];
        write!(
            out,
            "{{\"ph\":\"e\",\"cat\":\"job\",\"name\":\"{name}\",\"id\":\"{name}#{job}\",\
             \"pid\":{PID_TASKS},\"tid\":{tid},\"ts\":{ts},\"args\":{{\"end\":\"{how}\"}}}}",
            ts = Micros(now),
        )
    }

    /// An instant on a task's track; `colour` is a `cname` member or "".
    fn instant<W: Write>(
        &mut self,
        out: &mut W,
        task: usize,
        ev: &JobEvent,
        name: &str,
        resource: Option<ResourceId>,
        colour: &str,
    ) -> io::Result<()> {
        self.next_record(out)?;
        write!(
            out,
            "{{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"event\",\"name\":\"{name}\",\"pid\":{PID_TASKS},\
             \"tid\":{tid},\"ts\":{ts},\"args\":{{\"job\":{job}",
            tid = self.tasks[task].tid,
            ts = Micros(ev.time_ns),
            job = ev.job,
        )?;
        if let Some(cpu) = ev.cpu {
            write!(out, ",\"cpu\":{cpu}")?;
        }
        match resource.map(|r| (r, self.resources.get(r.0))) {
            Some((_, Some(name))) => write!(out, ",\"resource\":\"{name}\"")?,
            Some((r, None)) => write!(out, ",\"resource\":\"resource #{}\"", r.0 + 1)?,
            None => {}
        }
        write!(out, "}}{colour}}}")
    }

    /// Closes what is open at `max(end_ns, last event)` and completes the
    /// document.
    pub(super) fn end<W: Write>(&mut self, out: &mut W, end_ns: u64) -> io::Result<()> {
        let end = end_ns.max(self.last_ns);
        for slot in 0..self.cpus.len() {
            if let Some(r) = self.cpus[slot].running.take() {
                self.slice(out, slot, r, end, END_OF_TRACE)?;
            }
        }
        for task in 0..self.tasks.len() {
            while let Some(job) = self.tasks[task].open.first().copied() {
                self.job_end(out, task, job, end, "end of trace")?;
            }
        }
        write!(
            out,
            "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{}}}\n",
            self.other_data
        )?;
        out.flush()
    }
}

/// A `thread_name` metadata record.
fn write_thread_name<W: Write>(
    out: &mut W,
    pid: u32,
    tid: u32,
    escaped_name: std::fmt::Arguments<'_>,
) -> io::Result<()> {
    write!(
        out,
        "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{tid},\
         \"args\":{{\"name\":\"{escaped_name}\"}}}}"
    )
}

/// A `thread_sort_index` metadata record.
fn write_sort_index<W: Write>(out: &mut W, pid: u32, tid: u32, index: usize) -> io::Result<()> {
    write!(
        out,
        "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{pid},\"tid\":{tid},\
         \"args\":{{\"sort_index\":{index}}}}}"
    )
}

/// `text` as the inside of a JSON string.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

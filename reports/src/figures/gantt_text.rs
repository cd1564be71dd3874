//! The words of the timeline figures: the legend, and what the first
//! window shows.

use rtlab_tasks::outcome::window::Window;

use crate::format;
use crate::plot::gantt::Span;

/// How to read a timeline.
pub(super) const GANTT_LEGEND: &str = "One row per CPU (who ran there), then one per task: bars are \
    execution, the thin line a job waiting, hatched boxes blocking on a resource, the black \
    strip a lock held. Up arrows are releases, down arrows deadlines; a red arrow is a missed \
    deadline, and the red line from it runs to the job's end (a tick where each late job \
    ended; one line for jobs late one after another), labelled with how late where there is \
    room. In a chain, a dashed black arrow is a hand-off: a job's completion releasing the next \
    stage's job (a grey one: a value the next stage read).";

/// Said of a window around a miss that lost events.
pub(super) const TRUNCATED: &str = " The recorded window lost events (too many, or the miss came too late \
    for the recent events kept): some jobs are not shown.";

/// What the first timeline shows, in words; `same_as` is the run whose
/// stretch it shows, if another's; `later` whether timelines around later
/// misses follow.
pub(super) fn gantt_caption(
    window: &Window,
    span: Span,
    same_as: Option<usize>,
    later: bool,
) -> String {
    let range = if span.start_ns == 0 {
        format!(
            "Shows the first {} of the run",
            format::duration(span.end_ns)
        )
    } else {
        format!(
            "Shows {} to {} of the run",
            format::duration(span.start_ns),
            format::duration(span.end_ns)
        )
    };
    let range = match same_as {
        Some(j) => format!(
            "{range} (the same stretch as the timeline of run {}, to compare)",
            j + 1
        ),
        None => range,
    };
    let focus = match span.first_miss {
        Some((task, job, deadline)) => format!(
            "{} `{}` job {job}, deadline {}.",
            if same_as.is_some() {
                "; the first missed deadline in it:"
            } else {
                ", around the first missed deadline:"
            },
            window.tasks.get(task).map_or("?", String::as_str),
            format::duration(deadline)
        ),
        None if later => "; no deadline missed in it (the run's misses come later: the \
                          timelines after this one show each task's worst)."
            .to_string(),
        None => "; no deadline missed in it.".to_string(),
    };
    let truncated = if window.truncated {
        " The recorded window was cut short (too many events): later jobs are not shown."
    } else {
        ""
    };
    format!("{range}{focus} {GANTT_LEGEND}{truncated}")
}

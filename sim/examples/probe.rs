use rtlab_sim::des::{Options, simulate};
use rtlab_tasks::config;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let sys = config::load_str(&text, &path).unwrap().system;
    let o = Options::of(&sys);
    let t = std::time::Instant::now();
    let out = simulate(&sys, &o, None).unwrap();
    let dt = t.elapsed().as_secs_f64();
    let jobs: u64 = out.tasks.iter().map(|t| t.jobs).sum();
    let hwm = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap()
        .to_string();
    println!(
        "{path}: {jobs} jobs in {dt:.3} s = {:.3} M jobs/s; {hwm}",
        jobs as f64 / dt / 1e6
    );
}

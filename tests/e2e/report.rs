//! `rtlab report`, `rtlab compare` and the self-contained report page,
//! checked in headless Chromium (`#[ignore]`d: `.ci/run` installs Debian's
//! chromium when missing and runs them with `--ignored`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Sandbox, config};

/// A simulated and a live result of pathfinder, and their report.
fn sim_and_live_report(sb: &Sandbox) -> PathBuf {
    let cfg = config("pathfinder.toml");
    sb.rtlab([
        "simulate".as_ref(),
        cfg.as_os_str(),
        "--out".as_ref(),
        "runs/sim".as_ref(),
    ])
    .expect_code(0);
    {
        let _guard = crate::live::serial();
        sb.rtlab([
            "run".as_ref(),
            cfg.as_os_str(),
            "--duration".as_ref(),
            "1s".as_ref(),
            "--out".as_ref(),
            "runs/live".as_ref(),
        ])
        .expect_code(0);
    }
    let run = sb.rtlab(["report", "runs/sim", "runs/live"]);
    run.expect_code(0);
    assert!(run.stdout.contains("runs/report.html"), "{}", run.stdout);
    sb.path().join("runs/report.html")
}

/// Every figure of the page: (PNG, SVG) file names.
fn figure_files(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<figcaption>").skip(1) {
        let link = |ext: &str| {
            part.split("href=\"")
                .skip(1)
                .filter_map(|s| s.split('"').next())
                .find(|s| s.ends_with(ext))
                .map(str::to_string)
        };
        if let (Some(png), Some(svg)) = (link(".png"), link(".svg")) {
            out.push((png, svg));
        }
    }
    out
}

#[test]
fn report_of_a_simulated_and_a_live_run_has_every_plot_as_png_and_svg() {
    let sb = Sandbox::new();
    let html_path = sim_and_live_report(&sb);
    let html = std::fs::read_to_string(&html_path).unwrap();
    // Both runs, the verdict first: who missed, by how much, why.
    assert!(
        html.contains("pathfinder · simulation"),
        "no simulation run"
    );
    assert!(html.contains("pathfinder · live"), "no live run");
    assert!(
        html.contains("`bus_manager` missed 40 of 200 deadlines"),
        "simulated verdict missing"
    );
    assert!(
        html.contains("20.0 ms `comms` ran during priority inversion on `bus` (held by `meteo`)"),
        "the why is missing"
    );
    // Self-contained: no external reference (XML namespaces like
    // xmlns="http://www.w3.org/2000/svg" are names, not requests).
    for needle in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "url('http",
        "<link ",
        "@import",
        "<script src",
    ] {
        assert!(
            !html.contains(needle),
            "report refers outside itself: {needle}"
        );
    }
    let figures = figure_files(&html);
    let stems: Vec<&str> = figures.iter().map(|(png, _)| png.as_str()).collect();
    for wanted in [
        "response",
        "misses",
        "percentile",
        "latency",
        "gantt",
        "utilization",
    ] {
        assert!(
            stems.iter().any(|s| s.contains(wanted)),
            "no {wanted} plot in {stems:?}"
        );
    }
    let dir = html_path.parent().unwrap();
    for (png, svg) in &figures {
        let png_bytes = std::fs::read(dir.join(png)).unwrap();
        assert!(
            png_bytes.starts_with(b"\x89PNG") && png_bytes.len() > 2_000,
            "{png}"
        );
        let svg_text = std::fs::read_to_string(dir.join(svg)).unwrap();
        assert!(svg_text.contains("<svg") && svg_text.len() > 1_000, "{svg}");
    }
    // The drawings are inline.
    assert_eq!(
        html.matches("<div class=\"plot\"><svg").count(),
        figures.len()
    );
}

#[test]
fn compare_pathfinder_shows_the_inversion_misses_only_without_a_protocol() {
    let sb = Sandbox::new();
    let run = sb.rtlab([
        "compare".as_ref(),
        config("pathfinder.toml").as_os_str(),
        "--engine".as_ref(),
        "sim".as_ref(),
        "--out".as_ref(),
        "cmp".as_ref(),
    ]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let row = |label: &str| {
        lines
            .iter()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no row {label} in\n{}", run.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    // Columns: label words, jobs, missed, ...
    assert_eq!(row("pathfinder · simulation")[4], "40", "{}", run.stdout);
    assert_eq!(
        row("pathfinder · inherit · simulation")[6],
        "0",
        "{}",
        run.stdout
    );
    assert_eq!(
        row("pathfinder · ceiling · simulation")[6],
        "0",
        "{}",
        run.stdout
    );
    let html = std::fs::read_to_string(sb.path().join("cmp/report.html")).unwrap();
    assert!(html.contains("✘</span> <strong>pathfinder · simulation</strong>"));
    assert!(html.contains("✔</span> <strong>pathfinder · inherit · simulation</strong>"));
    assert!(html.contains("✔</span> <strong>pathfinder · ceiling · simulation</strong>"));
    // The misses plot names every configuration and the task that missed.
    let (png, svg) = figure_files(&html)
        .into_iter()
        .find(|(p, _)| p.contains("misses"))
        .unwrap();
    let svg_text = std::fs::read_to_string(sb.path().join("cmp").join(&svg)).unwrap();
    assert!(svg_text.contains("bus_manager"), "{png}");
    assert!(
        svg_text.contains("inherit") && svg_text.contains("ceiling"),
        "{png}"
    );

    let json = sb.rtlab([
        "compare".as_ref(),
        config("pathfinder.toml").as_os_str(),
        "--json".as_ref(),
        "--out".as_ref(),
        "cmp2".as_ref(),
    ]);
    json.expect_code(0);
    let v = json.json();
    assert_eq!(v["schema"], "rtlab.comparison/v1");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[1]["variant"], "inherit");
    assert_eq!(runs[0]["result"]["schema"], "rtlab.result/v1");
}

#[test]
fn compare_pathfinder_shows_the_three_configurations_side_by_side_per_metric() {
    let sb = Sandbox::new();
    sb.rtlab([
        "compare".as_ref(),
        config("pathfinder.toml").as_os_str(),
        "--engine".as_ref(),
        "sim".as_ref(),
        "--out".as_ref(),
        "cmp".as_ref(),
    ])
    .expect_code(0);
    let dir = sb.path().join("cmp");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // The comparison section, between the verdict and the per-task table,
    // holds the side-by-side figures and nothing else.
    let start = html
        .find("<section id=\"comparison\">")
        .expect("no comparison section");
    let end = html.find("<section id=\"summary\">").unwrap();
    assert!(start < end);
    let section = &html[start..end];
    let stems: Vec<String> = figure_files(section)
        .into_iter()
        .map(|(png, _)| png)
        .collect();
    assert_eq!(
        stems,
        [
            "side-by-side-response.png",
            "side-by-side-misses.png",
            "side-by-side-start-delay.png"
        ]
    );
    assert!(section.contains("a row per task, a column per configuration"));
    for (png, svg) in figure_files(section) {
        let bytes = std::fs::read(dir.join(&png)).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000,
            "{png}"
        );
        let text = std::fs::read_to_string(dir.join(&svg)).unwrap();
        // One column per configuration, its verdict on top; one row per task.
        for want in [
            ">\nbase\n<",
            ">\ninherit\n<",
            ">\nceiling\n<",
            "✘ 40 misses, worst +12.6 ms",
            "scheduler.locking = none",
            "scheduler.locking = inherit",
            "scheduler.locking = ceiling",
            ">\nbus_manager\n<",
            ">\ncomms\n<",
            ">\nmeteo\n<",
        ] {
            assert!(text.contains(want), "{svg} lacks {want}");
        }
        assert_eq!(text.matches("✔ all deadlines met").count(), 2, "{svg}");
    }
    // Each is drawn inline as well.
    assert_eq!(section.matches("<div class=\"plot\"><svg").count(), 3);
}

#[test]
fn report_of_a_directory_without_a_result_is_bad_input() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.path().join("empty")).unwrap();
    let run = sb.rtlab(["report", "empty"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("holds no result.json"),
        "{}",
        run.stderr
    );
}

/// Headless Chromium as the e2e test of the issue launches it.
fn chromium(page: &Path, dir: &Path, extra: &[&str]) -> (String, serde_json::Value) {
    let profile = dir.join("chromium-profile");
    let netlog = dir.join("netlog.json");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--virtual-time-budget=5000")
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (Debian's package `chromium`; .ci/run installs it)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&netlog).unwrap()).unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), log)
}

/// URLs the page itself asked for (the browser's own background requests
/// have no page origin and are left out).
fn page_requests(netlog: &serde_json::Value) -> Vec<String> {
    let mut urls: Vec<String> = netlog["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let p = &e["params"];
            let url = p["url"].as_str()?;
            let initiator = p["initiator"].as_str()?;
            (initiator != "not an origin").then(|| url.to_string())
        })
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

#[test]
#[ignore = "needs Debian's chromium: .ci/run installs it and runs this with --ignored"]
fn report_renders_in_headless_chromium_without_network() {
    let sb = Sandbox::new();
    let html_path = sim_and_live_report(&sb);
    let html = std::fs::read_to_string(&html_path).unwrap();
    let figures = figure_files(&html).len();
    let (dom, netlog) = chromium(&html_path, sb.path(), &["--dump-dom"]);
    // The page's self-check: every inline SVG rendered with a size.
    let check = dom
        .split("data-render-check=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no render check in the DOM"));
    assert_eq!(check, format!("svg {figures}/{figures} img 0/0"));
    assert!(figures >= 6, "{figures} figures");
    let requests = page_requests(&netlog);
    assert!(
        requests
            .iter()
            .all(|u| u.starts_with("file://") && u.ends_with("report.html")),
        "the report made requests: {requests:?}"
    );
    // A screenshot for people (not checked).
    let shot = sb.path().join("runs/report-screenshot.png");
    let _ = chromium(
        &html_path,
        sb.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,5000",
        ],
    );

    // Control: the same check sees a page that does reach out.
    let leaky = sb.write(
        "leaky.html",
        "<html><body><img src=\"http://example.invalid/x.png\"></body></html>",
    );
    let (_, netlog) = chromium(&leaky, sb.path(), &["--dump-dom"]);
    assert!(
        page_requests(&netlog)
            .iter()
            .any(|u| u.starts_with("http://example.invalid")),
        "the network check does not see requests"
    );
}

/// A config whose only misses come late: `burst` (more urgent) is first
/// released at 1.2 s and runs 15 ms, so `sensor` misses then and only then,
/// long after the first timeline window (200 ms).
const LATE_MISS: &str = r#"
name = "late-miss"
description = "A burst at 1.2 s makes the sensor miss, once."
duration = "2s"

[platform]
cpus = [0]

[scheduler]
policy = "fixed-priority"
priorities = "explicit"

[[task]]
name = "sensor"
period = "10ms"
wcet = "2ms"
priority = 1

[[task]]
name = "burst"
period = "1s"
wcet = "15ms"
offset = "1200ms"
priority = 2
"#;

#[test]
fn report_of_a_run_missing_only_late_has_a_labelled_timeline_around_the_miss() {
    let sb = Sandbox::new();
    let cfg = sb.write("late-miss.toml", LATE_MISS);
    sb.rtlab([
        "simulate".as_ref(),
        cfg.as_os_str(),
        "--out".as_ref(),
        "runs/sim".as_ref(),
    ])
    .expect_code(0);
    let window: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("runs/sim/window.json")).unwrap())
            .unwrap();
    assert_eq!(window["end_ns"], 200_000_000);
    let around = window["around_misses"].as_array().unwrap();
    assert_eq!(around.len(), 1, "{around:?}");
    assert_eq!(around[0]["task"], 0);
    assert_eq!(around[0]["job"], 120);
    sb.rtlab(["report", "runs/sim"]).expect_code(0);
    let html = std::fs::read_to_string(sb.path().join("runs/sim/report.html")).unwrap();
    let files = figure_files(&html);
    assert!(
        files.iter().any(|(png, _)| png.contains("gantt-1-miss-1")),
        "{files:?}"
    );
    // The first timeline no longer claims the run missed nothing, and the
    // one around the miss (released 1.20 s, deadline 1.21 s, 7 ms late)
    // says where it is and what it shows.
    let html = html.replace("&#39;", "'");
    assert!(html.contains("no deadline missed in it (the run's misses come later"));
    assert!(
        html.contains(
            "<strong>Timeline, t = 1.191–1.220 s: late-miss · simulation</strong> t = \
             1.191–1.220 s, around `sensor`'s worst miss (job 120, 7.00 ms late)."
        ),
        "no labelled timeline around the miss:\n{html}"
    );
}

#[test]
fn a_pipeline_report_has_the_chain_plot_table_files_and_verdict() {
    let sb = Sandbox::new();
    let run = sb.rtlab([
        "simulate".as_ref(),
        config("pipeline.toml").as_os_str(),
        "--out".as_ref(),
        "sim".as_ref(),
    ]);
    run.expect_code(0);
    // The terminal summary: the chain's row and its verdict in words.
    assert!(
        run.stdout.contains(
            "chain frame-to-brake missed 95 of 301 deadlines, worst 41.4 ms > 35.0 ms: detect \
             waited 20.0 ms and ran 13.6 ms (33.6 ms of 41.4 ms)"
        ),
        "{}",
        run.stdout
    );
    let dir = sb.path().join("sim");
    for file in ["chain-frame-to-brake.end_to_end.hgrm", "chains.csv"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let csv = std::fs::read_to_string(dir.join("chains.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("frame-to-brake,camera->detect->plan->actuate,301,")),
        "{csv}"
    );
    sb.rtlab(["report", "sim", "--out", "rep"]).expect_code(0);
    let rep = sb.path().join("rep");
    for ext in ["png", "svg"] {
        assert!(rep.join(format!("chain-1-frame-to-brake.{ext}")).is_file());
    }
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    // The per-chain table, after the per-task one, with its row.
    let table = html
        .find("<section id=\"chains\">")
        .expect("no chain table");
    assert!(html.find("<section id=\"summary\">").unwrap() < table);
    let row = &html[table..];
    for cell in [
        "<td>frame-to-brake</td>",
        "<td>camera -&gt; detect -&gt; plan -&gt; actuate</td>",
        "<td>301</td><td>95</td>",
        "<td>41.4 ms</td>",
        "<td>35.0 ms</td>",
        "<td>detect: 33.6 ms of 41.4 ms</td>",
    ] {
        assert!(row.contains(cell), "{cell}");
    }
    // The verdict fails on the chain and names it first.
    assert!(html.contains("95 end-to-end deadlines missed by 1 chain"));
    assert!(html.contains("<li>chain frame-to-brake missed 95 of 301 deadlines"));
    assert!(html.contains("id=\"chain-1-frame-to-brake\""));
}

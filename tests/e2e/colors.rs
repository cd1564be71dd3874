//! One colour per task: reports of different configs that share task
//! names draw each shared task in one colour in every plot of every
//! report, read back from the SVGs (a legend's line, a timeline row's
//! swatch, the box or bar over a group's label).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::Sandbox;

/// Four tasks in config order, as in the demo.
const FLIGHT: &str = r#"
name = "flight"
duration = "200ms"
[platform]
cpus = [0]
[scheduler]
policy = "fixed-priority"
priorities = "rate-monotonic"
[[task]]
name = "sensor"
period = "2ms"
wcet = "0.4ms"
[[task]]
name = "control"
period = "5ms"
wcet = "1.2ms"
[[task]]
name = "telemetry"
period = "20ms"
wcet = "4ms"
[[task]]
name = "logger"
period = "50ms"
wcet = "6ms"
"#;

/// Two of those tasks at other places, and a new one: by position they
/// would get other colours.
const ROVER: &str = r#"
name = "rover"
duration = "200ms"
[platform]
cpus = [0]
[scheduler]
policy = "fixed-priority"
priorities = "rate-monotonic"
[[task]]
name = "control"
period = "5ms"
wcet = "1ms"
[[task]]
name = "sensor"
period = "2ms"
wcet = "0.3ms"
[[task]]
name = "wheels"
period = "10ms"
wcet = "2ms"
"#;

/// The tasks both configs have.
const SHARED: [&str; 2] = ["sensor", "control"];

/// One SVG element: its tag, attributes and text.
#[derive(Debug)]
struct Element {
    tag: String,
    attrs: BTreeMap<String, String>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    /// The horizontal centre of a `rect`.
    fn centre_x(&self) -> Option<f64> {
        let x: f64 = self.attr("x")?.parse().ok()?;
        let w: f64 = self.attr("width")?.parse().ok()?;
        Some(x + w / 2.0)
    }
}

/// The elements of an SVG as plotters writes it (no nesting beyond the
/// root, text content between a `text` tag and its end).
fn elements(svg: &str) -> Vec<Element> {
    let mut out = Vec::new();
    for chunk in svg.split('<').skip(1) {
        if chunk.starts_with('/') {
            continue;
        }
        let (head, text) = chunk.split_once('>').unwrap_or((chunk, ""));
        let head = head.trim_end_matches('/');
        let (tag, rest) = head.split_once(' ').unwrap_or((head, ""));
        let mut attrs = BTreeMap::new();
        for part in rest.split("\" ") {
            if let Some((k, v)) = part.split_once("=\"") {
                attrs.insert(k.trim().to_string(), v.trim_end_matches('"').to_string());
            }
        }
        out.push(Element {
            tag: tag.to_string(),
            attrs,
            text: text.trim().to_string(),
        });
    }
    out
}

/// The colour `svg` (a plot named `stem`) gives task `name`, if it shows
/// it: the line before its legend entry, the swatch after its timeline
/// row label, the swatch before its side-by-side row label, or the
/// nearest box or bar (of a colour in `palette`) under its group label.
fn color_of(stem: &str, svg: &[Element], name: &str, palette: &BTreeSet<String>) -> Option<String> {
    let is_text =
        |e: &Element, anchor: &str| e.tag == "text" && e.attr("text-anchor") == Some(anchor);
    if stem.starts_with("latency-") || stem == "response-percentiles" {
        let i = svg.iter().position(|e| {
            is_text(e, "start") && (e.text == name || e.text.starts_with(&format!("{name} (")))
        })?;
        return svg[i.checked_sub(1)?].attr("stroke").map(str::to_string);
    }
    if stem.starts_with("side-by-side-") {
        // A row per task: the swatch before its name (bold, left).
        let i = svg.iter().position(|e| {
            is_text(e, "start") && e.attr("font-weight") == Some("bold") && e.text == name
        })?;
        return svg[i.checked_sub(1)?].attr("fill").map(str::to_string);
    }
    if stem.starts_with("gantt-") {
        let i = svg
            .iter()
            .position(|e| is_text(e, "end") && e.text == name)?;
        return svg.get(i + 1)?.attr("fill").map(str::to_string);
    }
    // Grouped boxes or bars, labelled underneath.
    let label = svg.iter().find(|e| {
        is_text(e, "middle") && e.attr("font-weight") == Some("bold") && e.text == name
    })?;
    let x: f64 = label.attr("x")?.parse().ok()?;
    svg.iter()
        .filter(|e| e.tag == "rect" && e.attr("fill").is_some_and(|f| palette.contains(f)))
        .filter_map(|e| Some((e.centre_x()?, e.attr("fill")?)))
        .min_by(|a, b| (a.0 - x).abs().total_cmp(&(b.0 - x).abs()))
        .map(|(_, fill)| fill.to_string())
}

/// Every `(stem, colour per shared task)` of the report in `dir`, after
/// checking that each plot but the utilization one shows every shared
/// task.
fn shared_colors(dir: &Path) -> Vec<(String, BTreeMap<&'static str, String>)> {
    let mut svgs: Vec<(String, Vec<Element>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, elements(&std::fs::read_to_string(&p).unwrap()))
        })
        .collect();
    svgs.sort_by(|a, b| a.0.cmp(&b.0));
    // The colours the legends give tasks: what a box or bar may be.
    let palette: BTreeSet<String> = svgs
        .iter()
        .filter(|(stem, _)| stem.starts_with("latency-"))
        .flat_map(|(_, svg)| {
            svg.windows(2)
                .filter(|w| w[1].tag == "text" && w[1].text.contains(" (max "))
                .filter_map(|w| w[0].attr("stroke").map(str::to_string))
        })
        .collect();
    let kinds = [
        "response-vs-deadline",
        "misses",
        "gantt-",
        "response-percentiles",
        "latency-",
    ];
    for kind in kinds {
        assert!(
            svgs.iter().any(|(s, _)| s.starts_with(kind)),
            "no {kind} plot in {dir:?}"
        );
    }
    svgs.iter()
        .filter(|(stem, _)| stem != "utilization")
        .map(|(stem, svg)| {
            let colors = SHARED
                .iter()
                .map(|&name| {
                    let c = color_of(stem, svg, name, &palette)
                        .unwrap_or_else(|| panic!("{stem} in {dir:?}: no colour for {name}"));
                    (name, c)
                })
                .collect();
            (stem.clone(), colors)
        })
        .collect()
}

#[test]
fn reports_of_configs_sharing_task_names_draw_each_in_one_colour_in_every_plot() {
    let sb = Sandbox::new();
    let flight = sb.write("flight.toml", FLIGHT);
    let rover = sb.write("rover.toml", ROVER);
    for (cfg, name) in [(&flight, "flight"), (&rover, "rover")] {
        let out = format!("runs/{name}");
        sb.rtlab([
            "simulate".as_ref(),
            cfg.as_os_str(),
            "--out".as_ref(),
            out.as_ref(),
        ])
        .expect_code(0);
        let report = format!("reports/{name}");
        sb.rtlab(["report", out.as_str(), "--out", report.as_str()])
            .expect_code(0);
    }
    sb.rtlab([
        "compare".as_ref(),
        flight.as_os_str(),
        rover.as_os_str(),
        "--engine".as_ref(),
        "sim".as_ref(),
        "--out".as_ref(),
        "reports/both".as_ref(),
    ])
    .expect_code(0);

    let mut seen: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut plots = 0;
    for report in ["flight", "rover", "both"] {
        for (stem, colors) in shared_colors(&sb.path().join("reports").join(report)) {
            plots += 1;
            for (name, c) in colors {
                assert!(
                    c.starts_with('#') && c.len() == 7,
                    "{report}/{stem}: {name} {c}"
                );
                seen.entry(name).or_default().insert(c);
            }
        }
    }
    // Response, misses, a timeline, percentiles and a distribution in each
    // single report; in the comparison, both runs' timelines and
    // distributions.
    assert!(plots >= 5 + 5 + 7, "only {plots} plots");
    for name in SHARED {
        assert_eq!(seen[name].len(), 1, "{name} has colours {:?}", seen[name]);
    }
    assert_ne!(seen["sensor"], seen["control"]);
}

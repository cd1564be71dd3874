//! Running the `rtlab` binary from tests: build it once, run it in a
//! temporary directory, capture its output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `rtlab` binary of this workspace, built on first use with the same
/// profile as the tests (`cargo build` is a no-op when it is up to date).
pub(crate) fn rtlab_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = option_env!("CARGO").unwrap_or("cargo");
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace_root()).args([
            "build",
            "--quiet",
            "-p",
            "rtlab",
            "--bin",
            "rtlab",
            "--message-format=json",
        ]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "building rtlab failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "rtlab")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the rtlab executable")
    })
}

/// The workspace root (where `configs/` lives).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// A shipped config by file name, e.g. `config("demo.toml")`.
pub(crate) fn config(name: &str) -> PathBuf {
    workspace_root().join("configs").join(name)
}

/// Every shipped config.
pub(crate) fn all_configs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("configs"))
        .expect("configs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

/// The result of one run of `rtlab`.
#[derive(Debug)]
pub(crate) struct Run {
    /// Exit code (`None` if killed by a signal).
    pub(crate) code: Option<i32>,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error.
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Parses standard output as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A temporary working directory for one test.
pub(crate) struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// A new empty directory.
    pub(crate) fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (relative to the sandbox) and returns its path.
    pub(crate) fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).expect("write test file");
        p
    }

    /// `rtlab` with `args`, to run in the sandbox; stdin closed.
    fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(rtlab_bin());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// Runs `rtlab` with `args` in the sandbox; stdin is closed.
    pub(crate) fn rtlab<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command(args).output().expect("rtlab runs").into()
    }

    /// Writes `config` as `name`, runs it live (`rtlab run NAME --out
    /// out`, more `args` after), expects exit 0 and returns what it
    /// printed and its `result.json`.
    #[track_caller]
    pub(crate) fn run_live(
        &self,
        name: &str,
        config: &str,
        args: &[&str],
    ) -> (Run, serde_json::Value) {
        let path = self.write(name, config);
        let mut all: Vec<&std::ffi::OsStr> = vec![
            "run".as_ref(),
            path.as_os_str(),
            "--out".as_ref(),
            "out".as_ref(),
        ];
        all.extend(args.iter().map(std::ffi::OsStr::new));
        let run = self.rtlab(all);
        run.expect_code(0);
        let result = std::fs::read(self.path().join("out/result.json")).expect("result.json");
        let result = serde_json::from_slice(&result).expect("result.json is JSON");
        (run, result)
    }

    /// Starts `rtlab` with `args` in the sandbox and returns at once (to look
    /// at it while it runs, or signal it); stdout is dropped, stderr piped.
    pub(crate) fn spawn<I, S>(&self, args: I) -> std::process::Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("rtlab starts")
    }
}

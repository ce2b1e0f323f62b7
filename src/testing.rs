//! Running one test: its program through its target's runner, with a timeout, its output
//! (stdout and stderr, interleaved as written) captured. The outcome goes to a report (JSON,
//! read back by `spygen test` for its summary and JUnit file) and, when the test passes, to a
//! stamp: the output ninja and make track, so a passed test whose program and command are
//! unchanged does not run again. This is `spygen test-one`, which the build files' test
//! actions run.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt;

use crate::error::{Error, Result};

/// The environment variable naming a run of `spygen test`: the build files' test actions
/// inherit it through ninja or make and record it in their reports, so that `spygen test`
/// tells the reports of its own run from those of tests ninja did not rerun.
pub const RUN_ID_ENV: &str = "SPYGEN_TEST_RUN";

/// How much of a test's output a report keeps: the end, where failures are.
pub const OUTPUT_LIMIT: usize = 64 * 1024;

/// How a test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Exit status 0.
    Passed,
    /// Another exit status.
    Failed,
    /// Killed by a signal, or a wasm trap.
    Crashed,
    /// Still running at its timeout: killed.
    TimedOut,
    /// It could not be started.
    NotStarted,
}

/// What one run of a test gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The test's name.
    pub name: String,
    /// Its configuration.
    pub config: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Its exit status, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that killed it (`SIGSEGV`), when one did.
    pub signal: Option<String>,
    /// The wasm trap's message (`unreachable`), when it trapped.
    pub trap: Option<String>,
    /// How long it ran, in seconds.
    pub seconds: f64,
    /// Its timeout, in seconds.
    pub timeout: f64,
    /// The command, as run from the build directory.
    pub command: Vec<String>,
    /// Its output, stdout and stderr interleaved; the last [`OUTPUT_LIMIT`] bytes.
    pub output: String,
    /// How many bytes of output were left out (from the start).
    pub output_dropped: usize,
    /// The run of `spygen test` it belongs to ([`RUN_ID_ENV`]), if any.
    #[serde(default)]
    pub run: Option<String>,
}

impl Report {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }

    /// How it ended, for people: `exit status 1`, `timed out after 30 s`, `killed by signal
    /// SIGSEGV`, `wasm trap: unreachable`.
    pub fn verdict(&self) -> String {
        match self.outcome {
            Outcome::Passed => "passed".to_string(),
            Outcome::Failed => format!("exit status {}", self.exit_code.unwrap_or(-1)),
            Outcome::TimedOut => format!("timed out after {} s (killed)", self.timeout),
            Outcome::Crashed => match (&self.signal, &self.trap) {
                (Some(signal), _) => format!("killed by signal {signal}"),
                (None, Some(trap)) => format!("wasm trap: {trap}"),
                (None, None) => "crashed".to_string(),
            },
            Outcome::NotStarted => "could not be started".to_string(),
        }
    }

    /// The lines printed for a test that did not pass: a heading, the command, then its
    /// output, indented.
    pub fn failure_text(&self) -> String {
        let mut text = format!("FAIL {} [{}]: {} ({:.2} s)\n", self.name, self.config, self.verdict(), self.seconds);
        text += &format!("  $ {}\n", crate::shell::join(&self.command));
        if self.output_dropped > 0 {
            text += &format!("  | ... ({} bytes before this left out)\n", self.output_dropped);
        }
        for line in self.output.lines() {
            text += &format!("  | {line}\n");
        }
        text
    }

    /// Reads a report spygen wrote; `None` when there is none (or another tool's file).
    pub fn read(path: &Path) -> Option<Report> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }
}

/// One test to run: what `spygen test-one` is told.
#[derive(Debug, Clone)]
pub struct TestRun {
    /// The test's name.
    pub name: String,
    /// Its configuration.
    pub config: String,
    /// Seconds before it is killed.
    pub timeout: f64,
    /// The runner's words, then the program (relative to the working directory), then its
    /// arguments.
    pub command: Vec<String>,
    /// Where the report goes.
    pub report: PathBuf,
    /// The file written when it passes (removed first).
    pub stamp: PathBuf,
}

/// Runs `test` in the current directory; writes its report, and its stamp when it passes.
pub fn run_test(test: &TestRun) -> Result<Report> {
    // A stamp from an earlier pass must not outlive a failure.
    let _ = std::fs::remove_file(&test.stamp);
    for file in [&test.report, &test.stamp] {
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
        }
    }
    let mut command = test.command.clone();
    // A program run directly is named relative to here: as a path, never looked up on PATH.
    if let Some(first) = command.first_mut()
        && !first.contains('/')
        && Path::new(first.as_str()).is_file()
    {
        *first = format!("./{first}");
    }
    let report = execute(test, &command);
    let json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    crate::fsutil::write_if_changed(&test.report, &json)?;
    if report.passed() {
        std::fs::write(&test.stamp, b"passed\n").map_err(|e| Error::io("write", &test.stamp, e))?;
    }
    Ok(report)
}

/// Runs `command`, killing its process group at the timeout.
fn execute(test: &TestRun, command: &[String]) -> Report {
    let mut report = Report {
        name: test.name.clone(),
        config: test.config.clone(),
        outcome: Outcome::NotStarted,
        exit_code: None,
        signal: None,
        trap: None,
        seconds: 0.0,
        timeout: test.timeout,
        command: command.to_vec(),
        output: String::new(),
        output_dropped: 0,
        run: std::env::var(RUN_ID_ENV).ok(),
    };
    let Some((program, args)) = command.split_first() else {
        report.output = "no command to run".to_string();
        return report;
    };
    let (reader, writer) = match std::io::pipe() {
        Ok(pipe) => pipe,
        Err(e) => {
            report.output = format!("cannot make a pipe: {e}");
            return report;
        }
    };
    let writer_err = writer.try_clone();
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).stdout(writer);
    match writer_err {
        Ok(w) => cmd.stderr(w),
        Err(_) => cmd.stderr(Stdio::null()),
    };
    // Its own process group, so that a timeout kills what it started too.
    cmd.process_group(0);
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            report.output = format!("cannot run {program}: {e}");
            return report;
        }
    };
    // The command holds the pipe's write ends: dropped, so the reader sees the end.
    drop(cmd);
    let collector = std::thread::spawn(move || collect(reader));
    let timeout = Duration::from_secs_f64(test.timeout);
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => Some(status),
        Ok(None) | Err(_) => {
            kill_group(child.id());
            let _ = child.wait();
            None
        }
    };
    report.seconds = start.elapsed().as_secs_f64();
    let (output, dropped) = collector.join().unwrap_or_default();
    report.output = output;
    report.output_dropped = dropped;
    match status {
        None => report.outcome = Outcome::TimedOut,
        Some(status) => {
            report.exit_code = status.code();
            report.signal = status.signal().map(signal_name);
            report.trap = status.code().filter(|&c| c != 0).and_then(|_| wasm_trap(&report.output));
            report.outcome = if status.success() {
                Outcome::Passed
            } else if report.signal.is_some() || report.trap.is_some() {
                Outcome::Crashed
            } else {
                Outcome::Failed
            };
        }
    }
    report
}

/// Kills the process group led by `pid`.
fn kill_group(pid: u32) {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}

/// Everything read from `reader` until its end (every writer closed, or, after a kill, a
/// short while), keeping the last [`OUTPUT_LIMIT`] bytes; with how many were dropped.
fn collect(mut reader: std::io::PipeReader) -> (String, usize) {
    let mut kept: Vec<u8> = Vec::new();
    let mut dropped = 0;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * OUTPUT_LIMIT {
                    let cut = kept.len() - OUTPUT_LIMIT;
                    dropped += cut;
                    kept.drain(..cut);
                }
            }
        }
    }
    if kept.len() > OUTPUT_LIMIT {
        let cut = kept.len() - OUTPUT_LIMIT;
        dropped += cut;
        kept.drain(..cut);
    }
    (String::from_utf8_lossy(&kept).into_owned(), dropped)
}

/// The usual name of signal `n` (`SIGSEGV`), else its number.
fn signal_name(n: i32) -> String {
    let name = match n {
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGINT => "SIGINT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGTERM => "SIGTERM",
        libc::SIGTRAP => "SIGTRAP",
        _ => return format!("signal {n}"),
    };
    format!("{name} ({n})")
}

/// The message of a wasm trap in a runner's output: node's `RuntimeError: unreachable`
/// (emscripten's too), wasmtime's `wasm trap: ...`.
fn wasm_trap(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let line = line.trim();
        let after = |marker: &str| line.find(marker).map(|i| line[i + marker.len()..].trim().to_string());
        after("RuntimeError: ").or_else(|| after("wasm trap: "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_sh(script: &str, timeout: f64) -> (Report, bool) {
        let dir = tempfile::tempdir().unwrap();
        let test = TestRun {
            name: "t".into(),
            config: "native-debug".into(),
            timeout,
            command: vec!["sh".into(), "-c".into(), script.into()],
            report: dir.path().join("r/t.json"),
            stamp: dir.path().join("r/t.passed"),
        };
        let report = run_test(&test).unwrap();
        assert_eq!(Report::read(&test.report).as_ref(), Some(&report), "the report reads back as written");
        (report, test.stamp.exists())
    }

    #[test]
    fn a_passing_test_writes_its_stamp_and_a_failing_one_keeps_its_output() {
        let (report, stamped) = run_sh("echo out; echo err >&2; exit 0", 10.0);
        assert!(report.passed() && stamped);
        assert_eq!(report.output, "out\nerr\n", "stdout and stderr, interleaved as written");
        let (report, stamped) = run_sh("echo boom; exit 3", 10.0);
        assert_eq!((report.outcome, report.exit_code, stamped), (Outcome::Failed, Some(3), false));
        let text = report.failure_text();
        assert!(text.starts_with("FAIL t [native-debug]: exit status 3 ("), "{text}");
        assert!(text.contains("  $ sh -c 'echo boom; exit 3'\n") && text.contains("  | boom\n"), "{text}");
    }

    #[test]
    fn a_hanging_test_and_what_it_started_are_killed_at_the_timeout() {
        let started = Instant::now();
        // The background sleep holds the output pipe: it must die too, or this would wait.
        let (report, stamped) = run_sh("echo started; sleep 30 & sleep 30", 0.5);
        assert_eq!((report.outcome, stamped), (Outcome::TimedOut, false));
        assert_eq!(report.output, "started\n");
        assert!(started.elapsed() < Duration::from_secs(20), "killed, not waited for");
        assert_eq!(report.verdict(), "timed out after 0.5 s (killed)");
    }

    #[test]
    fn a_crash_names_its_signal_and_a_trap_its_message() {
        let (report, _) = run_sh("kill -SEGV $$", 10.0);
        assert_eq!(report.outcome, Outcome::Crashed);
        assert_eq!(report.verdict(), "killed by signal SIGSEGV (11)");
        let (report, _) = run_sh("echo 'RuntimeError: unreachable' >&2; exit 1", 10.0);
        assert_eq!(report.verdict(), "wasm trap: unreachable");
        let (report, _) = run_sh("echo 'wasm trap: integer divide by zero'; exit 134", 10.0);
        assert_eq!(report.verdict(), "wasm trap: integer divide by zero");
    }

    #[test]
    fn a_missing_program_is_reported_as_not_started() {
        let dir = tempfile::tempdir().unwrap();
        let test = TestRun {
            name: "t".into(),
            config: "c".into(),
            timeout: 1.0,
            command: vec!["/no/such/runner".into()],
            report: dir.path().join("t.json"),
            stamp: dir.path().join("t.passed"),
        };
        let report = run_test(&test).unwrap();
        assert_eq!(report.outcome, Outcome::NotStarted);
        assert!(report.output.contains("cannot run /no/such/runner"), "{}", report.output);
    }

    #[test]
    fn only_the_end_of_a_long_output_is_kept() {
        let (report, _) = run_sh("head -c 200000 /dev/zero | tr '\\0' x; echo; echo last", 10.0);
        assert_eq!(report.output.len(), OUTPUT_LIMIT);
        assert!(report.output.ends_with("x\nlast\n"));
        assert_eq!(report.output_dropped, 200000 + 6 - OUTPUT_LIMIT);
    }
}

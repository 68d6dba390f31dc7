//! Starting a stdio server and making sure it ends.
//!
//! rmcp's own `TokioChildProcess` hides the child once the connection owns it; Hearth
//! starts the program itself so it keeps what it needs: the exit status for a clear
//! error when a server dies, its stderr for the log, and a process group to stop it by.
//!
//! - Environment: only the variables every program needs (PATH, HOME, USER, locale,
//!   ...) plus the configured ones, like the MCP TypeScript SDK does: an API key in
//!   Hearth's environment never reaches a server nobody gave it to.
//! - Process group: the server leads a group of its own, so a server started through a
//!   wrapper (`npx`, `uvx`, a shell script) is stopped with everything it started.
//! - On Linux the server also gets SIGKILL if the thread that started it ends, which
//!   covers Hearth being killed outright. That thread is the hub's own, which lives
//!   exactly as long as the hub (see `hub.rs`).
//! - Stopping: stdin is closed (the MCP way to ask a server to exit), then SIGTERM to
//!   the group, then SIGKILL, each after a short wait; the child is always reaped.
//! - stderr: each line goes to the log at debug level (never to the user's terminal),
//!   cut to a sane length, and the last few lines are kept for error messages.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::{watch, Notify};

use crate::config::Secret;
use crate::error::McpError;
use crate::outcome::clean_text;

/// Variables passed on from Hearth's environment (the MCP TypeScript SDK's list, plus
/// the locale and the temporary folder, which change how programs read and write text
/// and where they put files, not what they may access).
#[cfg(unix)]
const INHERITED_ENV: &[&str] = &[
    "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR",
];
#[cfg(windows)]
const INHERITED_ENV: &[&str] = &[
    "APPDATA",
    "HOMEDRIVE",
    "HOMEPATH",
    "LOCALAPPDATA",
    "PATH",
    "PATHEXT",
    "PROCESSOR_ARCHITECTURE",
    "PROGRAMFILES",
    "SYSTEMDRIVE",
    "SYSTEMROOT",
    "TEMP",
    "TMP",
    "USERNAME",
    "USERPROFILE",
];

/// Lines of stderr kept for error messages, and the longest line kept or logged.
const STDERR_TAIL_LINES: usize = 12;
const STDERR_LINE_MAX: usize = 1000;

/// A started server: its pipes (handed to the MCP connection) and its process.
pub(crate) struct Started {
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
    pub process: ServerProcess,
}

/// The server's process as Hearth keeps track of it.
pub(crate) struct ServerProcess {
    server: String,
    pid: u32,
    /// Set once the process has ended and been reaped.
    exit: watch::Receiver<Option<ExitStatus>>,
    /// Asks the task that owns the child to kill it (where there are no process groups).
    #[cfg_attr(unix, allow(dead_code))]
    kill: Arc<Notify>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Set once the server's stderr is read to its end.
    stderr_done: watch::Receiver<bool>,
}

pub(crate) fn spawn(
    server: &str,
    command: &str,
    args: &[String],
    env: &BTreeMap<String, Secret>,
    cwd: Option<&PathBuf>,
) -> Result<Started, McpError> {
    let mut cmd = Command::new(command);
    cmd.args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // a backstop: if the task that waits for the child is ever dropped unawaited
        .kill_on_drop(true);
    for key in INHERITED_ENV {
        if let Some(value) = std::env::var_os(key) {
            // bash exports functions as variables whose value starts with "()"
            // (Shellshock); they are no use to a server and have been an attack surface
            if !value.to_string_lossy().starts_with("()") {
                cmd.env(key, value);
            }
        }
    }
    for (key, value) in env {
        cmd.env(key, value.expose());
    }
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    #[cfg(unix)]
    {
        cmd.process_group(0);
    }
    #[cfg(target_os = "linux")]
    {
        let parent = std::process::id();
        // SAFETY: the closure runs in the child between fork and exec and calls only
        // prctl and getppid, which are async-signal-safe system calls.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // the parent may have died before prctl took effect
                if libc::getppid() as u32 != parent {
                    return Err(std::io::Error::other(
                        "Hearth exited while starting the server",
                    ));
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().map_err(|e| McpError::Spawn {
        server: server.to_string(),
        command: command.to_string(),
        reason: spawn_reason(command, cwd, &e),
    })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        // cannot happen with piped stdio; kill_on_drop ends the child
        return Err(McpError::Spawn {
            server: server.to_string(),
            command: command.to_string(),
            reason: "its pipes were not created".into(),
        });
    };
    let pid = child.id().unwrap_or_default();
    let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
    let (server_name, tail) = (server.to_string(), stderr_tail.clone());
    let (stderr_done_tx, stderr_done) = watch::channel(false);
    tokio::spawn(async move {
        log_stderr(server_name, stderr, tail).await;
        let _ = stderr_done_tx.send(true);
    });
    let (exit_tx, exit) = watch::channel(None);
    let kill = Arc::new(Notify::new());
    tokio::spawn(wait_for_exit(
        server.to_string(),
        child,
        exit_tx,
        kill.clone(),
    ));
    tracing::debug!(server, pid, command, "started MCP server");
    Ok(Started {
        stdin,
        stdout,
        process: ServerProcess {
            server: server.to_string(),
            pid,
            exit,
            kill,
            stderr_tail,
            stderr_done,
        },
    })
}

fn spawn_reason(command: &str, cwd: Option<&PathBuf>, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => match cwd {
            Some(cwd) if !cwd.is_dir() => format!(
                "its working directory {} does not exist; fix cwd in the server's settings",
                cwd.display()
            ),
            _ => format!(
                "the program '{command}' was not found; install it, or give its full path as the command"
            ),
        },
        std::io::ErrorKind::PermissionDenied => {
            format!("'{command}' may not be run (permission denied); check that it is a program and executable")
        }
        _ => error.to_string(),
    }
}

async fn wait_for_exit(
    server: String,
    mut child: Child,
    exit: watch::Sender<Option<ExitStatus>>,
    kill: Arc<Notify>,
) {
    let status = tokio::select! {
        status = child.wait() => status,
        () = kill.notified() => {
            let _ = child.start_kill();
            child.wait().await
        }
    };
    match status {
        Ok(status) => {
            tracing::debug!(server, %status, "MCP server exited");
            let _ = exit.send(Some(status));
        }
        Err(e) => tracing::warn!(server, "could not wait for the MCP server: {e}"),
    }
}

async fn log_stderr(server: String, mut stderr: ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut buffer = [0u8; 4096];
    let mut line: Vec<u8> = Vec::new();
    let flush = |line: &mut Vec<u8>| {
        if line.is_empty() {
            return;
        }
        let text = clean_text(String::from_utf8_lossy(line).trim_end());
        line.clear();
        tracing::debug!(target: "hearth_mcp::server_stderr", server = %server, "{text}");
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(text);
        }
    };
    loop {
        let n = match stderr.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &byte in &buffer[..n] {
            if byte == b'\n' {
                flush(&mut line);
            } else if line.len() < STDERR_LINE_MAX {
                // the rest of an overlong line is dropped: a server writing one endless
                // line must not grow Hearth's memory
                line.push(byte);
            }
        }
    }
    flush(&mut line);
}

impl ServerProcess {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// How the process ended, if it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.exit.borrow()
    }

    /// "the program exited with code 1" or "… closed its output", and the last lines
    /// it wrote to stderr, for error messages.
    pub fn describe_end(&self) -> String {
        format!("{}{}", self.how_it_ended(), self.last_words())
    }

    /// "the program exited with code 1", "… was killed by signal 9 (SIGKILL)", or
    /// "… closed its output" while it still runs.
    pub fn how_it_ended(&self) -> String {
        match self.exit_status() {
            Some(status) => format!("the program {}", describe_exit(status)),
            None => "the program closed its output".into(),
        }
    }

    /// "; it last wrote: …" with the last lines of its stderr, or nothing.
    pub fn last_words(&self) -> String {
        match self.stderr_tail() {
            tail if tail.is_empty() => String::new(),
            tail => format!("; it last wrote: {tail}"),
        }
    }

    /// The last lines the server wrote to stderr, joined with " | ".
    pub fn stderr_tail(&self) -> String {
        self.stderr_tail
            .lock()
            .map(|tail| tail.iter().cloned().collect::<Vec<_>>().join(" | "))
            .unwrap_or_default()
    }

    /// Once the process has ended, waits (briefly) until what it wrote to stderr has
    /// been read, so an error message can quote its last words.
    pub async fn settle(&self) {
        if self.exit_status().is_none() {
            return;
        }
        let mut done = self.stderr_done.clone();
        // a helper it left behind may hold stderr open: do not wait for that long
        let read = async move { done.wait_for(|done| *done).await.is_ok() };
        let _ = tokio::time::timeout(Duration::from_millis(500), read).await;
    }

    /// Waits up to `timeout` for the process to end; whether it has.
    pub async fn wait(&self, timeout: Duration) -> bool {
        let mut exit = self.exit.clone();
        let ended = async move { exit.wait_for(Option::is_some).await.is_ok() };
        tokio::time::timeout(timeout, ended).await.unwrap_or(false)
    }

    /// Stops the process and everything it started; `stdin_closed` says the caller has
    /// already closed its stdin (the polite request). Returns once it is reaped, or
    /// after the waits, if even SIGKILL does not end it (a process stuck in the kernel).
    pub async fn stop(&self, grace: Duration) {
        if !self.wait(grace).await {
            self.signal_group(Signal::Term);
            if !self.wait(grace).await {
                self.signal_group(Signal::Kill);
                if !self.wait(Duration::from_secs(5)).await {
                    tracing::warn!(server = %self.server, pid = self.pid, "MCP server did not end after SIGKILL");
                }
            }
        }
        // whatever the server started and left behind in its group; SIGKILL takes
        // effect a moment later, so wait (at most a second) until none of it runs
        self.signal_group(Signal::Kill);
        for _ in 0..100 {
            if !self.group_alive() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn signal_group(&self, signal: Signal) {
        #[cfg(unix)]
        {
            let Ok(pgid) = libc::pid_t::try_from(self.pid) else {
                return;
            };
            if pgid <= 1 {
                return;
            }
            let signal = match signal {
                Signal::Term => libc::SIGTERM,
                Signal::Kill => libc::SIGKILL,
            };
            // SAFETY: killpg only sends a signal; the group is the one the server leads
            // (process_group(0)), and its id cannot be reused while any member lives.
            unsafe {
                libc::killpg(pgid, signal);
            }
        }
        #[cfg(not(unix))]
        {
            // no groups to signal: the task that owns the child kills it
            let _ = signal;
            self.kill.notify_one();
        }
    }

    /// Whether a process of the server's group still runs. A killed process whose
    /// parent died stays a zombie until init reaps it, which some containers' init
    /// does late; it runs no more code, so zombies do not count (on Linux, where
    /// /proc tells them apart).
    fn group_alive(&self) -> bool {
        #[cfg(unix)]
        {
            let Ok(pgid) = libc::pid_t::try_from(self.pid) else {
                return false;
            };
            // SAFETY: signal 0 sends nothing; it only asks whether the group exists
            if pgid <= 1 || unsafe { libc::killpg(pgid, 0) } != 0 {
                return false;
            }
            #[cfg(target_os = "linux")]
            {
                live_member_of_group(pgid)
            }
            #[cfg(not(target_os = "linux"))]
            {
                true
            }
        }
        #[cfg(not(unix))]
        {
            false
        }
    }
}

/// Whether a process that is not a zombie is in process group `pgid`.
#[cfg(target_os = "linux")]
fn live_member_of_group(pgid: libc::pid_t) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    let pgid = pgid.to_string();
    entries.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            return false;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        let Some((_, fields)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = fields.split_whitespace();
        let (state, _ppid, pgrp) = (fields.next(), fields.next(), fields.next());
        pgrp == Some(pgid.as_str()) && !matches!(state, Some("Z" | "X"))
    })
}

#[derive(Clone, Copy)]
enum Signal {
    Term,
    Kill,
}

fn describe_exit(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGKILL => " (SIGKILL)",
                libc::SIGTERM => " (SIGTERM)",
                libc::SIGSEGV => " (SIGSEGV)",
                libc::SIGABRT => " (SIGABRT)",
                _ => "",
            };
            return format!("was killed by signal {signal}{name}");
        }
    }
    match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => "exited".into(),
    }
}

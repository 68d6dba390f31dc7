//! Who is writing a streaming answer or a running workflow run, and whether that writer
//! is still alive.
//!
//! Several processes open the same history: the desktop app or `hearth serve`, and
//! `hearth history list` in a terminal next to them. Each open labels answers and runs
//! that a crash left unfinished as interrupted, so it must tell a row whose writer died
//! from one that another process is writing right now. Every such row carries an owner
//! lease: the writing process's id and a mark of that process's start, because a process
//! id alone is reused by the system once its process is gone.
//!
//! How the start is marked, by platform:
//!
//! - Linux: the boot id and the start time in `/proc/<pid>/stat` (field 22, clock ticks
//!   since boot). Nothing to create or clean up, and no other process can have the same
//!   pair: a reused id has a later start time, and a reboot a new boot id.
//! - Elsewhere (macOS, Windows, the BSDs), or where `/proc` cannot be read: a lock file
//!   that the process holds with an OS advisory lock (`File::try_lock`: `flock` on Unix,
//!   `LockFileEx` on Windows) for as long as it lives, named in the row. The system
//!   releases the lock however the process ends, even by SIGKILL or a power cut, and a
//!   lock belongs to a file of its own, never to a process id, so reuse cannot fool it.
//!   This was preferred to asking each OS for process start times (`proc_pidinfo`,
//!   `GetProcessTimes`): one portable mechanism in the standard library, tested on every
//!   platform including this one, instead of three that only their own CI could test.
//!
//! A row whose owner is this process is always alive (the same process may open the
//! history twice). A row without owner, written by a version before owners existed,
//! counts as abandoned, as does an owner whose liveness is recorded in a way this
//! platform cannot check. When liveness cannot be told (an error other than "not
//! found"), the row is left alone: a label can wait for the next start, a live answer
//! cut off cannot be undone.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The writer of a row: a process id and the mark of that process's start.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Owner {
    pub pid: u32,
    pub start: String,
}

const LINUX_PREFIX: &str = "linux:";
const LOCK_PREFIX: &str = "lock:";

/// This process's lease, made once; `None` if neither mechanism works here (the rows
/// it writes then have no owner and count as abandoned, as before owners existed).
pub(crate) fn current() -> Option<&'static Owner> {
    static CURRENT: OnceLock<Option<Owner>> = OnceLock::new();
    CURRENT
        .get_or_init(|| {
            let pid = std::process::id();
            if let Some(start) = linux_start(pid) {
                return Some(Owner { pid, start });
            }
            match lock::hold() {
                Ok(path) => Some(Owner {
                    pid,
                    start: format!("{LOCK_PREFIX}{}", path.display()),
                }),
                Err(error) => {
                    tracing::warn!(%error, "cannot mark this process as a writer of the history; \
                        another Hearth starting meanwhile may label its unfinished answers interrupted");
                    None
                }
            }
        })
        .as_ref()
}

/// Whether the writer of a row may still write to it.
pub(crate) fn is_alive(pid: Option<i64>, start: Option<&str>) -> bool {
    let (Some(pid), Some(start)) = (pid, start) else {
        return false;
    };
    let Ok(pid) = u32::try_from(pid) else {
        return false;
    };
    if current().is_some_and(|me| me.pid == pid && me.start == start) {
        return true;
    }
    if let Some(mark) = start.strip_prefix(LINUX_PREFIX) {
        return linux_alive(pid, mark);
    }
    if let Some(path) = start.strip_prefix(LOCK_PREFIX) {
        return lock::alive(Path::new(path));
    }
    false
}

/// Labels the rows of `table` in state `live` whose owner is no longer alive, for the
/// start-up labelling of unfinished work: `set` is the SQL assignment list, with `?1`
/// the time now. Returns how many rows changed. `table` and `set` are the callers'
/// constants, never outside input.
pub(crate) fn mark_dead_owners(
    conn: &rusqlite::Connection,
    table: &str,
    live: &str,
    set: &str,
    now: i64,
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare(&format!(
        "SELECT DISTINCT owner_pid, owner_start FROM {table} WHERE state = ?1"
    ))?;
    let owners = stmt
        .query_map([live], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(Option<i64>, Option<String>)>>>()?;
    let update = format!(
        "UPDATE {table} SET {set} WHERE state = ?2 AND owner_pid IS ?3 AND owner_start IS ?4"
    );
    let mut marked = 0;
    for (pid, start) in owners {
        if !is_alive(pid, start.as_deref()) {
            marked += conn.execute(&update, rusqlite::params![now, live, pid, start])?;
        }
    }
    Ok(marked)
}

/// The owner columns' values for a row this process writes.
pub(crate) fn current_columns() -> (Option<i64>, Option<&'static str>) {
    match current() {
        Some(me) => (Some(me.pid.into()), Some(me.start.as_str())),
        None => (None, None),
    }
}

/// `<boot id>:<start time>` of a running process, on Linux; `None` elsewhere or when it
/// is gone.
#[cfg(target_os = "linux")]
pub(crate) fn linux_start(pid: u32) -> Option<String> {
    let (state, ticks) = linux_stat(pid).ok()??;
    (!exited(state)).then(|| format!("{LINUX_PREFIX}{}:{ticks}", boot_id()))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn linux_start(_pid: u32) -> Option<String> {
    None
}

#[cfg(target_os = "linux")]
fn linux_alive(pid: u32, mark: &str) -> bool {
    let Some((boot, ticks)) = mark.rsplit_once(':') else {
        return false;
    };
    if boot != boot_id() {
        return false;
    }
    match linux_stat(pid) {
        Ok(Some((state, now))) => !exited(state) && now.to_string() == ticks,
        Ok(None) => false,
        // Cannot tell (not "no such process"): leave the row for a later start.
        Err(_) => true,
    }
}

/// A Linux writer seen from another OS: the file was moved, its writer cannot be
/// writing here.
#[cfg(not(target_os = "linux"))]
fn linux_alive(_pid: u32, _mark: &str) -> bool {
    false
}

/// A zombie has exited (only its parent has not collected it yet); it writes no more.
#[cfg(target_os = "linux")]
fn exited(state: char) -> bool {
    matches!(state, 'Z' | 'X' | 'x')
}

/// State and start time (field 3 and 22) of `/proc/<pid>/stat`; `Ok(None)` when there is
/// no such process.
#[cfg(target_os = "linux")]
fn linux_stat(pid: u32) -> std::io::Result<Option<(char, u64)>> {
    let text = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // The process went away between finding its folder and reading it.
        Err(e) if e.raw_os_error() == Some(3) => return Ok(None), // ESRCH
        Err(e) => return Err(e),
    };
    // The command name (field 2) is in parentheses and may hold spaces and ')'.
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "unexpected /proc stat");
    let rest = &text[text.rfind(')').ok_or_else(bad)? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields
        .first()
        .and_then(|s| s.chars().next())
        .ok_or_else(bad)?;
    let ticks = fields
        .get(22 - 3)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok(Some((state, ticks)))
}

/// This boot's id: start times count from boot, so they are compared within one.
#[cfg(target_os = "linux")]
fn boot_id() -> &'static str {
    static BOOT: OnceLock<String> = OnceLock::new();
    BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    })
}

/// The lock-file lease, for platforms without `/proc`.
pub(crate) mod lock {
    use super::*;

    /// Held for the life of the process: the lock is released when it ends.
    static HELD: OnceLock<File> = OnceLock::new();

    /// Where the leases live: one folder per user, shared by every Hearth process.
    pub(crate) fn dir() -> PathBuf {
        std::env::temp_dir().join("hearth-writers")
    }

    /// Creates, locks and publishes this process's lock file; returns its path.
    pub(crate) fn hold() -> std::io::Result<PathBuf> {
        let (path, file) = create_locked(&dir())?;
        sweep(&dir(), &path);
        let _ = HELD.set(file);
        Ok(path)
    }

    /// A new lock file in `dir`, locked. It is locked under a temporary name and only
    /// then given its final one, so a sweep by another process never removes a lease
    /// that is being made.
    pub(crate) fn create_locked(dir: &Path) -> std::io::Result<(PathBuf, File)> {
        std::fs::create_dir_all(dir)?;
        let name = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let making = dir.join(format!("{name}.making"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&making)?;
        file.try_lock().map_err(std::io::Error::from)?;
        let path = dir.join(format!("{name}.lock"));
        std::fs::rename(&making, &path)?;
        Ok((std::path::absolute(&path)?, file))
    }

    /// Whether the process that made the lock file at `path` still holds it.
    pub(crate) fn alive(path: &Path) -> bool {
        let file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(_) => return true,
        };
        match file.try_lock() {
            Ok(()) => {
                // Its owner is gone: the lease is of no more use.
                let _ = std::fs::remove_file(path);
                false
            }
            // Held (or cannot tell): the owner may still write.
            Err(_) => true,
        }
    }

    /// Removes the leases of processes that have ended, so the folder does not grow.
    fn sweep(dir: &Path, mine: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "lock") && path.file_name() != mine.file_name()
            {
                alive(&path);
            }
        }
    }
}

/// For tests in this crate: makes every unfinished row look like one whose writer died
/// (or one from before writers were recorded), as if this process had crashed.
#[cfg(test)]
impl crate::store::Store {
    pub(crate) fn forget_writers(&self) {
        self.conn()
            .execute_batch(
                "UPDATE messages SET owner_pid = NULL, owner_start = NULL; \
                 UPDATE workflow_runs SET owner_pid = NULL, owner_start = NULL;",
            )
            .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    use super::*;
    use crate::{MessageState, NewConversation, NewMessage, RunState, Store};

    /// Set in the child started by the test below: the folder for its lock-file lease.
    const CHILD_ENV: &str = "HEARTH_STORE_OWNER_CHILD";
    const CHILD_TEST: &str = "owner::tests::child_reports_its_lease_and_holds_it";
    const OWNER_LINE: &str = "HEARTH-OWNER";
    const LOCK_LINE: &str = "HEARTH-LOCK";

    /// In a child started by the test below: prints its lease (and a lock-file lease,
    /// the other platforms' kind) and holds them until its stdin closes. Run directly,
    /// it checks that this process has a lease and counts as alive.
    #[test]
    fn child_reports_its_lease_and_holds_it() {
        let me = current().expect("this platform can mark a writer");
        assert!(is_alive(Some(me.pid.into()), Some(&me.start)));
        let Some(dir) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        let (lock_path, _held) = lock::create_locked(Path::new(&dir)).unwrap();
        println!("{OWNER_LINE} {} {}", me.pid, me.start);
        println!("{LOCK_LINE} {LOCK_PREFIX}{}", lock_path.display());
        let mut rest = Vec::new();
        std::io::stdin().read_to_end(&mut rest).unwrap();
    }

    /// The same process id with another start: a process that reused the id.
    fn other_start(start: &str) -> String {
        match start
            .strip_prefix(LINUX_PREFIX)
            .and_then(|mark| mark.rsplit_once(':'))
        {
            Some((boot, ticks)) => {
                let ticks: u64 = ticks.parse().unwrap();
                format!("{LINUX_PREFIX}{boot}:{}", ticks + 1)
            }
            None => format!("{start}.reused"),
        }
    }

    /// Only rows whose writer has died are labelled: a row of a live child process is
    /// not (nor one of this process), one whose process id has another start time is,
    /// one without owner is, and the child's row is once the child has exited. The
    /// same for workflow runs, and for the lock-file leases of other platforms.
    #[test]
    fn only_rows_of_dead_writers_are_marked_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("history.db")).unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path().join("locks"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut child_start = None;
        let mut child_lock = None;
        while child_start.is_none() || child_lock.is_none() {
            let line = lines
                .next()
                .expect("the child reported its lease; see its output above")
                .unwrap();
            // The harness may print the test's name on the same line first.
            let after = |tag: &str| line.find(tag).map(|at| line[at + tag.len()..].trim());
            if let Some(rest) = after(OWNER_LINE) {
                let (pid, start) = rest.split_once(' ').unwrap();
                assert_eq!(pid.parse::<u32>().unwrap(), child.id());
                child_start = Some(start.to_owned());
            } else if let Some(rest) = after(LOCK_LINE) {
                child_lock = Some(rest.to_owned());
            }
        }
        let (child_start, child_lock) = (child_start.unwrap(), child_lock.unwrap());
        let child_pid = i64::from(child.id());
        #[cfg(target_os = "linux")]
        assert_eq!(
            linux_start(child.id()).as_deref(),
            Some(child_start.as_str()),
            "this process sees the child's start as the child does"
        );

        let c = store
            .create_conversation(NewConversation::default())
            .unwrap();
        let q = store
            .add_message(&c.id, NewMessage::user(None, "q"))
            .unwrap();
        let answer = || {
            store
                .add_message(
                    &c.id,
                    NewMessage::assistant_streaming(Some(q.id.clone()), None),
                )
                .unwrap()
                .id
        };
        let run = || {
            store
                .start_workflow_run("w", &serde_json::json!({}), "x")
                .unwrap()
        };
        let owners: [(&str, Option<i64>, Option<String>); 5] = [
            ("mine", None, None), // as written: this process
            ("child", Some(child_pid), Some(child_start.clone())),
            ("child lock", Some(child_pid), Some(child_lock.clone())),
            ("reused", Some(child_pid), Some(other_start(&child_start))),
            ("none", None, None),
        ];
        let mut rows = Vec::new();
        for (name, pid, start) in &owners {
            let (m, r) = (answer(), run());
            if *name != "mine" {
                let conn = store.conn();
                for table in ["messages", "workflow_runs"] {
                    let id = if table == "messages" {
                        m.as_str()
                    } else {
                        r.as_str()
                    };
                    conn.execute(
                        &format!(
                            "UPDATE {table} SET owner_pid = ?2, owner_start = ?3 WHERE id = ?1"
                        ),
                        rusqlite::params![id, pid, start],
                    )
                    .unwrap();
                }
            }
            rows.push((*name, m, r));
        }
        let states = || -> Vec<(&str, MessageState, RunState)> {
            rows.iter()
                .map(|(name, m, r)| {
                    (
                        *name,
                        store.message(m).unwrap().state,
                        store.workflow_run(r).unwrap().state,
                    )
                })
                .collect()
        };
        use MessageState::{Interrupted as Cut, Streaming};
        use RunState::{Interrupted as RunCut, Running};

        assert_eq!(store.mark_interrupted().unwrap(), 2);
        assert_eq!(store.mark_runs_interrupted().unwrap(), 2);
        assert_eq!(
            states(),
            [
                ("mine", Streaming, Running),
                ("child", Streaming, Running),
                ("child lock", Streaming, Running),
                ("reused", Cut, RunCut),
                ("none", Cut, RunCut),
            ]
        );
        // Another store on the same file in this process: the same process, alive.
        let again = Store::open(dir.path().join("history.db")).unwrap();
        assert_eq!(again.mark_interrupted().unwrap(), 0);
        assert_eq!(again.mark_runs_interrupted().unwrap(), 0);
        // The live writers' checkpoints keep working.
        for (_, m, r) in &rows[..3] {
            store
                .checkpoint_message(m, "still going", MessageState::Streaming)
                .unwrap();
            store
                .update_workflow_run(r, &[serde_json::json!(1)], RunState::Running, None)
                .unwrap();
        }

        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        assert_eq!(store.mark_interrupted().unwrap(), 2);
        assert_eq!(store.mark_runs_interrupted().unwrap(), 2);
        assert_eq!(
            states(),
            [
                ("mine", Streaming, Running),
                ("child", Cut, RunCut),
                ("child lock", Cut, RunCut),
                ("reused", Cut, RunCut),
                ("none", Cut, RunCut),
            ]
        );
        assert_eq!(store.message(&rows[1].1).unwrap().content, "still going");
        assert!(
            !Path::new(child_lock.strip_prefix(LOCK_PREFIX).unwrap()).exists(),
            "the dead child's lock file was cleaned up"
        );
        // Rows from before owners existed, as a crash of this process: labelled.
        store.forget_writers();
        assert_eq!(store.mark_interrupted().unwrap(), 1);
        assert_eq!(store.mark_runs_interrupted().unwrap(), 1);
    }

    #[test]
    fn this_process_is_alive_and_a_changed_start_is_not() {
        let me = current().expect("this platform can mark a writer");
        assert!(is_alive(Some(me.pid.into()), Some(&me.start)));
        assert!(!is_alive(
            Some(me.pid.into()),
            Some(&format!("{}9", me.start))
        ));
        assert!(!is_alive(None, None));
        assert!(!is_alive(Some(me.pid.into()), None));
        assert!(!is_alive(Some(-1), Some(&me.start)));
        assert!(!is_alive(
            Some(me.pid.into()),
            Some("from a future version")
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_the_start_comes_from_proc() {
        let me = current().unwrap();
        assert_eq!(linux_start(me.pid).as_deref(), Some(me.start.as_str()));
        assert!(me.start.starts_with(LINUX_PREFIX));
        // Another boot: the same process id and start time belong to someone else.
        let (_, ticks) = me.start.rsplit_once(':').unwrap();
        assert!(!is_alive(
            Some(me.pid.into()),
            Some(&format!("{LINUX_PREFIX}another-boot:{ticks}"))
        ));
    }

    /// The lock mechanism, which other platforms use, works here too: a held lock is
    /// alive, a released one is not and its file is cleaned up, a missing one is not.
    #[test]
    fn a_lock_file_lease_is_alive_while_held() {
        let dir = tempfile::tempdir().unwrap();
        let (path, file) = lock::create_locked(dir.path()).unwrap();
        assert!(path.is_absolute());
        let start = format!("{LOCK_PREFIX}{}", path.display());
        assert!(is_alive(Some(1), Some(&start)));
        drop(file);
        assert!(!is_alive(Some(1), Some(&start)));
        assert!(!path.exists(), "the dead lease was removed");
        assert!(!is_alive(Some(1), Some(&start)));
    }
}

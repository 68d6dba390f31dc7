//! Crash durability: a writer process is killed with SIGKILL at many different moments
//! while it streams an answer, and every write it reported as committed must be in the
//! database afterwards, which must be intact.
//!
//! The writer is this same test binary, re-run with `--exact` on the writer test and an
//! environment variable naming the database. It prints a line after each call that
//! committed; the parent reads those lines and kills it after a varying number of them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use hearth_store::{
    ConversationId, MessageFinish, MessageId, MessageState, NewConversation, NewMessage, Store,
};

/// Set in the child: the database it writes to until it is killed.
const WRITER_ENV: &str = "HEARTH_STORE_CRASH_WRITER_DB";
/// The test the child runs.
const WRITER_TEST: &str = "writer_reports_only_committed_writes";
/// Starts every report line, so the harness's own output is ignored.
const PREFIX: &str = "HEARTH-COMMITTED";
/// Checkpoints per answer.
const STEPS: usize = 40;
/// Characters added per checkpoint.
const STEP_CHARS: usize = 7;
/// Kill runs.
const RUNS: usize = 24;
/// How long the parent waits for the child to report anything before calling it stuck. A
/// failure detector only: nothing asserts how long anything took.
const STUCK: Duration = Duration::from_secs(120);

/// The answer's text after `chars` characters: mixed scripts, so that a checkpoint cut in
/// the middle of a multi-byte character would show.
fn answer_text(chars: usize) -> String {
    const WORDS: [&str; 6] = ["alpha ", "café ", "日本語 ", "κόσμε ", "🙂 ", "zeta\n"];
    WORDS
        .iter()
        .flat_map(|w| w.chars())
        .cycle()
        .take(chars)
        .collect()
}

/// Writes conversations with streaming answers and reports each commit on `out`. Runs
/// `rounds` conversations, or forever when `None`.
fn write_history(path: &Path, rounds: Option<usize>, out: &mut dyn Write) {
    let store = Store::open(path).unwrap();
    let mut report = |line: String| {
        writeln!(out, "{PREFIX} {line}").unwrap();
        out.flush().unwrap();
    };
    let mut round = 0;
    while rounds.is_none_or(|n| round < n) {
        let c = store
            .create_conversation(NewConversation {
                title: Some(format!("round {round}")),
                ..Default::default()
            })
            .unwrap();
        report(format!("conversation {}", c.id));
        let q = store
            .add_message(&c.id, NewMessage::user(None, format!("question {round}")))
            .unwrap();
        report(format!("message {}", q.id));
        let a = store
            .add_message(
                &c.id,
                NewMessage::assistant_streaming(Some(q.id.clone()), None),
            )
            .unwrap();
        report(format!("message {}", a.id));
        for step in 1..=STEPS {
            let chars = step * STEP_CHARS;
            store
                .checkpoint_message(&a.id, &answer_text(chars), MessageState::Streaming)
                .unwrap();
            report(format!("checkpoint {} {chars}", a.id));
            std::thread::sleep(Duration::from_millis((step % 3) as u64));
        }
        let chars = (STEPS + 1) * STEP_CHARS;
        store
            .finish_message(
                &a.id,
                &MessageFinish {
                    content: answer_text(chars),
                    state: MessageState::Done,
                    error: None,
                    token_count: Some(chars as u32),
                    reasoning: None,
                    reasoning_ms: None,
                },
            )
            .unwrap();
        report(format!("finished {} {chars}", a.id));
        round += 1;
    }
}

/// What the writer reported.
#[derive(Default)]
struct Reports {
    /// Report lines read.
    lines: usize,
    conversations: Vec<ConversationId>,
    messages: Vec<MessageId>,
    /// The last checkpoint reported for each answer, in characters.
    checkpoints: HashMap<MessageId, usize>,
    finished: HashMap<MessageId, usize>,
}

impl Reports {
    fn read(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix(PREFIX) else {
            return;
        };
        self.lines += 1;
        let parts: Vec<&str> = rest.split_whitespace().collect();
        match parts.as_slice() {
            ["conversation", id] => self.conversations.push((*id).into()),
            ["message", id] => self.messages.push((*id).into()),
            ["checkpoint", id, chars] => {
                self.checkpoints
                    .insert((*id).into(), chars.parse().unwrap());
            }
            ["finished", id, chars] => {
                self.finished.insert((*id).into(), chars.parse().unwrap());
            }
            _ => panic!("unreadable report line {line:?}"),
        }
    }
}

/// Reopens the database as the app would after a crash and checks every reported write.
/// Returns how many answers were interrupted.
fn verify(path: &Path, reports: &Reports) -> usize {
    let store = Store::open(path).unwrap();
    store.check_integrity().unwrap();
    for id in &reports.conversations {
        store.conversation(id).unwrap();
    }
    for id in &reports.messages {
        store.message(id).unwrap();
    }
    let full = answer_text((STEPS + 1) * STEP_CHARS);
    let mut unfinished = Vec::new();
    for (id, &chars) in &reports.checkpoints {
        let m = store.message(id).unwrap();
        let reported = answer_text(chars);
        assert!(
            m.content.starts_with(&reported),
            "message {id} lost text: has {} chars, {chars} were reported committed",
            m.content.chars().count()
        );
        assert!(
            full.starts_with(&m.content),
            "message {id} has text never written"
        );
        if m.state == MessageState::Streaming {
            unfinished.push(id.clone());
        } else {
            // Finished, even if the kill came before the report of it.
            assert_eq!(m.state, MessageState::Done);
            assert_eq!(m.content, full);
        }
    }
    for (id, &chars) in &reports.finished {
        let m = store.message(id).unwrap();
        assert_eq!(m.state, MessageState::Done);
        assert_eq!(m.content, answer_text(chars));
    }

    let interrupted = store.mark_interrupted().unwrap();
    assert!(
        interrupted >= unfinished.len(),
        "{interrupted} < {}",
        unfinished.len()
    );
    for id in &unfinished {
        let m = store.message(id).unwrap();
        assert_eq!(m.state, MessageState::Interrupted);
        assert!(m.content.starts_with(&answer_text(reports.checkpoints[id])));
    }
    store.check_integrity().unwrap();
    interrupted
}

/// In a child started by the crash test, writes until killed. Run directly, it writes two
/// conversations and checks that everything it reported is there.
#[test]
fn writer_reports_only_committed_writes() {
    if let Ok(path) = std::env::var(WRITER_ENV) {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        write_history(Path::new(&path), None, &mut out);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut out = Vec::new();
    write_history(&path, Some(2), &mut out);
    let mut reports = Reports::default();
    for line in String::from_utf8(out).unwrap().lines() {
        reports.read(line);
    }
    assert_eq!(reports.conversations.len(), 2);
    assert_eq!(reports.finished.len(), 2);
    assert_eq!(verify(&path, &reports), 0);
}

#[test]
fn killed_writer_loses_nothing_it_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let exe = std::env::current_exe().unwrap();
    let lines_per_round = 3 + STEPS + 1;
    let mut total_interrupted = 0;
    let mut total_conversations = 0;

    for run in 0..RUNS {
        let mut child = Command::new(&exe)
            .args([WRITER_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(WRITER_ENV, &path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });

        // Kill after a different number of commits each run, so that kills land before
        // the first checkpoint, mid-stream, around the finish and in the next round; then
        // a varying pause moves the kill off the report boundary.
        let kill_after = 1 + (run * 17) % (lines_per_round + 12);
        let mut reports = Reports::default();
        let mut seen = 0;
        while seen < kill_after {
            let line = rx.recv_timeout(STUCK).unwrap_or_else(|_| {
                panic!("run {run}: the writer reported nothing; see its output above")
            });
            if line.starts_with(PREFIX) {
                seen += 1;
            }
            reports.read(&line);
        }
        std::thread::sleep(Duration::from_micros(((run * 7919) % 5000) as u64));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Lines the child printed before dying are still in the pipe.
        reader.join().unwrap();
        for line in rx.try_iter() {
            reports.read(&line);
        }

        total_conversations += reports.conversations.len();
        let interrupted = verify(&path, &reports);
        total_interrupted += interrupted;
        eprintln!(
            "run {run}: killed after {} reported commits, {interrupted} answer(s) cut mid-stream",
            reports.lines
        );
    }

    // The runs did exercise the crash path: some answers were cut mid-stream.
    assert!(total_interrupted > 0, "no run killed the writer mid-answer");
    let store = Store::open(&path).unwrap();
    let all = store.list_conversations(&Default::default()).unwrap();
    assert!(all.len() >= total_conversations);
}

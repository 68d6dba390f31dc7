//! The app's side: runs a document's OCR in a child process and hands back each page as
//! it is read, with cancellation. A child that dies (a crash in Tesseract or leptonica,
//! its memory limit) or that takes longer than [`PAGE_TIMEOUT`] over one page costs that
//! page: it is reported as failed and a fresh child reads the pages after it.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::worker::{process, Reply, Request};
use crate::{OcrError, PageText, Source};

/// Longest one page may take before its child is stopped; a 300-DPI page takes 1–5 s.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(300);

/// Address space the child may use: a 40-million-pixel page with Tesseract's buffers
/// fits many times over, a decompression bomb does not.
const CHILD_MEMORY_BYTES: u64 = 4 << 30;

/// How OCR runs: in a child (`program args…`, the app's own executable with
/// `ocr-worker`) or, for tests and tools, in this process.
#[derive(Debug, Clone)]
pub enum Runner {
    Child {
        program: PathBuf,
        args: Vec<OsString>,
    },
    InProcess,
}

/// A document to read.
pub struct Job<'a> {
    pub source: Source,
    pub bytes: &'a [u8],
    /// PDF pages (1-based) to read, in order.
    pub pages: Vec<u32>,
    pub languages: String,
    pub tessdata: PathBuf,
}

/// Reads the job's pages, calling `on_page` with each page's text or failure as it comes.
/// `cancelled` is polled several times a second; a fatal problem (no language data, not
/// a PDF) is the error.
pub fn run(
    runner: &Runner,
    job: &Job<'_>,
    on_page: &mut dyn FnMut(Result<PageText, OcrError>),
    cancelled: &dyn Fn() -> bool,
) -> Result<(), OcrError> {
    match runner {
        Runner::InProcess => run_in_process(job, on_page, cancelled),
        Runner::Child { program, args } => {
            let mut left: Vec<u32> = match job.source {
                Source::Pdf => job.pages.clone(),
                Source::Image => vec![1],
            };
            while !left.is_empty() {
                match run_child(program, args, job, &left, on_page, cancelled)? {
                    ChildEnd::Done => return Ok(()),
                    ChildEnd::Lost { page, reason } => {
                        on_page(Err(OcrError::Page { page, reason }));
                        left.retain(|p| *p > page);
                        if job.source == Source::Image {
                            return Ok(());
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

fn run_in_process(
    job: &Job<'_>,
    on_page: &mut dyn FnMut(Result<PageText, OcrError>),
    cancelled: &dyn Fn() -> bool,
) -> Result<(), OcrError> {
    let request = request(job, &job.pages);
    let mut fatal = None;
    process(&request, job.bytes.to_vec(), &mut |reply| {
        match reply {
            Reply::Page(p) => on_page(Ok(p)),
            Reply::Failed { page, reason } => on_page(Err(OcrError::Page { page, reason })),
            Reply::Fatal(e) => fatal = Some(e),
            Reply::Done => {}
        }
        !cancelled()
    });
    match fatal {
        Some(e) => Err(e),
        None if cancelled() => Err(OcrError::Cancelled),
        None => Ok(()),
    }
}

fn request(job: &Job<'_>, pages: &[u32]) -> Request {
    Request {
        source: job.source,
        pages: pages.to_vec(),
        languages: job.languages.clone(),
        tessdata: job.tessdata.clone(),
        bytes: job.bytes.len() as u64,
    }
}

enum ChildEnd {
    Done,
    /// The child stopped or was stopped while reading `page`.
    Lost {
        page: u32,
        reason: String,
    },
}

fn run_child(
    program: &PathBuf,
    args: &[OsString],
    job: &Job<'_>,
    pages: &[u32],
    on_page: &mut dyn FnMut(Result<PageText, OcrError>),
    cancelled: &dyn Fn() -> bool,
) -> Result<ChildEnd, OcrError> {
    let mut child = spawn(program, args)?;
    let replies = read_replies(&mut child);
    let mut stdin = child.stdin.take().ok_or_else(|| worker_error("no stdin"))?;
    let header =
        serde_json::to_string(&request(job, pages)).map_err(|e| worker_error(&e.to_string()))?;
    // Written from a thread: a large PDF fills the pipe before the child reads it all.
    let bytes = job.bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin
            .write_all(header.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.write_all(&bytes));
    });
    let mut next = 0usize;
    let mut page_started = Instant::now();
    let end = loop {
        if cancelled() {
            stop(&mut child);
            return Err(OcrError::Cancelled);
        }
        let current = pages.get(next).copied().unwrap_or(1);
        if page_started.elapsed() > PAGE_TIMEOUT {
            stop(&mut child);
            break ChildEnd::Lost {
                page: current,
                reason: format!(
                    "reading it took longer than {} minutes",
                    PAGE_TIMEOUT.as_secs() / 60
                ),
            };
        }
        match replies.recv_timeout(Duration::from_millis(100)) {
            Ok(Reply::Page(text)) => {
                next += 1;
                page_started = Instant::now();
                on_page(Ok(text));
            }
            Ok(Reply::Failed { page, reason }) => {
                next += 1;
                page_started = Instant::now();
                on_page(Err(OcrError::Page { page, reason }));
            }
            Ok(Reply::Fatal(e)) => {
                stop(&mut child);
                return Err(e);
            }
            Ok(Reply::Done) => break ChildEnd::Done,
            Err(RecvTimeoutError::Timeout) => {}
            // Every page answered: a child that dies before saying "done" lost nothing.
            Err(RecvTimeoutError::Disconnected) if next >= pages.len() => break ChildEnd::Done,
            Err(RecvTimeoutError::Disconnected) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                break ChildEnd::Lost {
                    page: current,
                    reason: format!("the OCR reader stopped while reading it ({status})"),
                };
            }
        }
    };
    let _ = writer.join();
    let _ = child.wait();
    Ok(end)
}

fn worker_error(reason: &str) -> OcrError {
    OcrError::Worker {
        reason: reason.to_string(),
    }
}

fn spawn(program: &PathBuf, args: &[OsString]) -> Result<Child, OcrError> {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // Tesseract writes notes about resolution and orientation to stderr.
        .stderr(Stdio::null())
        .env("OMP_THREAD_LIMIT", "1");
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id();
        // SAFETY: between fork and exec only async-signal-safe system calls are made
        // (prctl, setrlimit, getppid, _exit).
        unsafe {
            command.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                let limit = libc::rlimit {
                    rlim_cur: CHILD_MEMORY_BYTES,
                    rlim_max: CHILD_MEMORY_BYTES,
                };
                libc::setrlimit(libc::RLIMIT_AS, &limit);
                Ok(())
            });
        }
    }
    command.spawn().map_err(|e| OcrError::Worker {
        reason: format!("could not start {}: {e}", program.display()),
    })
}

/// The child's replies, parsed on a thread of their own; the channel closes when the
/// child's stdout does.
fn read_replies(child: &mut Child) -> Receiver<Reply> {
    let (tx, rx) = channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str::<Reply>(&line) {
                    Ok(reply) => {
                        if tx.send(reply).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
    }
    rx
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

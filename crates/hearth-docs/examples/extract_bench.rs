//! Extraction speed and memory: reads each file given (PDF, docx, epub, html, md, txt)
//! with hearth-docs and prints pages (PDF), blocks, text size, seconds, pages per second
//! and the process's peak resident memory so far (VmHWM, Linux).
//!
//!     cargo run --release -p hearth-docs --example extract_bench -- FILE... [--markdown]
//!
//! With --markdown the last file's Markdown goes to stdout as well. Run one file per
//! process when comparing peak memory, since the peak only grows.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut markdown = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--markdown" {
            markdown = true;
        } else {
            files.push(PathBuf::from(arg));
        }
    }
    if files.is_empty() {
        return Err("usage: extract_bench FILE... [--markdown]".into());
    }
    let limits = hearth_docs::Limits::default();
    println!(
        "{:<28} {:>6} {:>7} {:>10} {:>8} {:>9} {:>9}",
        "file", "pages", "blocks", "text KB", "seconds", "pages/s", "peak MB"
    );
    let mut last = None;
    for file in &files {
        let start = Instant::now();
        let result = hearth_docs::read_path(file, &limits);
        let secs = start.elapsed().as_secs_f64();
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match result {
            Ok(doc) => {
                let pages = doc.pages.unwrap_or(0);
                let rate = if pages > 0 {
                    format!("{:.1}", f64::from(pages) / secs)
                } else {
                    "-".into()
                };
                println!(
                    "{:<28} {:>6} {:>7} {:>10.1} {:>8.2} {:>9} {:>9.1}",
                    name,
                    pages,
                    doc.blocks.len(),
                    doc.text_len() as f64 / 1024.0,
                    secs,
                    rate,
                    peak_rss_mb().unwrap_or(f64::NAN)
                );
                for w in &doc.warnings {
                    println!("    warning: {w}");
                }
                last = Some(doc);
            }
            Err(e) => println!("{name:<28} error after {secs:.2}s: {e}"),
        }
    }
    if markdown {
        if let Some(doc) = last {
            print!("{}", doc.to_markdown());
        }
    }
    Ok(())
}

/// Peak resident set size of this process in MB, from /proc (Linux only).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

//! Prints what hearth-gguf reads from a GGUF file: the check result, the summary, the
//! memory estimate at a few context sizes, the metadata and a tensor-type tally.
//!
//! `cargo run --release -p hearth-gguf --example gguf_info -- FILE [N_CTX]`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use hearth_gguf::{available_memory, read_header, MemoryParams, MetadataValue};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: gguf_info FILE [N_CTX]");
        return ExitCode::from(2);
    };
    let n_ctx: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(4096);
    let file = match read_header(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "version {} alignment {} data at {} of {} bytes",
        file.version(),
        file.alignment(),
        file.data_offset(),
        file.file_len()
    );
    for (k, v) in file.metadata().iter() {
        let shown = match v {
            MetadataValue::Array(a) => format!(
                "array<{}> len {}{}",
                a.elem_type,
                a.len,
                if a.is_elided() { " (not kept)" } else { "" }
            ),
            MetadataValue::String(s) if s.len() > 80 => format!("string of {} bytes", s.len()),
            other => format!("{other:?}"),
        };
        println!("  {k} = {shown}");
    }
    let mut tally: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for t in file.tensors() {
        let e = tally.entry(t.ggml_type.name().to_string()).or_default();
        e.0 += 1;
        e.1 += t.n_bytes;
    }
    for (ty, (n, bytes)) in tally {
        println!("  {n:5} tensors of {ty:8} {bytes:>14} bytes");
    }
    println!("{:#?}", file.summary());
    let params = MemoryParams::with_context(n_ctx);
    let est = file.memory_estimate(&params);
    println!("{est:#?}");
    if let Some(avail) = available_memory() {
        println!("available {avail} bytes: {:?}", est.verdict(avail));
    }
    ExitCode::SUCCESS
}

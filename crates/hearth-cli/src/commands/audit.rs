//! `hearth audit ...`: the audit log of every generation.

use std::io::Write;

use hearth_core::Hearth;

use crate::args::AuditCommand;
use crate::exit;

pub fn run(command: AuditCommand) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        AuditCommand::Export { since, output } => match output {
            Some(path) => {
                // Built in memory and written atomically, so an interrupted export never
                // leaves a truncated file that looks complete.
                let mut bytes = Vec::new();
                let count = hearth.store().export_audit_jsonl(&mut bytes, since)?;
                hearth_core::library::write_atomically(&path, &bytes)?;
                eprintln!("exported {count} record(s) to {}", path.display());
            }
            None => {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                hearth.store().export_audit_jsonl(&mut out, since)?;
                out.flush()?;
            }
        },
    }
    Ok(exit::OK)
}

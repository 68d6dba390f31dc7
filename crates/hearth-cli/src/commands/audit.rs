//! `hearth audit ...`: the audit log of every generation — list it or export it, by
//! time, provider, purpose, or only what left the machine.

use std::io::Write;

use anyhow::bail;
use hearth_core::Hearth;
use hearth_store::{AuditFilter, AuditPurpose};

use crate::args::{AuditCommand, AuditFilterArgs};
use crate::exit;

pub fn run(command: AuditCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        AuditCommand::List { filter } => {
            let records = hearth.history().audit_records(&filter_from(filter)?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&records)?);
                return Ok(exit::OK);
            }
            if records.is_empty() {
                eprintln!("No generations recorded for this filter.");
            }
            for r in &records {
                let left = match r.sent_bytes {
                    Some(bytes) => {
                        let redacted: Vec<String> = r
                            .redactions
                            .iter()
                            .map(|(k, n)| format!("{n} {k}"))
                            .collect();
                        let redacted = if redacted.is_empty() {
                            "nothing redacted".to_owned()
                        } else {
                            format!("redacted {}", redacted.join(", "))
                        };
                        format!("sent {bytes} bytes to {}; {redacted}", r.provider)
                    }
                    None if r.provider == "local" => "stayed on this computer".to_owned(),
                    None => format!("nothing sent to {}", r.provider),
                };
                let outcome = match (&r.error, &r.stop_reason) {
                    (Some(error), _) => format!("failed: {error}"),
                    (None, Some(stop)) => stop.clone(),
                    _ => String::new(),
                };
                let model = match &r.adapter {
                    Some(adapter) => format!("{} + {adapter}", r.model),
                    None => r.model.clone(),
                };
                println!(
                    "{:<14} {:<16} {:<24} {left} [{outcome}]",
                    r.created_at,
                    r.purpose.as_str(),
                    model
                );
            }
        }
        AuditCommand::Export { filter, output } => {
            let filter = filter_from(filter)?;
            match output {
                Some(path) => {
                    // Built in memory and written atomically, so an interrupted export
                    // never leaves a truncated file that looks complete.
                    let mut bytes = Vec::new();
                    let count = hearth.history().export_audit_jsonl(&mut bytes, &filter)?;
                    hearth_core::library::write_atomically(&path, &bytes)?;
                    eprintln!("exported {count} record(s) to {}", path.display());
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut out = stdout.lock();
                    hearth.history().export_audit_jsonl(&mut out, &filter)?;
                    out.flush()?;
                }
            }
        }
    }
    Ok(exit::OK)
}

fn filter_from(args: AuditFilterArgs) -> anyhow::Result<AuditFilter> {
    let purpose = match args.purpose.as_deref() {
        None => None,
        Some(name) => {
            let purpose = AuditPurpose::parse(name);
            if purpose.as_str() != name {
                bail!("unknown purpose `{name}`; use answer, title, summary, run, document_summary, translation, api, document_answer, query_rewrite, workflow, generate, tool_call, grounding_check or other");
            }
            Some(purpose)
        }
    };
    Ok(AuditFilter {
        since: args.since,
        provider: args.provider,
        remote_only: args.remote,
        purpose,
    })
}

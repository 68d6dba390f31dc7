//! `hearth delete-everything`: the history, documents, vectors, workflow runs, saved
//! prompts, audit log, caches, logs and API keys, gone; models and settings stay. Asks
//! for the word "delete" unless `--yes`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use hearth_core::Hearth;

use crate::exit;

pub fn run(yes: bool, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("nothing was deleted; pass --yes to delete everything without a question");
        }
        eprint!(
            "This deletes every conversation, document collection, workflow run, saved \
             prompt, the audit log, caches, logs and API keys in {}.\nModels and settings \
             stay. Type delete to go on: ",
            hearth.paths().data.display()
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "delete" {
            eprintln!("Nothing was deleted.");
            return Ok(exit::ERROR);
        }
    }
    let deleted = hearth.delete_everything()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&deleted)?);
    } else {
        eprintln!(
            "Deleted {} conversations ({} messages), {} document collections, {} workflow \
             runs, {} audit records, {} cache and log files, and {} API keys.",
            deleted.history.conversations,
            deleted.history.messages,
            deleted.history.collections,
            deleted.history.workflow_runs,
            deleted.history.audit_records,
            deleted.files,
            deleted.keys
        );
    }
    Ok(exit::OK)
}

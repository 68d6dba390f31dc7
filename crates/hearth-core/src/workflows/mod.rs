//! Workflows: pipelines of steps (summarize, translate, classify, extract, a prompt,
//! generate data), each with its own model, local or remote, the output of one feeding
//! the next; run on a text, a file or a folder as a batch with progress and a results
//! table.
//!
//! A run is recorded in the database as it goes (the results so far after every item),
//! so a killed app keeps what was done and labels the run interrupted. An item that
//! fails (an unreadable file, an answer that does not follow the schema) is marked in
//! its row and the batch goes on; what stops the whole run (an unknown model, offline
//! mode with a remote step) is checked before the first item.

mod definition;
mod run;
mod step;

pub(crate) use definition::check_schema;
pub use definition::{builtin_workflows, Step, Task, Workflow, MAX_STEPS};
pub use run::{run_table, ItemResult, WorkflowInput, WorkflowProgress, WorkflowView, MAX_ITEMS};
pub use step::StepOutput;

//! Workflows, the prompt library and data generation for the Workflows page: list,
//! import, save and delete workflows; run one on texts, uploaded files or a folder on
//! this computer as server-sent events; read past runs and export their results as
//! CSV or JSON Lines; prompt templates; generate records to a JSON Schema.
//!
//! Runs and generation jobs stream like summaries: `started` (the job id, for
//! `POST /api/jobs/{id}/cancel`), `progress`, then `done` or `error`; closing the
//! stream cancels the job.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_core::documents::Cancellation;
use hearth_core::generate::GenerateRequest;
use hearth_core::prompts::{PromptTemplate, PromptView, RenderedPrompt};
use hearth_core::tabular::{table_string, TableFormat};
use hearth_core::workflows::{run_table, Workflow, WorkflowInput, WorkflowView};
use hearth_store::WorkflowRun;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::conversations::blocking;
use super::documents::Source;
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::json::ValidJson;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/workflows", tag = "workflows",
    responses((status = 200, body = Vec<Object>, description = "Built-in and saved workflows")),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<WorkflowView>>> {
    blocking(&state, |hearth| hearth.workflows())
        .await
        .map(Json)
}

/// A workflow with its TOML text, for showing and downloading.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowText {
    #[schema(value_type = Object)]
    pub workflow: Workflow,
    pub toml: String,
}

#[utoipa::path(get, path = "/api/workflows/{name}", tag = "workflows",
    params(("name" = String, Path)),
    responses((status = 200, body = WorkflowText), (status = 404, description = "No such workflow")),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<WorkflowText>> {
    let workflow = blocking(&state, move |hearth| workflow_named(hearth, &name)).await?;
    let toml = workflow.to_toml()?;
    Ok(Json(WorkflowText { workflow, toml }))
}

/// Only saved and built-in workflows by name: a path is never read from the API.
fn workflow_named(hearth: &hearth_core::Hearth, name: &str) -> hearth_core::Result<Workflow> {
    hearth
        .workflows()?
        .into_iter()
        .find(|view| view.workflow.name.eq_ignore_ascii_case(name.trim()))
        .map(|view| view.workflow)
        .ok_or_else(|| hearth_core::CoreError::UnknownWorkflow { name: name.into() })
}

/// A workflow file's text (TOML or JSON), to check and show before saving.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseBody {
    pub text: String,
}

#[utoipa::path(post, path = "/api/workflows/parse", tag = "workflows", request_body = ParseBody,
    responses((status = 200, body = WorkflowText), (status = 400, description = "INVALID_WORKFLOW with what is wrong")),
    security(("bearer" = [])))]
pub async fn parse(ValidJson(body): ValidJson<ParseBody>) -> ApiResult<Json<WorkflowText>> {
    let workflow = Workflow::parse(&body.text, false)?;
    let toml = workflow.to_toml()?;
    Ok(Json(WorkflowText { workflow, toml }))
}

/// What a workflow may hold, as the server enforces it: the editor asks rather than
/// keeping copies of the numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowLimits {
    pub max_steps: usize,
    /// Items (texts, files) one run takes.
    pub max_items: usize,
    /// Records one generate job (or a `rows` step) makes.
    pub max_records: usize,
}

#[utoipa::path(get, path = "/api/workflow-limits", tag = "workflows",
    responses((status = 200, body = WorkflowLimits)), security(("bearer" = [])))]
pub async fn limits() -> Json<WorkflowLimits> {
    Json(WorkflowLimits {
        max_steps: hearth_core::workflows::MAX_STEPS,
        max_items: hearth_core::workflows::MAX_ITEMS,
        max_records: hearth_core::generate::MAX_RECORDS,
    })
}

/// What is wrong with a workflow, by the rules saving and running apply; empty when
/// nothing is.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowCheck {
    pub problems: Vec<String>,
}

/// Checks a workflow without saving or running it: the editor's check, every problem
/// at once, by the same rules (`Workflow::problems`) that saving and running apply. (Beside `/api/workflows/{name}`, not
/// under it, so no workflow's name is shadowed.)
#[utoipa::path(post, path = "/api/workflow-check", tag = "workflows", request_body = Object,
    responses((status = 200, body = WorkflowCheck), (status = 400, description = "Not a workflow at all (a field of the wrong type)")),
    security(("bearer" = [])))]
pub async fn check(ValidJson(workflow): ValidJson<Workflow>) -> Json<WorkflowCheck> {
    Json(WorkflowCheck {
        problems: workflow.problems(),
    })
}

#[utoipa::path(put, path = "/api/workflows/{name}", tag = "workflows",
    params(("name" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 400, description = "INVALID_WORKFLOW with the step at fault")),
    security(("bearer" = [])))]
pub async fn save(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(mut workflow): ValidJson<Workflow>,
) -> ApiResult<Json<WorkflowView>> {
    workflow.name = name;
    blocking(&state, move |hearth| hearth.save_workflow(&workflow))
        .await
        .map(Json)
}

#[utoipa::path(delete, path = "/api/workflows/{name}", tag = "workflows",
    params(("name" = String, Path)),
    responses((status = 204), (status = 400, description = "A built-in workflow"), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| hearth.delete_workflow(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What to run and on what.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// A saved or built-in workflow's name…
    pub name: Option<String>,
    /// …or a workflow given whole (a draft from the editor).
    #[schema(value_type = Option<Object>)]
    pub workflow: Option<Workflow>,
    /// The items: texts, uploaded files, or files and folders on this computer (`path`).
    pub inputs: Vec<RunInput>,
}

/// One input of a run: a text with a name for its row, an uploaded file (its name's
/// extension picks the reader), or a file or folder on this computer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    pub name: Option<String>,
    pub text: Option<String>,
    pub data_base64: Option<String>,
    /// A document or a folder on this computer: refused with `PATHS_DISABLED` unless the
    /// server was started with `--allow-paths`.
    pub path: Option<String>,
}

impl RunInput {
    /// A 400 naming the field at fault, before the stream starts; a path unless this
    /// server reads paths (and then one that does not name a document or a folder).
    fn check(&self, state: &AppState) -> ApiResult<Option<std::path::PathBuf>> {
        let given = [
            self.text.is_some(),
            self.data_base64.is_some(),
            self.path.is_some(),
        ];
        match given.iter().filter(|g| **g).count() {
            1 => {}
            0 => {
                return Err(ApiError::invalid(
                    "inputs",
                    "each input needs `text`, `data_base64` (with its `name`) or `path`",
                ))
            }
            _ => {
                return Err(ApiError::invalid(
                    "inputs",
                    "give each input one of `text`, `data_base64` or `path`",
                ))
            }
        }
        if self.text.as_ref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ApiError::invalid("inputs", "an input text is empty"));
        }
        if let Some(path) = &self.path {
            return state.path_input("inputs", path).map(Some);
        }
        match self.data_base64 {
            Some(_) => self.upload().check(state),
            None => Ok(None),
        }
    }

    fn upload(&self) -> Source {
        Source {
            name: self.name.clone(),
            data_base64: self.data_base64.clone(),
            ..Source::default()
        }
    }

    /// A path stays a path (`file`, as checked; a folder's files are the items); text
    /// and uploads become a named text.
    fn input(
        &self,
        file: Option<std::path::PathBuf>,
        hearth: &hearth_core::Hearth,
    ) -> ApiResult<WorkflowInput> {
        if let Some(path) = file {
            return Ok(WorkflowInput::Path(path));
        }
        let name = self.name.clone().unwrap_or_else(|| "text".into());
        let text = match &self.text {
            Some(text) => text.clone(),
            None => self.upload().read(None, hearth)?.to_markdown(),
        };
        Ok(WorkflowInput::Text { name, text })
    }
}

#[utoipa::path(post, path = "/api/workflows/run", tag = "workflows", request_body = RunBody,
    responses((status = 200, description = "Server-sent events: started {job_id}, progress (started {run_id, items, steps} | step | step_done {output} | item_done {result}), done {run, columns, rows} or error", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn run(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<RunBody>,
) -> ApiResult<Response> {
    if body.inputs.is_empty() {
        return Err(ApiError::invalid(
            "inputs",
            "give at least one text, file or folder",
        ));
    }
    let mut files = Vec::with_capacity(body.inputs.len());
    for input in &body.inputs {
        files.push(input.check(&state)?);
    }
    let workflow = match (body.name, body.workflow) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "workflow",
                "send either `name` or `workflow`, not both",
            ))
        }
        (Some(name), None) => blocking(&state, move |hearth| workflow_named(hearth, &name)).await?,
        (None, Some(workflow)) => {
            workflow.check()?;
            workflow
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "name",
                "name a workflow, or send one as `workflow`",
            ))
        }
    };
    let (sender, receiver) = events::channel();
    let cancel = Cancellation::new();
    let job_id = format!("workflow-{}", uuid::Uuid::new_v4().simple());
    let token = cancel.clone();
    let job = state.jobs.register(job_id.clone(), move || token.cancel());
    sender.send("started", json!({ "job_id": job_id }));
    let hearth = state.hearth.clone();
    crate::pool::spawn_blocking(move || {
        let result = body
            .inputs
            .iter()
            .zip(files)
            .map(|(input, file)| input.input(file, &hearth))
            .collect::<ApiResult<Vec<_>>>()
            .and_then(|inputs| {
                let progress = sender.clone();
                hearth
                    .run_workflow(
                        &workflow,
                        &inputs,
                        &mut |p| progress.send("progress", &p),
                        &cancel,
                    )
                    .map_err(ApiError::from)
            });
        match result {
            Ok(run) => sender.send("done", run_view(run)),
            Err(error) => sender.error(&error),
        }
    });
    Ok(events::respond(receiver, Some(job)).into_response())
}

/// A run with its results as a table.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    #[schema(value_type = Object)]
    pub run: WorkflowRun,
    pub columns: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
}

fn run_view(run: WorkflowRun) -> RunView {
    let (columns, rows) = run_table(&run);
    RunView { run, columns, rows }
}

#[utoipa::path(get, path = "/api/workflow-runs", tag = "workflows",
    responses((status = 200, body = Vec<Object>, description = "The last 100 runs, newest first")),
    security(("bearer" = [])))]
pub async fn runs(State(state): State<AppState>) -> ApiResult<Json<Vec<WorkflowRun>>> {
    blocking(&state, |hearth| hearth.workflow_runs(100))
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/api/workflow-runs/{id}", tag = "workflows",
    params(("id" = String, Path)),
    responses((status = 200, body = RunView), (status = 404)),
    security(("bearer" = [])))]
pub async fn show_run(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    let run = blocking(&state, move |hearth| hearth.workflow_run(&id)).await?;
    Ok(Json(run_view(run)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `csv` or `jsonl` (the default).
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/workflow-runs/{id}/export", tag = "workflows",
    params(("id" = String, Path), ExportQuery),
    responses((status = 200, description = "The results table as CSV or JSON Lines"), (status = 404)),
    security(("bearer" = [])))]
pub async fn export_run(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let run = blocking(&state, move |hearth| hearth.workflow_run(&id)).await?;
    let format = TableFormat::for_name(query.format.as_deref().unwrap_or("jsonl"));
    let (columns, rows) = run_table(&run);
    let body = table_string(&rows, Some(&columns), format)?;
    Ok(download(
        body,
        format,
        &format!("{}-{}", run.workflow, &run.id[..8.min(run.id.len())]),
    ))
}

/// A table as a file download.
fn download(body: String, format: TableFormat, stem: &str) -> Response {
    let content_type = match format {
        TableFormat::Csv => "text/csv; charset=utf-8",
        TableFormat::Jsonl => "application/jsonl; charset=utf-8",
    };
    let file: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.{}\"", format.extension()),
            ),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(delete, path = "/api/workflow-runs/{id}", tag = "workflows",
    params(("id" = String, Path)), responses((status = 204), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_run(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| hearth.delete_workflow_run(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/prompts", tag = "workflows",
    responses((status = 200, body = Vec<Object>, description = "Built-in and saved templates with their variables")),
    security(("bearer" = [])))]
pub async fn prompts(State(state): State<AppState>) -> ApiResult<Json<Vec<PromptView>>> {
    blocking(&state, |hearth| hearth.prompts()).await.map(Json)
}

/// A template; the name is in the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptBody {
    #[serde(default)]
    pub description: String,
    pub body: String,
    pub system: Option<String>,
}

#[utoipa::path(put, path = "/api/prompts/{name}", tag = "workflows",
    params(("name" = String, Path)), request_body = PromptBody,
    responses((status = 200, body = Object), (status = 400, description = "INVALID_PROMPT")),
    security(("bearer" = [])))]
pub async fn save_prompt(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<PromptBody>,
) -> ApiResult<Json<PromptView>> {
    let template = PromptTemplate {
        name,
        description: body.description,
        body: body.body,
        system: body.system.filter(|s| !s.trim().is_empty()),
    };
    blocking(&state, move |hearth| hearth.save_prompt(&template))
        .await
        .map(Json)
}

#[utoipa::path(delete, path = "/api/prompts/{name}", tag = "workflows",
    params(("name" = String, Path)), responses((status = 204), (status = 400), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_prompt(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| hearth.delete_prompt(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The variables' values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderBody {
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/api/prompts/{name}/render", tag = "workflows",
    params(("name" = String, Path)), request_body = RenderBody,
    responses((status = 200, body = Object, description = "{ system, text }"), (status = 400, description = "MISSING_VARIABLES naming them")),
    security(("bearer" = [])))]
pub async fn render_prompt(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<RenderBody>,
) -> ApiResult<Json<RenderedPrompt>> {
    blocking(&state, move |hearth| {
        hearth.render_prompt(&name, &body.variables)
    })
    .await
    .map(Json)
}

/// Records to generate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// The JSON Schema of one record (an object).
    #[schema(value_type = Object)]
    pub schema: serde_json::Value,
    pub count: usize,
    pub instructions: Option<String>,
    /// A document to draw the records from.
    pub source: Option<Source>,
    pub seed: Option<u32>,
    pub temperature: Option<f32>,
    pub model: Option<String>,
}

#[utoipa::path(post, path = "/api/generate", tag = "workflows", request_body = GenerateBody,
    responses((status = 200, description = "Server-sent events: started {job_id}, progress {kept, wanted, attempts}, done {data, jsonl, csv} or error", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn generate(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<GenerateBody>,
) -> ApiResult<Response> {
    let file = match &body.source {
        Some(source) => source.check(&state)?,
        None => None,
    };
    let mut request = GenerateRequest {
        schema: body.schema,
        count: body.count,
        instructions: body.instructions,
        source: None,
        seed: body.seed,
        temperature: body.temperature,
        max_tokens: None,
    };
    request.check()?;
    let (sender, receiver) = events::channel();
    let cancel = Cancellation::new();
    let job_id = format!("generate-{}", uuid::Uuid::new_v4().simple());
    let token = cancel.clone();
    let job = state.jobs.register(job_id.clone(), move || token.cancel());
    sender.send("started", json!({ "job_id": job_id }));
    let hearth = state.hearth.clone();
    crate::pool::spawn_blocking(move || {
        let result = (|| -> ApiResult<serde_json::Value> {
            if let Some(source) = &body.source {
                request.source = Some(source.read(file.as_deref(), &hearth)?.to_markdown());
            }
            let progress = sender.clone();
            let data = hearth.generate_records(
                body.model.as_deref(),
                &request,
                &mut |p| progress.send("progress", p),
                &cancel,
            )?;
            Ok(json!({
                "jsonl": table_string(&data.records, None, TableFormat::Jsonl)?,
                "csv": table_string(&data.records, None, TableFormat::Csv)?,
                "data": data,
            }))
        })();
        match result {
            Ok(done) => sender.send("done", done),
            Err(error) => sender.error(&error),
        }
    });
    Ok(events::respond(receiver, Some(job)).into_response())
}

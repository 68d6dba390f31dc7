//! Getting a model that can do the job: the catalog chat model recommended for this
//! computer's memory ([`crate::choice`]), downloaded from the hub the way `pull` does it
//! (resumable, size and SHA-256 checked) and made the default. When the hub cannot be
//! reached or the download fails, the current default stays and the outcome says why,
//! so a first run on an offline machine still ends with a working model.
//!
//! The default changes only once the file is complete, checked and in the library: an
//! interrupted or refused download never leaves a half-written model as the default,
//! and an interrupted one resumes on the next call (its partial file is kept).

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use hearth_models::{CatalogEntry, DownloadProgress, HubClient};
use serde::{Deserialize, Serialize};

use crate::choice::Recommendation;
use crate::error::{CoreError, Result};
use crate::hearth::Hearth;
use crate::library::ModelSource;
use crate::models::{ModelView, PullSource};

/// How long the hub may take to answer before it counts as unreachable. Short, because
/// on a machine without the hub (offline, firewalled) a person is waiting for a first
/// answer; the download itself is patient and retries.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`Hearth::install_recommended_model`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendedSetup {
    /// This computer's memory, as found.
    pub total_memory: Option<u64>,
    /// The catalog model recommended for it, and why.
    pub recommendation: Option<Recommendation>,
    /// Its catalog entry: what it is good at, where it comes from.
    pub entry: Option<CatalogEntry>,
    /// The hub asked (`HEARTH_HF_ENDPOINT`, or huggingface.co).
    pub hub: String,
    /// The default model before the call.
    pub previous_default: Option<ModelView>,
    /// The default model now: the recommended one when it was installed.
    pub default: Option<ModelView>,
    pub outcome: SetupOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SetupOutcome {
    /// Downloaded (or resumed), checked, added to the library and made the default.
    Installed,
    /// Already in the library from an earlier download; made the default without
    /// asking the hub.
    AlreadyInstalled,
    /// No catalog chat model fits this machine's memory, or the memory is unknown.
    NoRecommendation,
    /// The hub did not answer: offline, blocked, or too slow.
    HubUnreachable { code: String, reason: String },
    /// The hub answered but the model could not be had: refused, corrupted, no space.
    DownloadFailed { code: String, reason: String },
}

impl SetupOutcome {
    /// Whether the recommended model is now the default.
    pub fn installed(&self) -> bool {
        matches!(
            self,
            SetupOutcome::Installed | SetupOutcome::AlreadyInstalled
        )
    }
}

impl Hearth {
    /// Installs the catalog chat model recommended for this computer's memory and makes
    /// it the default; see the module documentation. `progress` is called during the
    /// download with the entry being downloaded.
    ///
    /// Only a cancelled download (raise `cancel`) is an error, [`CoreError::Models`]
    /// with `CANCELLED`; every other failure to get the model is an outcome, with the
    /// default left as it was.
    pub fn install_recommended_model(
        &self,
        cancel: &AtomicBool,
        mut progress: impl FnMut(&CatalogEntry, DownloadProgress),
    ) -> Result<RecommendedSetup> {
        let choices = self.model_choices()?;
        let client = HubClient::from_env();
        let previous_default = self.current_default()?;
        let mut setup = RecommendedSetup {
            total_memory: choices.total_memory,
            recommendation: choices.recommendation.clone(),
            entry: None,
            hub: client.endpoint().to_owned(),
            previous_default: previous_default.clone(),
            default: previous_default,
            outcome: SetupOutcome::NoRecommendation,
        };
        let Some(recommendation) = choices.recommendation else {
            return Ok(setup);
        };
        let entry = self
            .model_catalog()?
            .get(&recommendation.catalog_id)
            .cloned()
            .ok_or_else(|| CoreError::UnknownModel {
                name: recommendation.catalog_id.clone(),
            })?;
        setup.entry = Some(entry.clone());

        // An earlier download of it was checked when it finished: no need for the hub.
        if let Some(model) = self.downloaded_copy(&entry)? {
            self.set_default_model(&model.id)?;
            setup.default = self.current_default()?;
            setup.outcome = SetupOutcome::AlreadyInstalled;
            return Ok(setup);
        }

        let request = entry.download_request();
        let announced = match client.probe(&request, PROBE_TIMEOUT) {
            Ok(metadata) => metadata.sha256,
            Err(error) => {
                setup.outcome = failure(&CoreError::Models(error));
                return Ok(setup);
            }
        };
        // "Hash-checked" must hold for the model a person is told to trust; the hub
        // announces a SHA-256 for every file kept in LFS, which every GGUF is.
        let Some(announced) = announced else {
            setup.outcome = SetupOutcome::DownloadFailed {
                code: "NO_HASH".into(),
                reason: format!(
                    "the hub gave no sha256 for {} in {}, so the download could not be \
                     checked; try again later or pull it yourself with `hearth models pull`",
                    entry.file, entry.repo
                ),
            };
            return Ok(setup);
        };

        let pulled = self.pull_model(&PullSource::Catalog(entry.id.clone()), cancel, |p| {
            progress(&entry, p)
        });
        let model = match pulled {
            Ok(model) => model,
            Err(CoreError::Models(error @ hearth_models::ModelsError::Cancelled { .. })) => {
                return Err(error.into())
            }
            Err(error) => {
                setup.outcome = failure(&error);
                return Ok(setup);
            }
        };
        // The file is what the hub announced when asked first, not something swapped in
        // between the two requests.
        if let ModelSource::Downloaded { sha256, .. } = &model.source {
            if *sha256 != announced {
                self.remove_model(&model.id, true)?;
                setup.outcome = SetupOutcome::DownloadFailed {
                    code: "HASH_MISMATCH".into(),
                    reason: format!(
                        "{} changed on the hub during the download (sha256 {sha256}, first \
                         announced {announced}); it was deleted, try again",
                        entry.file
                    ),
                };
                return Ok(setup);
            }
        }
        self.set_default_model(&model.id)?;
        setup.default = self.current_default()?;
        setup.outcome = SetupOutcome::Installed;
        Ok(setup)
    }

    fn current_default(&self) -> Result<Option<ModelView>> {
        Ok(self.models()?.into_iter().find(|m| m.is_default))
    }

    /// A usable library model downloaded from `entry`'s repository and file.
    fn downloaded_copy(&self, entry: &CatalogEntry) -> Result<Option<ModelView>> {
        Ok(self.models()?.into_iter().find(|m| {
            matches!(&m.source, ModelSource::Downloaded { repo, file, .. }
                if *repo == entry.repo && *file == entry.file)
                && m.problem.is_none()
                && m.path.is_file()
        }))
    }
}

/// The outcome for an error on the way to the model: no answer at all means the hub is
/// unreachable; anything else is an answer that did not give us the model.
fn failure(error: &CoreError) -> SetupOutcome {
    let code = error.code().to_owned();
    let reason = error.to_string();
    if code == "NETWORK" {
        SetupOutcome::HubUnreachable { code, reason }
    } else {
        SetupOutcome::DownloadFailed { code, reason }
    }
}

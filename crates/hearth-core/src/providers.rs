//! Remote providers on the facade: connect one (with its key kept in the keyring),
//! list, remove, and offline mode. A remote model is named `PROVIDER:MODEL` wherever a
//! model is chosen, and runs behind the same `Engine` trait as a local one, so every
//! feature works with it and every generation through it is audited the same way.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hearth_llm::{ApiKey, Engine, RemoteEngine, RemoteSettings, RetryPolicy};
use serde::{Deserialize, Serialize};

use crate::config::ProviderConfig;
use crate::error::{CoreError, Result};
use crate::hearth::{poisoned, Hearth};
use crate::secrets::KeyPlace;

/// A provider as the settings screen shows it: its settings and where its key is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    #[serde(flatten)]
    pub config: ProviderConfig,
    pub base_url: String,
    /// Where its API key is kept; `None` when it has none (a local server may need none).
    pub key: Option<KeyPlace>,
}

/// A remote model named by a spec: its provider's settings and the model's name.
pub(crate) struct RemoteModel {
    pub provider: ProviderConfig,
    pub model: String,
}

impl RemoteModel {
    /// The key the loaded-models map holds it under; no file path looks like it.
    pub(crate) fn key(&self) -> PathBuf {
        PathBuf::from(format!("remote://{}/{}", self.provider.name, self.model))
    }
}

impl Hearth {
    /// Every connected provider.
    pub fn providers(&self) -> Vec<ProviderView> {
        self.config()
            .providers
            .into_iter()
            .map(|p| self.provider_view(p))
            .collect()
    }

    /// Connects a provider, or changes one of the same name; `key` (when given) is kept
    /// in the keyring. Models already loaded from it are dropped, so the next answer
    /// uses the new settings.
    pub fn save_provider(
        &self,
        provider: ProviderConfig,
        key: Option<ApiKey>,
    ) -> Result<ProviderView> {
        provider.check()?;
        if let Some(key) = &key {
            if key.expose().trim().is_empty() {
                return Err(CoreError::InvalidProvider {
                    reason: "the API key is empty".into(),
                });
            }
            self.secrets.set(&provider.name, key)?;
        }
        let saved = provider.clone();
        self.update_config(|config| {
            match config.providers.iter_mut().find(|p| p.name == saved.name) {
                Some(existing) => *existing = saved,
                None => config.providers.push(saved),
            }
        })?;
        self.drop_remote_engines(&provider.name)?;
        Ok(self.provider_view(provider))
    }

    /// Keeps a new API key for a provider.
    pub fn set_provider_key(&self, name: &str, key: ApiKey) -> Result<KeyPlace> {
        self.provider(name)?;
        if key.expose().trim().is_empty() {
            return Err(CoreError::InvalidProvider {
                reason: "the API key is empty".into(),
            });
        }
        let place = self.secrets.set(name, &key)?;
        self.drop_remote_engines(name)?;
        Ok(place)
    }

    /// Disconnects a provider and forgets its key.
    pub fn remove_provider(&self, name: &str) -> Result<()> {
        self.provider(name)?;
        self.secrets.delete(name)?;
        self.update_config(|config| config.providers.retain(|p| p.name != name))?;
        self.drop_remote_engines(name)
    }

    /// Turns offline mode on or off (saved in the settings). While on, every remote
    /// request fails before a connection is opened.
    pub fn set_offline(&self, offline: bool) -> Result<()> {
        self.update_config(|config| config.offline = offline)?;
        self.network.set_offline(offline);
        Ok(())
    }

    pub fn is_offline(&self) -> bool {
        self.network.is_offline()
    }

    fn provider(&self, name: &str) -> Result<ProviderConfig> {
        self.config()
            .providers
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| CoreError::UnknownProvider {
                name: name.to_owned(),
            })
    }

    fn provider_view(&self, config: ProviderConfig) -> ProviderView {
        ProviderView {
            base_url: config.base_url().to_owned(),
            key: self.secrets.place(&config.name),
            config,
        }
    }

    /// The remote model `spec` names (`PROVIDER:MODEL`, or a provider's name alone for
    /// its first listed model), if it names one.
    pub(crate) fn remote_model(&self, spec: &str) -> Result<Option<RemoteModel>> {
        let providers = self.config().providers;
        let (name, model) = match spec.split_once(':') {
            Some((name, model)) => (name, Some(model)),
            None => (spec, None),
        };
        let Some(provider) = providers.into_iter().find(|p| p.name == name) else {
            return Ok(None);
        };
        let model = match model.map(str::trim).filter(|m| !m.is_empty()) {
            Some(model) => model.to_owned(),
            None => provider.models.first().cloned().ok_or_else(|| CoreError::InvalidProvider {
                reason: format!(
                    "say which of {name}'s models to use, as `{name}:MODEL`, or list its models in the settings"
                ),
            })?,
        };
        Ok(Some(RemoteModel { provider, model }))
    }

    /// An engine for a remote model: nothing to load, only settings and the key.
    pub(crate) fn remote_engine(&self, remote: &RemoteModel) -> Result<Arc<dyn Engine>> {
        let settings = RemoteSettings {
            provider: remote.provider.name.clone(),
            protocol: remote.provider.kind,
            base_url: remote.provider.base_url().to_owned(),
            model: remote.model.clone(),
            api_key: self.secrets.get(&remote.provider.name)?,
            context_length: remote.provider.context_length,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(15),
        };
        Ok(Arc::new(RemoteEngine::new(settings, self.network.clone())?))
    }

    pub(crate) fn drop_remote_engines(&self, provider: &str) -> Result<()> {
        let prefix = format!("remote://{provider}/");
        self.engines
            .lock()
            .map_err(|_| poisoned())?
            .retain(|key, _| !key.to_string_lossy().starts_with(&prefix));
        Ok(())
    }
}

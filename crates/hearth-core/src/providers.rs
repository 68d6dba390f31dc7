//! Remote providers on the facade: connect one (with its key kept in the keyring),
//! list, remove, and offline mode. A remote model is named `PROVIDER:MODEL` wherever a
//! model is chosen, and runs behind the same `Engine` trait as a local one, so every
//! feature works with it and every generation through it is audited the same way.
//!
//! A key belongs to the origin (scheme, host, port) it was given for: saving a provider
//! at another origin deletes its key, and a key is never handed to an engine whose
//! address has another origin than the one kept with the key.

use std::sync::Arc;
use std::time::Duration;

use hearth_llm::{ApiKey, Engine, RemoteEngine, RemoteSettings, RetryPolicy};
use serde::{Deserialize, Serialize};

use crate::config::ProviderConfig;
use crate::error::{CoreError, Result};
use crate::hearth::Hearth;
use crate::secrets::KeyPlace;

/// A provider as the settings screen shows it: its settings and where its key is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    #[serde(flatten)]
    pub config: ProviderConfig,
    pub base_url: String,
    /// Where its API key is kept; `None` when it has none (a local server may need none).
    pub key: Option<KeyPlace>,
    /// Set in the answer to a save that moved the provider to another origin without
    /// giving a key: its key was deleted and must be set again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub key_removed: bool,
    /// Why the provider cannot be used as it is (an address refused, or a key set for
    /// another address: both only happen when config.toml is edited by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A remote model named by a spec: its provider's settings and the model's name.
pub(crate) struct RemoteModel {
    pub provider: ProviderConfig,
    pub model: String,
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
    /// in the keyring, bound to the origin of the provider's address. Without a key, a
    /// key kept for another origin is deleted (`key_removed` in the answer): it was
    /// given for the old address, not the new one. Models already loaded from it are
    /// dropped, so the next answer uses the new settings.
    pub fn save_provider(
        &self,
        provider: ProviderConfig,
        key: Option<ApiKey>,
    ) -> Result<ProviderView> {
        provider.check()?;
        let origin = provider.origin()?.to_string();
        let mut key_removed = false;
        match &key {
            Some(key) => {
                if key.expose().trim().is_empty() {
                    return Err(CoreError::InvalidProvider {
                        reason: "the API key is empty".into(),
                    });
                }
                self.secrets.set(&provider.name, key, &origin)?;
            }
            None => {
                // A key the keyring did not show just now stays, bound to its old
                // origin, so it is never sent to this one either.
                let kept = self.secrets.stored(&provider.name);
                if kept.is_some_and(|(_, kept)| kept.as_deref() != Some(origin.as_str())) {
                    self.secrets.delete(&provider.name)?;
                    key_removed = true;
                }
            }
        }
        let saved = provider.clone();
        self.update_config(|config| {
            match config.providers.iter_mut().find(|p| p.name == saved.name) {
                Some(existing) => *existing = saved,
                None => config.providers.push(saved),
            }
        })?;
        self.drop_remote_engines(&provider.name)?;
        if key_removed {
            tracing::info!(provider = %provider.name, %origin, "the address moved; its key was deleted");
        }
        Ok(ProviderView {
            key_removed,
            ..self.provider_view(provider)
        })
    }

    /// Keeps a new API key for a provider, to be sent to the origin of its address now.
    pub fn set_provider_key(&self, name: &str, key: ApiKey) -> Result<KeyPlace> {
        let origin = self.provider(name)?.origin()?.to_string();
        if key.expose().trim().is_empty() {
            return Err(CoreError::InvalidProvider {
                reason: "the API key is empty".into(),
            });
        }
        let place = self.secrets.set(name, &key, &origin)?;
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
        let stored = self.secrets.stored(&config.name);
        let problem = match config.origin().map(|o| o.to_string()) {
            Err(error) => Some(error.to_string()),
            Ok(origin) => stored
                .as_ref()
                .filter(|(_, kept)| kept.as_deref() != Some(origin.as_str()))
                .map(|(_, kept)| key_elsewhere(&config.name, kept.as_deref(), &origin).to_string()),
        };
        ProviderView {
            base_url: config.base_url().to_owned(),
            key: stored.map(|(place, _)| place),
            key_removed: false,
            problem,
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

    /// An engine for a remote model: nothing to load, only settings and the key, which
    /// it gets only when the key was given for the origin of the address in use.
    pub(crate) fn remote_engine(&self, remote: &RemoteModel) -> Result<Arc<dyn Engine>> {
        let name = &remote.provider.name;
        // config.toml may have been edited by hand since the provider was saved.
        let origin = remote.provider.origin()?.to_string();
        let api_key = match self.secrets.get(name)? {
            None => None,
            Some(kept) if kept.origin.as_deref() == Some(origin.as_str()) => Some(kept.key),
            Some(kept) => {
                tracing::warn!(provider = %name, %origin, key_origin = ?kept.origin, "a key for another address was not sent");
                return Err(key_elsewhere(name, kept.origin.as_deref(), &origin));
            }
        };
        let settings = RemoteSettings {
            provider: name.clone(),
            protocol: remote.provider.kind,
            base_url: remote.provider.base_url().to_owned(),
            model: remote.model.clone(),
            api_key,
            context_length: remote.provider.context_length,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(15),
        };
        Ok(Arc::new(RemoteEngine::new(settings, self.network.clone())?))
    }

    pub(crate) fn drop_remote_engines(&self, provider: &str) -> Result<()> {
        self.engines.drop_remote(provider)
    }
}

fn key_elsewhere(provider: &str, key_origin: Option<&str>, origin: &str) -> CoreError {
    CoreError::KeyForAnotherAddress {
        provider: provider.to_owned(),
        key_origin: key_origin
            .unwrap_or("an address this version of Hearth did not record")
            .to_owned(),
        origin: origin.to_owned(),
    }
}

//! Ollama: manifests at `manifests/<registry>/<namespace>/<model>/<tag>` name the blob
//! that holds the weights; the layer with media type `application/vnd.ollama.image.model`
//! has digest `sha256:<hex>`, stored as `blobs/sha256-<hex>` (a GGUF file without the
//! extension). Named `model:tag` for the official library, `namespace/model:tag` or
//! `registry/namespace/model:tag` otherwise, as `ollama list` shows them.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::walk::sorted_entries;
use super::{Collector, SourceApp};

const MODEL_LAYER: &str = "application/vnd.ollama.image.model";
const DEFAULT_REGISTRY: &str = "registry.ollama.ai";
const LIBRARY_NAMESPACE: &str = "library";
/// Manifests are a few hundred bytes; anything far larger is not one.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct Layer {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
}

pub(super) fn scan(root: &Path, found: &mut Collector) {
    let source = SourceApp::Ollama;
    let manifests = root.join("manifests");
    for registry in sorted_entries(&manifests, source, found) {
        for namespace in sorted_entries(&registry, source, found) {
            for model in sorted_entries(&namespace, source, found) {
                for tag in sorted_entries(&model, source, found) {
                    if !tag.is_file() {
                        continue;
                    }
                    let name = display_name(&[&registry, &namespace, &model, &tag]);
                    match blob_for(root, &tag) {
                        Ok(blob) if blob.exists() => found.add(source, name, blob),
                        Ok(blob) => found.skip(
                            source,
                            tag,
                            format!(
                                "its model blob {} is missing; run `ollama pull {name}` to fetch it again",
                                blob.display()
                            ),
                        ),
                        Err(reason) => found.skip(source, tag, reason),
                    }
                }
            }
        }
    }
}

/// The blob a manifest names as its model layer.
fn blob_for(root: &Path, manifest_path: &Path) -> Result<PathBuf, String> {
    let mut text = String::new();
    fs::File::open(manifest_path)
        .and_then(|file| file.take(MAX_MANIFEST_BYTES).read_to_string(&mut text))
        .map_err(|e| format!("cannot read this manifest: {e}"))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| format!("this manifest is not valid json: {e}"))?;
    let layer = manifest
        .layers
        .iter()
        .find(|layer| layer.media_type == MODEL_LAYER)
        .ok_or_else(|| "this manifest has no model layer".to_string())?;
    let hex = layer
        .digest
        .strip_prefix("sha256:")
        // The digest becomes part of a path: only plain hex may get that far.
        .filter(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("the model layer has an unusable digest '{}'", layer.digest))?;
    Ok(root.join("blobs").join(format!("sha256-{hex}")))
}

fn display_name(parts: &[&Path; 4]) -> String {
    let [registry, namespace, model, tag] = parts.map(|p| {
        p.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    if registry == DEFAULT_REGISTRY && namespace == LIBRARY_NAMESPACE {
        format!("{model}:{tag}")
    } else if registry == DEFAULT_REGISTRY {
        format!("{namespace}/{model}:{tag}")
    } else {
        format!("{registry}/{namespace}/{model}:{tag}")
    }
}

//! Jan: GGUF files anywhere below its model folders (`models/<id>/<file>.gguf` in old
//! versions, `llamacpp/models/<id>/model.gguf` in new ones), named by relative path.

use std::path::Path;

use super::walk::{gguf_files, relative_name};
use super::{Collector, SourceApp};

/// Deep enough for every layout Jan has used.
const MAX_DEPTH: usize = 6;

pub(super) fn scan(root: &Path, found: &mut Collector) {
    for file in gguf_files(root, MAX_DEPTH, SourceApp::Jan, found) {
        let name = relative_name(root, &file);
        found.add(SourceApp::Jan, name, file);
    }
}

//! LM Studio: `models/<publisher>/<repo>/<file>.gguf`, named `publisher/repo/file.gguf`.

use std::path::Path;

use super::walk::{gguf_files, relative_name};
use super::{Collector, SourceApp};

/// Publisher and repo folders, plus a little slack for files users arranged by hand.
const MAX_DEPTH: usize = 4;

pub(super) fn scan(root: &Path, found: &mut Collector) {
    for file in gguf_files(root, MAX_DEPTH, SourceApp::LmStudio, found) {
        let name = relative_name(root, &file);
        found.add(SourceApp::LmStudio, name, file);
    }
}

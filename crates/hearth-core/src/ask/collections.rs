//! Listing and removing collections and what they hold, on the facade. Removing a file
//! or folder takes its passages and vectors out of the database (wiped, like deleted
//! conversations); the files on disk are never touched.

use std::path::Path;

use hearth_store::{Collection, CollectionFile};

use crate::error::Result;
use crate::hearth::Hearth;

impl Hearth {
    /// Every collection, by name, with counts.
    pub fn collections(&self) -> Result<Vec<Collection>> {
        Ok(self.store.collections()?)
    }

    /// One collection by name or id.
    pub fn collection(&self, name: &str) -> Result<Collection> {
        Ok(self.store.collection(name)?)
    }

    /// A collection's files, with their state.
    pub fn collection_files(&self, name: &str) -> Result<Vec<CollectionFile>> {
        let collection = self.store.collection(name)?;
        Ok(self.store.collection_files(collection.id)?)
    }

    /// Deletes a collection's index (its files stay on disk).
    pub fn delete_collection(&self, name: &str) -> Result<()> {
        let collection = self.store.collection(name)?;
        self.store.delete_collection(collection.id)?;
        self.watch_hub.refresh(None);
        Ok(())
    }

    /// Takes a file or folder out of a collection: a source the user added is forgotten
    /// with every file under it; a single file found inside a source leaves the index
    /// (a rescan of its folder finds it again). Returns how many files left the index.
    pub fn remove_from_collection(&self, name: &str, path: &Path) -> Result<usize> {
        let collection = self.store.collection(name)?;
        let absolute = path
            .canonicalize()
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .into_owned();
        let given = path.to_string_lossy().into_owned();
        for candidate in [&absolute, &given] {
            if collection.sources.contains(candidate) {
                let removed = self
                    .store
                    .remove_collection_source(collection.id, candidate)?;
                self.watch_hub.refresh(None);
                return Ok(removed);
            }
        }
        for candidate in [&absolute, &given] {
            if self
                .store
                .remove_collection_file(collection.id, candidate)?
            {
                return Ok(1);
            }
        }
        Err(hearth_store::StoreError::NotFound {
            what: "file or folder in the collection",
            id: given,
        }
        .into())
    }
}

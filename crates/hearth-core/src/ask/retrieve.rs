//! Retrieval: the passages of a collection that best answer a question, from two
//! rankings fused by reciprocal rank fusion (RRF).
//!
//! The vector ranking finds passages that mean the same thing in other words; the BM25
//! ranking finds rare exact words (a function name, a part number) that an embedding
//! blurs. RRF adds `1 / (60 + rank)` from each ranking a passage appears in, so neither
//! ranking's scores need calibrating against the other's. Each passage also gets its
//! cosine similarity to the question, which decides "nothing relevant": a passage whose
//! meaning is far from the question is dropped even if it shares a common word.

use std::collections::HashMap;

use hearth_store::{Collection, Passage, PassageScope};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::hearth::Hearth;

/// The constant of reciprocal rank fusion (Cormack et al. 2009): large enough that the
/// first few ranks of one list do not drown the other list.
const RRF_K: f64 = 60.0;
/// Candidates taken from each ranking before fusing.
const CANDIDATES: usize = 50;
/// Below this cosine similarity a passage is not about the question (all-MiniLM-L6-v2:
/// unrelated English text scores about 0.0 to 0.15, passages that answer about 0.4+).
pub const DEFAULT_MIN_SIMILARITY: f32 = 0.25;

/// Which rankings to use (evaluation compares them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetrievalMode {
    #[default]
    Hybrid,
    Vector,
    Keyword,
}

/// What to search and how much to return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrievalOptions {
    /// Collection names or ids; empty means all.
    pub collections: Vec<String>,
    /// Only the file with this path (as listed by `docs ls`).
    pub file: Option<String>,
    pub limit: usize,
    pub mode: RetrievalMode,
    /// Passages less similar to the question than this are left out (0 keeps all).
    pub min_similarity: f32,
}

impl Default for RetrievalOptions {
    fn default() -> Self {
        Self {
            collections: Vec::new(),
            file: None,
            limit: 6,
            mode: RetrievalMode::Hybrid,
            min_similarity: DEFAULT_MIN_SIMILARITY,
        }
    }
}

/// A passage found for a question, with why it was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrievedPassage {
    #[serde(flatten)]
    pub passage: Passage,
    /// Cosine similarity to the question (absent in keyword-only mode).
    pub similarity: Option<f32>,
    /// 1-based rank in the vector ranking, if it was in it.
    pub vector_rank: Option<usize>,
    /// 1-based rank in the BM25 ranking, if it was in it.
    pub keyword_rank: Option<usize>,
    /// The fused score (higher is better).
    pub score: f64,
}

impl Hearth {
    /// The passages that best answer `question`, best first.
    pub fn retrieve(
        &self,
        question: &str,
        options: &RetrievalOptions,
    ) -> Result<Vec<RetrievedPassage>> {
        let collections = self.scope_collections(&options.collections)?;
        if collections.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = collections.iter().map(|c| c.id).collect();
        let file = match &options.file {
            Some(path) => Some(self.find_collection_file(&collections, path)?),
            None => None,
        };
        let scope = PassageScope {
            collections: ids,
            file,
        };
        // One query vector per embedding model among the collections.
        let mut by_model: HashMap<&str, Vec<i64>> = HashMap::new();
        for c in &collections {
            by_model.entry(&c.embedding_model).or_default().push(c.id);
        }
        let mut query_vectors: Vec<(Vec<i64>, Vec<f32>)> = Vec::new();
        if options.mode != RetrievalMode::Keyword {
            for (model, members) in by_model {
                let (_, embedder) = self.embedder(Some(model))?;
                let vector = embedder
                    .embed(&[question.to_owned()])?
                    .pop()
                    .map(|e| e.vector)
                    .unwrap_or_default();
                query_vectors.push((members, vector));
            }
        }

        let mut vector_hits: Vec<(i64, f32)> = Vec::new();
        for (members, vector) in &query_vectors {
            let group = PassageScope {
                collections: members.clone(),
                file: scope.file,
            };
            vector_hits.extend(self.store.nearest_passages(vector, CANDIDATES, &group)?);
        }
        vector_hits.sort_by(|a, b| a.1.total_cmp(&b.1));
        vector_hits.truncate(CANDIDATES);
        let keyword_hits = match options.mode {
            RetrievalMode::Vector => Vec::new(),
            _ => self.store.keyword_passages(question, CANDIDATES, &scope)?,
        };

        let vector_ranks: Vec<i64> = vector_hits.iter().map(|h| h.0).collect();
        let keyword_ranks: Vec<i64> = keyword_hits.iter().map(|h| h.0).collect();
        let fused = fuse(&[&vector_ranks, &keyword_ranks]);

        let mut similarity: HashMap<i64, f32> =
            vector_hits.iter().map(|&(id, d)| (id, 1.0 - d)).collect();
        let ids: Vec<i64> = fused.iter().map(|(id, _)| *id).collect();
        let passages = self.store.passages(&ids)?;
        for (members, vector) in &query_vectors {
            let missing: Vec<i64> = passages
                .iter()
                .filter(|p| members.contains(&p.collection_id) && !similarity.contains_key(&p.id))
                .map(|p| p.id)
                .collect();
            for (id, d) in self.store.passage_distances(vector, &missing)? {
                similarity.insert(id, 1.0 - d);
            }
        }
        let score: HashMap<i64, f64> = fused.into_iter().collect();
        let rank = |list: &[i64], id: i64| list.iter().position(|&x| x == id).map(|i| i + 1);
        let mut found: Vec<RetrievedPassage> = passages
            .into_iter()
            .map(|passage| RetrievedPassage {
                similarity: similarity.get(&passage.id).copied(),
                vector_rank: rank(&vector_ranks, passage.id),
                keyword_rank: rank(&keyword_ranks, passage.id),
                score: score.get(&passage.id).copied().unwrap_or(0.0),
                passage,
            })
            .filter(|p| match p.similarity {
                Some(s) => s >= options.min_similarity,
                None => options.mode == RetrievalMode::Keyword,
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        found.truncate(options.limit.max(1));
        Ok(found)
    }

    /// The named collections, or all of them.
    pub(crate) fn scope_collections(&self, names: &[String]) -> Result<Vec<Collection>> {
        if names.is_empty() {
            return Ok(self.store.collections()?);
        }
        names
            .iter()
            .map(|name| Ok(self.store.collection(name)?))
            .collect()
    }

    /// A file of these collections by its full path or, when unambiguous, its name.
    fn find_collection_file(&self, collections: &[Collection], path: &str) -> Result<i64> {
        let absolute = std::path::Path::new(path)
            .canonicalize()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_owned());
        let mut by_name = Vec::new();
        for collection in collections {
            for file in self.store.collection_files(collection.id)? {
                if file.path == absolute || file.path == path {
                    return Ok(file.id);
                }
                let name = std::path::Path::new(&file.path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned());
                if name.as_deref() == Some(path) {
                    by_name.push(file.id);
                }
            }
        }
        match by_name.as_slice() {
            [id] => Ok(*id),
            _ => Err(hearth_store::StoreError::NotFound {
                what: "file in the collection",
                id: path.to_owned(),
            }
            .into()),
        }
    }
}

/// Reciprocal rank fusion of rankings (best first): every id with its summed score,
/// best first; ties keep the order of first appearance.
pub fn fuse(rankings: &[&[i64]]) -> Vec<(i64, f64)> {
    let mut order: Vec<i64> = Vec::new();
    let mut scores: HashMap<i64, f64> = HashMap::new();
    for ranking in rankings {
        for (i, &id) in ranking.iter().enumerate() {
            let entry = scores.entry(id).or_insert_with(|| {
                order.push(id);
                0.0
            });
            *entry += 1.0 / (RRF_K + (i + 1) as f64);
        }
    }
    let mut fused: Vec<(i64, f64)> = order.into_iter().map(|id| (id, scores[&id])).collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passage_high_in_both_rankings_beats_one_first_in_only_one() {
        let fused = fuse(&[&[1, 2, 3], &[2, 4, 1]]);
        let order: Vec<i64> = fused.iter().map(|f| f.0).collect();
        assert_eq!(order, [2, 1, 4, 3]);
        let expected = 1.0 / 62.0 + 1.0 / 61.0;
        assert!((fused[0].1 - expected).abs() < 1e-12);
    }

    #[test]
    fn one_ranking_alone_keeps_its_order() {
        let fused = fuse(&[&[7, 3, 9], &[]]);
        assert_eq!(fused.iter().map(|f| f.0).collect::<Vec<_>>(), [7, 3, 9]);
        assert!(fuse(&[&[], &[]]).is_empty());
    }
}

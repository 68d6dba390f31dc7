//! Cited answers: the retrieved passages go into the prompt, numbered, as many as the
//! model's context holds beside the question and the answer; the model is told to cite
//! them as [1], [2] and to say so when they do not answer. When retrieval finds nothing
//! about the question, no model is asked at all and the reply says that nothing was
//! found, because a small model given unrelated passages invents an answer anyway.
//!
//! A follow-up question in a conversation ("and how do I undo it?") is rewritten into
//! one that stands alone before retrieval, since its words alone find nothing.

use hearth_llm::{ChatMessage, Engine, Generation, GenerationOptions};
use hearth_store::AuditPurpose;
use serde::{Deserialize, Serialize};

use super::retrieve::{RetrievalOptions, RetrievedPassage};
use crate::audit::AuditContext;
use crate::error::{CoreError, Result};
use crate::hearth::Hearth;

/// Tokens kept free for the answer when the options set no limit.
const DEFAULT_ANSWER_TOKENS: u32 = 512;
/// Tokens for the chat template's own markup around the messages.
const TEMPLATE_MARGIN: usize = 32;
/// Earlier turns given to the rewriter: enough for "it" to find its noun.
const REWRITE_TURNS: usize = 6;

const SYSTEM_PROMPT: &str = "You are a careful assistant who answers questions about the \
user's documents. You use only the numbered passages the user shows you, and after each \
fact you put the passage's number in square brackets, like [1]. If the passages do not \
answer the question, you say that the documents do not say.";

/// Said after the passages, where small models pay the most attention.
const INSTRUCTION: &str = "Answer my question in a few sentences of your own, using only \
these passages. After each fact, write the number of its passage in square brackets, \
like [1] or [2]. If the passages do not answer it, say so.";

const REWRITE_PROMPT: &str = "Rewrite the user's last question so that it can be \
understood without the conversation: replace words like \"it\", \"that\" or \"they\" \
with what they refer to. Reply with the rewritten question only, on one line.";

/// How to ask.
#[derive(Debug, Clone, Default)]
pub struct AskOptions {
    pub retrieval: RetrievalOptions,
    /// The chat model (the default when `None`).
    pub model: Option<String>,
    pub generation: GenerationOptions,
    /// The conversation so far, oldest first, when the question is a follow-up.
    pub history: Vec<ChatMessage>,
}

/// A passage as the model saw it: its number in the prompt and where it is from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The number the answer cites it by ([1] is 1).
    pub number: usize,
    /// "R-intro.pdf, p. 4 · Getting started".
    pub label: String,
    #[serde(flatten)]
    pub retrieved: RetrievedPassage,
}

/// The reply to a question about documents.
pub enum AskReply {
    /// A model is answering from `sources`.
    Answering {
        /// What was searched for (the question, or its standalone rewrite).
        query: String,
        sources: Vec<Source>,
        generation: Generation,
    },
    /// Nothing in the collections is about the question; no model was asked.
    NothingRelevant { query: String, message: String },
}

impl Hearth {
    /// Answers `question` from the documents in `options.retrieval`'s collections.
    pub fn ask_documents(&self, question: &str, options: &AskOptions) -> Result<AskReply> {
        let question = question.trim();
        if question.is_empty() {
            return Err(CoreError::EmptyMessage);
        }
        let collections = self.scope_collections(&options.retrieval.collections)?;
        if collections.is_empty() {
            return Err(CoreError::NoCollections);
        }
        let model = options.model.as_deref();
        let query = if options.history.is_empty() {
            question.to_owned()
        } else {
            self.standalone_question(model, &options.history, question)?
        };
        let found = self.retrieve_both(&query, question, &options.retrieval)?;
        if found.is_empty() {
            let names: Vec<String> = collections.iter().map(|c| c.name.clone()).collect();
            return Ok(AskReply::NothingRelevant {
                message: nothing_found(&names),
                query,
            });
        }
        let engine =
            self.audited_engine(model, AuditContext::new(AuditPurpose::DocumentAnswer, None))?;
        let answer_tokens = options
            .generation
            .max_tokens
            .unwrap_or(DEFAULT_ANSWER_TOKENS);
        let mut generation_options = options.generation.clone();
        generation_options.max_tokens = Some(answer_tokens);
        let (messages, sources) = fit_prompt(
            engine.as_ref(),
            question,
            &options.history,
            found,
            answer_tokens as usize,
        )?;
        let (generation, _) = engine.chat(&messages, generation_options)?;
        Ok(AskReply::Answering {
            query,
            sources,
            generation,
        })
    }

    /// The passages for a follow-up: those found for its standalone rewrite and for the
    /// question as asked, best score first. A small model's rewrite can miss the point
    /// (SmolLM2 may echo its last answer), and then the question itself still finds
    /// what it is about; a good rewrite adds what the question only referred to.
    fn retrieve_both(
        &self,
        rewritten: &str,
        question: &str,
        options: &RetrievalOptions,
    ) -> Result<Vec<RetrievedPassage>> {
        let mut found = self.retrieve(rewritten, options)?;
        if rewritten == question {
            return Ok(found);
        }
        for passage in self.retrieve(question, options)? {
            match found
                .iter_mut()
                .find(|f| f.passage.id == passage.passage.id)
            {
                Some(known) if known.score >= passage.score => {}
                Some(known) => *known = passage,
                None => found.push(passage),
            }
        }
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        found.truncate(options.limit.max(1));
        Ok(found)
    }

    /// The last question rewritten to stand alone, by the chat model (greedy, one line).
    pub(crate) fn standalone_question(
        &self,
        model: Option<&str>,
        history: &[ChatMessage],
        question: &str,
    ) -> Result<String> {
        let engine =
            self.audited_engine(model, AuditContext::new(AuditPurpose::QueryRewrite, None))?;
        let recent = &history[history.len().saturating_sub(REWRITE_TURNS)..];
        let mut transcript = String::new();
        for message in recent {
            transcript.push_str(&format!("{}: {}\n", message.role.as_str(), message.content));
        }
        let messages = [
            ChatMessage::system(REWRITE_PROMPT),
            ChatMessage::user(format!(
                "Conversation:\n{transcript}\nLast question: {question}"
            )),
        ];
        let mut options = GenerationOptions::greedy();
        options.max_tokens = Some(64);
        let (generation, _) = engine.chat(&messages, options)?;
        let text = generation.wait()?.text;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        // A rewrite that came out empty or rambling is worse than the question itself.
        if line.is_empty() || line.len() > 4 * question.len() + 200 {
            return Ok(question.to_owned());
        }
        Ok(line.trim_matches('"').to_owned())
    }
}

/// The messages for the model: the system rules, the earlier turns, and the question
/// with as many passages (best first) as fit in the context beside `answer_tokens`.
fn fit_prompt(
    engine: &dyn Engine,
    question: &str,
    history: &[ChatMessage],
    found: Vec<RetrievedPassage>,
    answer_tokens: usize,
) -> Result<(Vec<ChatMessage>, Vec<Source>)> {
    let context = engine.info().context_length as usize;
    let count = |text: &str| -> Result<usize> { Ok(engine.count_tokens(text)?) };
    let mut used = TEMPLATE_MARGIN
        + answer_tokens
        + count(SYSTEM_PROMPT)?
        + count(INSTRUCTION)?
        + count(question)?;
    let mut kept_history: Vec<ChatMessage> = Vec::new();
    // Recent turns first, while they leave room for at least half the context.
    for message in history.iter().rev() {
        let tokens = count(&message.content)? + 4;
        if used + tokens > context / 2 {
            break;
        }
        used += tokens;
        kept_history.insert(0, message.clone());
    }
    let (blocks, sources) = number_passages(found, &count, context.saturating_sub(used))?;
    if sources.is_empty() {
        return Err(CoreError::ContextTooSmall {
            context,
            needed: used + 256,
        });
    }
    let mut messages = vec![ChatMessage::system(SYSTEM_PROMPT)];
    messages.extend(kept_history);
    messages.push(ChatMessage::user(question_with_passages(&blocks, question)));
    Ok((messages, sources))
}

/// A sentence of an answer and the passage it most resembles, found by Hearth rather
/// than cited by the model (small models rarely cite); shown as "matched", never as the
/// model's own citation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// Byte range of the sentence in the answer.
    pub start: usize,
    pub end: usize,
    /// The source number ([1] is 1).
    pub source: usize,
    /// Cosine similarity of the sentence and the passage.
    pub similarity: f32,
}

/// A sentence must resemble a passage at least this much to be matched to it
/// (all-MiniLM-L6-v2: a sentence restating a passage scores 0.6 to 0.9, an unrelated
/// one under 0.3).
pub const MATCH_SIMILARITY: f32 = 0.5;

impl Hearth {
    /// Matches each sentence of `answer` to the source it most resembles, when it
    /// resembles one enough; sentences that cite a source themselves are left alone.
    pub fn attribute(&self, answer: &str, sources: &[Source]) -> Result<Vec<Attribution>> {
        use unicode_segmentation::UnicodeSegmentation;
        let sentences: Vec<(usize, &str)> = answer
            .split_sentence_bound_indices()
            .filter(|(_, s)| {
                s.split_whitespace().count() >= 4 && cited(s, sources.len()).is_empty()
            })
            .collect();
        if sentences.is_empty() || sources.is_empty() {
            return Ok(Vec::new());
        }
        let mut models: Vec<(String, Vec<&Source>)> = Vec::new();
        for source in sources {
            let model = self
                .store
                .collection(&source.retrieved.passage.collection_id.to_string())?
                .embedding_model;
            match models.iter_mut().find(|(m, _)| *m == model) {
                Some((_, members)) => members.push(source),
                None => models.push((model, vec![source])),
            }
        }
        let texts: Vec<String> = sentences.iter().map(|(_, s)| s.trim().to_owned()).collect();
        let mut best: Vec<Option<(usize, f32)>> = vec![None; sentences.len()];
        for (model, members) in models {
            let (_, embedder) = self.embedder(Some(&model))?;
            let vectors = embedder.embed(&texts)?;
            for member in members {
                let Some(passage) = self.store.passage_vector(member.retrieved.passage.id)? else {
                    continue;
                };
                for (i, sentence) in vectors.iter().enumerate() {
                    let similarity: f32 = sentence
                        .vector
                        .iter()
                        .zip(&passage)
                        .map(|(a, b)| a * b)
                        .sum();
                    if similarity >= MATCH_SIMILARITY && best[i].is_none_or(|(_, s)| similarity > s)
                    {
                        best[i] = Some((member.number, similarity));
                    }
                }
            }
        }
        Ok(sentences
            .iter()
            .zip(best)
            .filter_map(|((start, text), best)| {
                best.map(|(source, similarity)| Attribution {
                    start: *start,
                    end: start + text.trim_end().len(),
                    source,
                    similarity,
                })
            })
            .collect())
    }
}

/// A conversation's prompt grounded in a collection, or why it could not be.
pub(crate) enum Grounded {
    /// The prompt with the passages in its last message, and the sources as numbered.
    Sources {
        messages: Vec<ChatMessage>,
        sources: Vec<Source>,
    },
    /// Nothing in the collection is about the question: this is the answer.
    NothingRelevant { message: String },
}

impl Hearth {
    /// Puts the passages of `collection` that answer the last question of `messages`
    /// (a fitted conversation prompt) into that question, as many as fit in `room`
    /// tokens, with the citation rules in the system prompt. A question that follows
    /// earlier turns is rewritten to stand alone before retrieval.
    pub(crate) fn ground(
        &self,
        model: Option<&str>,
        collection: &str,
        mut messages: Vec<ChatMessage>,
        room: usize,
        engine: &dyn Engine,
    ) -> Result<Grounded> {
        let Some(last) = messages
            .iter()
            .rposition(|m| m.role == hearth_llm::Role::User)
        else {
            return Ok(Grounded::Sources {
                messages,
                sources: Vec::new(),
            });
        };
        let question = messages[last].content.clone();
        let history: Vec<ChatMessage> = messages[..last]
            .iter()
            .filter(|m| m.role != hearth_llm::Role::System)
            .cloned()
            .collect();
        let query = if history.iter().any(|m| m.role == hearth_llm::Role::User) {
            self.standalone_question(model, &history, &question)?
        } else {
            question.clone()
        };
        let options = RetrievalOptions {
            collections: vec![collection.to_owned()],
            ..RetrievalOptions::default()
        };
        let found = self.retrieve_both(&query, &question, &options)?;
        if found.is_empty() {
            return Ok(Grounded::NothingRelevant {
                message: nothing_found(&[collection.to_owned()]),
            });
        }
        let count = |text: &str| -> Result<usize> { Ok(engine.count_tokens(text)?) };
        let rules = count(INSTRUCTION)? + count(SYSTEM_PROMPT)? + 16;
        let (blocks, sources) = number_passages(found, &count, room.saturating_sub(rules))?;
        if sources.is_empty() {
            // The conversation fills the context; answer it as it is.
            return Ok(Grounded::Sources { messages, sources });
        }
        messages[last].content = question_with_passages(&blocks, &question);
        match messages.first_mut() {
            Some(first) if first.role == hearth_llm::Role::System => {
                first.content = format!("{}\n\n{SYSTEM_PROMPT}", first.content);
            }
            _ => messages.insert(0, ChatMessage::system(SYSTEM_PROMPT)),
        }
        Ok(Grounded::Sources { messages, sources })
    }
}

/// Numbers passages, best first, keeping those that fit in `room` tokens: the prompt
/// block of each ("[n] (label)" and its text) and the sources as the answer cites them.
fn number_passages(
    found: Vec<RetrievedPassage>,
    count: &dyn Fn(&str) -> Result<usize>,
    room: usize,
) -> Result<(Vec<String>, Vec<Source>)> {
    let mut used = 0;
    let mut blocks = Vec::new();
    let mut sources = Vec::new();
    for retrieved in found {
        let number = sources.len() + 1;
        let label = label(&retrieved.passage);
        let block = format!("[{number}] ({label})\n{}", retrieved.passage.text);
        let tokens = count(&block)? + 2;
        if used + tokens > room {
            continue;
        }
        used += tokens;
        blocks.push(block);
        sources.push(Source {
            number,
            label,
            retrieved,
        });
    }
    Ok((blocks, sources))
}

/// The user's message to the model: the numbered passages, the rules, the question.
fn question_with_passages(blocks: &[String], question: &str) -> String {
    format!(
        "Numbered passages from my documents:\n\n{}\n\n{INSTRUCTION}\n\nQuestion: {question}",
        blocks.join("\n\n")
    )
}

/// The reply when no passage of `collections` is about the question.
fn nothing_found(collections: &[String]) -> String {
    let names: Vec<String> = collections.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "I found nothing about this in {}, so I will not guess. Try other words, or add the documents that cover it.",
        names.join(", ")
    )
}

/// Where a passage is from, for people: file name, pages, section.
pub fn label(passage: &hearth_store::Passage) -> String {
    let name = std::path::Path::new(&passage.path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| passage.path.clone());
    let mut label = name;
    match (passage.first_page, passage.last_page) {
        (Some(a), Some(b)) if a != b => label.push_str(&format!(", pp. {a}–{b}")),
        (Some(p), _) | (None, Some(p)) => label.push_str(&format!(", p. {p}")),
        (None, None) => {}
    }
    if !passage.section.is_empty() {
        label.push_str(&format!(" · {}", passage.section));
    }
    label
}

/// The source numbers an answer cites, in order of first citation, each once: `[2]`,
/// `[1][3]` and `[1, 3]` all count; numbers with no such source are ignored.
pub fn cited(answer: &str, sources: usize) -> Vec<usize> {
    let mut numbers = Vec::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inside = &rest[..close];
        let parts: Vec<&str> = inside.split(',').map(str::trim).collect();
        if parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            for part in parts {
                if let Ok(n) = part.parse::<usize>() {
                    if (1..=sources).contains(&n) && !numbers.contains(&n) {
                        numbers.push(n);
                    }
                }
            }
        }
        rest = &rest[close + 1..];
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_are_read_in_every_common_spelling() {
        assert_eq!(
            cited("Roses need sun [2]. Prune in winter [1][3].", 3),
            [2, 1, 3]
        );
        assert_eq!(cited("Both [1, 2] and again [2].", 2), [1, 2]);
        assert_eq!(
            cited("Not a source [7], not a number [a], empty [].", 3),
            Vec::<usize>::new()
        );
        assert_eq!(cited("Unclosed [1", 3), Vec::<usize>::new());
    }

    #[test]
    fn labels_name_the_file_its_pages_and_section() {
        let passage = hearth_store::Passage {
            id: 1,
            collection_id: 1,
            collection: "c".into(),
            file_id: 1,
            path: "/docs/R-intro.pdf".into(),
            title: None,
            ordinal: 0,
            section: "Getting started".into(),
            first_page: Some(4),
            last_page: Some(5),
            text: String::new(),
            tokens: 0,
        };
        assert_eq!(label(&passage), "R-intro.pdf, pp. 4–5 · Getting started");
    }
}

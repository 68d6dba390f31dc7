//! Full-text search over message text, with filters and highlighted snippets.
//!
//! See [`crate::query`] for how the typed text is read. Results are ordered by relevance
//! (FTS5's bm25), newest first among equals; a query that matches 2,000 messages or more
//! lists the newest first instead (bm25 would rank every match, tens of milliseconds for
//! a phrase of common words, while newest first stops after one page). Answers that are
//! still streaming are not indexed yet and do not appear; everything else, including
//! interrupted answers, does.
//!
//! A reasoning model's thinking is indexed with its answer, in a column of its own, but
//! searched only when [`SearchQuery::thinking`] asks for it (the `search_thinking`
//! setting): every index expression is otherwise limited to the answer's column.
//!
//! Snippets come two ways in each [`SearchHit`]: `segments`, plain text pieces flagged as
//! hits or not, for front ends that draw their own highlighting; and `snippet`, the same
//! text HTML-escaped with every hit wrapped in `<mark>` and `</mark>` (the only markup it
//! ever contains), ready to insert into a page.

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::query::{self, ParsedQuery};
use crate::store::Store;
use crate::types::{ConversationId, MessageId, MessageKind, Role};
use crate::unspaced;

/// Results per page when the query does not say.
pub const DEFAULT_SEARCH_LIMIT: u32 = 50;
/// The most results one call returns.
pub const MAX_SEARCH_LIMIT: u32 = 1000;

/// Private-use characters that FTS5 puts around hits; the snippet is split on them and
/// never shown with them.
const HIT_START: char = '\u{E000}';
const HIT_END: char = '\u{E001}';
const ELLIPSIS: &str = "…";
/// Words of context in a snippet (FTS5's unit; for trigram hits each token is one
/// character, hence the larger figure).
const SNIPPET_WORDS: i64 = 12;
const SNIPPET_CHARS: i64 = 48;
/// A query that matches at least this many messages lists the newest first: ranking
/// every match (a phrase of common words matches most of a history) costs more than the
/// order is worth, while newest first stops after one page.
const BROAD_MATCHES: i64 = 2000;

/// A search and its filters. `Default` plus `text` searches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// What the person typed (see [`Store::search`] for how it is read).
    pub text: String,
    /// Only messages created at or after this time (ms since the epoch).
    pub from: Option<i64>,
    /// Only messages created before this time (ms since the epoch).
    pub to: Option<i64>,
    /// Only messages written by this model, or in conversations set to it.
    pub model: Option<String>,
    /// Only conversations with this tag.
    pub tag: Option<String>,
    /// Only this conversation.
    pub conversation_id: Option<ConversationId>,
    /// `Some(false)` leaves archived conversations out, `Some(true)` searches only them.
    pub archived: Option<bool>,
    /// At most this many hits ([`DEFAULT_SEARCH_LIMIT`] when `None`, capped at
    /// [`MAX_SEARCH_LIMIT`]).
    pub limit: Option<u32>,
    /// Skip this many first (for paging).
    pub offset: u32,
    /// Look into reasoning models' thinking too, not only message text.
    #[serde(default)]
    pub thinking: bool,
}

impl SearchQuery {
    /// A search for `text` with no filters.
    pub fn text(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..Default::default()
        }
    }
}

/// One message that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub conversation_title: String,
    pub message_id: MessageId,
    pub role: Role,
    pub kind: MessageKind,
    /// The message's model, or else its conversation's.
    pub model: Option<String>,
    pub created_at: i64,
    /// HTML-escaped text around the hits, each hit inside `<mark>…</mark>`; cut ends are
    /// marked with "…".
    pub snippet: String,
    /// The same snippet as plain text pieces.
    pub segments: Vec<SnippetSegment>,
}

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetSegment {
    pub text: String,
    /// Whether this piece matched the query.
    pub hit: bool,
}

impl Store {
    /// Searches message text. No input can cause a query syntax error.
    ///
    /// How `text` is read:
    /// - words separated by spaces must all match; `"two words"` is a phrase;
    /// - `term*` matches words starting with `term`, and so does the last word, so results
    ///   appear while typing;
    /// - case and Latin accents are ignored (`cafe` finds "Café"); accents of other
    ///   scripts (Greek tonos, for one) are not folded;
    /// - text in scripts written without spaces (Chinese, Japanese, Korean, Thai, ...) is
    ///   matched anywhere inside words (`日本語` finds "私は日本語を話します");
    /// - FTS5 operators (`AND`, `OR`, `NOT`, `NEAR`, `-`, `^`, `:`) are plain text;
    /// - nothing but spaces and punctuation finds nothing, and terms after the
    ///   [`crate::MAX_SEARCH_TERMS`]th are ignored.
    pub fn search(&self, search: &SearchQuery) -> Result<Vec<SearchHit>> {
        let parsed = query::parse(&search.text);
        if parsed.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let newest_first = match primary_index(&parsed) {
            Some((table, _, expression)) => {
                let sql = format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ?1 LIMIT {BROAD_MATCHES})"
                );
                let expression = scoped(expression, "content", search.thinking);
                let matches: i64 = conn.query_row(&sql, [expression], |row| row.get(0))?;
                matches >= BROAD_MATCHES
            }
            None => false,
        };
        let (sql, args) = build_sql(&parsed, search, newest_first);
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |row| {
            Ok((
                SearchHit {
                    message_id: row.get(0)?,
                    conversation_id: row.get(1)?,
                    conversation_title: row.get(2)?,
                    role: row.get(3)?,
                    kind: row.get(4)?,
                    model: row.get(5)?,
                    created_at: row.get(6)?,
                    snippet: String::new(),
                    segments: Vec::new(),
                },
                row.get::<_, String>(7)?,
            ))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (mut hit, raw) = row?;
            hit.segments = if parsed.words.is_none() && parsed.substrings.is_none() {
                scan_snippet(&raw, &parsed.short)
            } else {
                split_marked(&raw)
            };
            hit.snippet = to_html(&hit.segments);
            hits.push(hit);
        }
        Ok(hits)
    }
}

/// The index that ranks and makes the snippet, its snippet width, and its expression:
/// words if any, else substrings; with only very short substrings, none (the
/// one-character index finds candidates and the snippet is cut from the text).
fn primary_index(parsed: &ParsedQuery) -> Option<(&'static str, i64, &str)> {
    match (&parsed.words, &parsed.substrings) {
        (Some(words), _) => Some(("messages_fts", SNIPPET_WORDS, words)),
        (None, Some(substrings)) => Some(("messages_trigram", SNIPPET_CHARS, substrings)),
        (None, None) => None,
    }
}

/// An index expression limited to the message text's column, unless the thinking is
/// searched too (then every column counts).
fn scoped(expression: &str, column: &str, thinking: bool) -> String {
    if thinking {
        expression.to_owned()
    } else {
        format!("{{{column}}} : ({expression})")
    }
}

fn build_sql(
    parsed: &ParsedQuery,
    search: &SearchQuery,
    newest_first: bool,
) -> (String, Vec<SqlValue>) {
    let mut args: Vec<SqlValue> = Vec::new();
    let mut arg = |value: SqlValue| {
        args.push(value);
        format!("?{}", args.len())
    };
    let text = |s: &str| SqlValue::Text(s.to_owned());
    let mut conditions: Vec<String> = Vec::new();
    let thinking = search.thinking;
    // Snippets come from the best-matching column when thinking is searched too.
    let snippet_column = if thinking { -1 } else { 0 };

    let primary = primary_index(parsed).map(|(table, width, _)| (table, width));
    let (from, snippet, order) = match primary {
        Some((table, tokens)) => {
            let (start, end) = (
                arg(text(&HIT_START.to_string())),
                arg(text(&HIT_END.to_string())),
            );
            let ellipsis = arg(text(ELLIPSIS));
            (
                format!("{table} JOIN messages m ON m.seq = {table}.rowid"),
                format!("snippet({table}, {snippet_column}, {start}, {end}, {ellipsis}, {tokens})"),
                if newest_first {
                    // The index's own row order, so no sort and an early stop.
                    format!("{table}.rowid DESC")
                } else {
                    format!("{table}.rank, m.created_at DESC, m.seq DESC")
                },
            )
        }
        None => {
            conditions.push("m.state <> 'streaming'".into());
            // The text to cut the snippet from: the answer, or the thinking when only it
            // holds the first term.
            let text_column = match (thinking, parsed.short.first()) {
                (true, Some(first)) => format!(
                    "CASE WHEN instr(m.content, {}) > 0 THEN m.content \
                     ELSE coalesce(m.reasoning, '') END",
                    arg(text(first))
                ),
                _ => "m.content".to_owned(),
            };
            (
                "messages m".to_owned(),
                text_column,
                "m.created_at DESC, m.seq DESC".to_owned(),
            )
        }
    };
    if let (Some((table, _)), Some(words)) = (primary, &parsed.words) {
        let words = scoped(words, "content", thinking);
        conditions.push(format!("{table} MATCH {}", arg(text(&words))));
    }
    if let Some(substrings) = &parsed.substrings {
        let placeholder = arg(text(&scoped(substrings, "content", thinking)));
        if primary.map(|(table, _)| table) == Some("messages_trigram") {
            conditions.push(format!("messages_trigram MATCH {placeholder}"));
        } else {
            conditions.push(format!(
                "m.seq IN (SELECT rowid FROM messages_trigram WHERE messages_trigram MATCH {placeholder})"
            ));
        }
    }
    if !parsed.short.is_empty() {
        let phrases: Vec<String> = parsed
            .short
            .iter()
            .filter_map(|term| unspaced::grams(term))
            .map(|grams| format!("\"{grams}\""))
            .collect();
        conditions.push(format!(
            "m.seq IN (SELECT rowid FROM messages_unspaced WHERE messages_unspaced MATCH {})",
            arg(text(&scoped(&phrases.join(" "), "grams", thinking)))
        ));
        // The index blurs what lies between those characters; the text decides.
        for short in &parsed.short {
            let placeholder = arg(text(short));
            conditions.push(if thinking {
                format!(
                    "(instr(m.content, {placeholder}) > 0 \
                     OR instr(coalesce(m.reasoning, ''), {placeholder}) > 0)"
                )
            } else {
                format!("instr(m.content, {placeholder}) > 0")
            });
        }
    }
    if let Some(from) = search.from {
        conditions.push(format!("m.created_at >= {}", arg(SqlValue::Integer(from))));
    }
    if let Some(to) = search.to {
        conditions.push(format!("m.created_at < {}", arg(SqlValue::Integer(to))));
    }
    if let Some(model) = &search.model {
        conditions.push(format!("coalesce(m.model, c.model) = {}", arg(text(model))));
    }
    if let Some(tag) = &search.tag {
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = {})",
            arg(text(tag.trim()))
        ));
    }
    if let Some(id) = &search.conversation_id {
        conditions.push(format!("m.conversation_id = {}", arg(text(id.as_str()))));
    }
    if let Some(archived) = search.archived {
        conditions.push(format!(
            "c.archived = {}",
            arg(SqlValue::Integer(archived.into()))
        ));
    }
    let limit = search
        .limit
        .unwrap_or(DEFAULT_SEARCH_LIMIT)
        .min(MAX_SEARCH_LIMIT);
    let limit = arg(SqlValue::Integer(limit.into()));
    let offset = arg(SqlValue::Integer(search.offset.into()));
    let sql = format!(
        "SELECT m.id, m.conversation_id, c.title, m.role, m.kind, coalesce(m.model, c.model), \
         m.created_at, {snippet} \
         FROM {from} JOIN conversations c ON c.id = m.conversation_id \
         WHERE {} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
        conditions.join(" AND ")
    );
    (sql, args)
}

/// Splits FTS5's snippet on the hit markers.
fn split_marked(raw: &str) -> Vec<SnippetSegment> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut in_hit = false;
    let mut flush = |text: &mut String, hit: bool| {
        if !text.is_empty() {
            segments.push(SnippetSegment {
                text: std::mem::take(text),
                hit,
            });
        }
    };
    for c in raw.chars() {
        match c {
            HIT_START if !in_hit => {
                flush(&mut current, false);
                in_hit = true;
            }
            HIT_END if in_hit => {
                flush(&mut current, true);
                in_hit = false;
            }
            HIT_START | HIT_END => {}
            c => current.push(c),
        }
    }
    flush(&mut current, in_hit);
    segments
}

/// A snippet around the first occurrence of any term, for searches no index can serve.
fn scan_snippet(content: &str, terms: &[String]) -> Vec<SnippetSegment> {
    const BEFORE: usize = 20;
    const AFTER: usize = 60;
    let first = terms
        .iter()
        .filter_map(|t| content.find(t.as_str()))
        .min()
        .unwrap_or(0);
    let start = content[..first]
        .char_indices()
        .rev()
        .nth(BEFORE.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let end = content[first..]
        .char_indices()
        .nth(AFTER)
        .map_or(content.len(), |(i, _)| first + i);
    let window = &content[start..end];

    let mut segments = Vec::new();
    if start > 0 {
        segments.push(SnippetSegment {
            text: ELLIPSIS.to_owned(),
            hit: false,
        });
    }
    let mut rest = window;
    loop {
        let next = terms
            .iter()
            .filter(|t| !t.is_empty())
            .filter_map(|t| rest.find(t.as_str()).map(|i| (i, t.len())))
            .min();
        let Some((at, len)) = next else { break };
        if at > 0 {
            segments.push(SnippetSegment {
                text: rest[..at].to_owned(),
                hit: false,
            });
        }
        segments.push(SnippetSegment {
            text: rest[at..at + len].to_owned(),
            hit: true,
        });
        rest = &rest[at + len..];
    }
    if !rest.is_empty() {
        segments.push(SnippetSegment {
            text: rest.to_owned(),
            hit: false,
        });
    }
    if end < content.len() {
        segments.push(SnippetSegment {
            text: ELLIPSIS.to_owned(),
            hit: false,
        });
    }
    segments
}

fn to_html(segments: &[SnippetSegment]) -> String {
    let mut html = String::new();
    for segment in segments {
        if segment.hit {
            html.push_str("<mark>");
        }
        for c in segment.text.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                c => html.push(c),
            }
        }
        if segment.hit {
            html.push_str("</mark>");
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{MessageFinish, MessageState, NewConversation, NewMessage};
    use crate::StoreError;

    fn store_with(texts: &[&str]) -> (Store, ConversationId) {
        let store = Store::open_in_memory().unwrap();
        let c = store
            .create_conversation(NewConversation {
                title: Some("Notes".into()),
                ..Default::default()
            })
            .unwrap();
        for text in texts {
            store
                .add_message(&c.id, NewMessage::user(None, *text))
                .unwrap();
        }
        (store, c.id)
    }

    fn found(store: &Store, text: &str) -> Vec<String> {
        let mut hits: Vec<String> = store
            .search(&SearchQuery::text(text))
            .unwrap()
            .into_iter()
            .map(|h| h.segments.iter().map(|s| s.text.as_str()).collect())
            .collect();
        hits.sort();
        hits
    }

    #[test]
    fn words_are_found_with_hits_marked_in_the_snippet() {
        let (store, c) = store_with(&["the cat sat on the mat", "dogs bark"]);
        let hits = store.search(&SearchQuery::text("cat")).unwrap();
        assert_eq!(hits.len(), 1);
        let hit = &hits[0];
        assert_eq!(hit.conversation_id, c);
        assert_eq!(hit.conversation_title, "Notes");
        assert_eq!(hit.role, Role::User);
        assert_eq!(hit.snippet, "the <mark>cat</mark> sat on the mat");
        assert_eq!(
            hit.segments,
            [
                SnippetSegment {
                    text: "the ".into(),
                    hit: false
                },
                SnippetSegment {
                    text: "cat".into(),
                    hit: true
                },
                SnippetSegment {
                    text: " sat on the mat".into(),
                    hit: false
                },
            ]
        );
    }

    #[test]
    fn all_terms_must_match_and_the_last_is_a_prefix() {
        let (store, _) = store_with(&["category theory", "cat food", "dog food"]);
        assert_eq!(found(&store, "cat").len(), 2);
        assert_eq!(found(&store, "cat*").len(), 2);
        assert_eq!(found(&store, "food ca"), ["cat food"]);
        // Only the last term is a prefix unless starred.
        assert!(found(&store, "cat food").contains(&"cat food".to_string()));
        assert!(found(&store, "categ theory").is_empty());
        assert_eq!(found(&store, "categ* theory"), ["category theory"]);
    }

    #[test]
    fn accents_are_folded_both_ways() {
        let (store, _) = store_with(&["un café crème", "naïve résumé"]);
        assert_eq!(found(&store, "cafe"), ["un café crème"]);
        assert_eq!(found(&store, "CAFÉ"), ["un café crème"]);
        assert_eq!(found(&store, "resume naive"), ["naïve résumé"]);
    }

    #[test]
    fn cyrillic_and_greek_are_words() {
        let (store, _) = store_with(&["Привет, как дела?", "Καλημέρα κόσμε"]);
        assert_eq!(found(&store, "привет"), ["Привет, как дела?"]);
        assert_eq!(found(&store, "дел"), ["Привет, как дела?"]);
        // Case folds in Greek; accents do not (unicode61 folds Latin diacritics only).
        assert_eq!(found(&store, "καλημέρα"), ["Καλημέρα κόσμε"]);
        assert_eq!(found(&store, "ΚΌΣΜΕ"), ["Καλημέρα κόσμε"]);
    }

    #[test]
    fn cjk_text_is_found_by_substring() {
        let (store, _) = store_with(&[
            "私は日本語を話します",
            "我喜欢学习中文",
            "한국어를 공부합니다",
        ]);
        let hits = store.search(&SearchQuery::text("日本語")).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].snippet, "私は<mark>日本語</mark>を話します");
        assert_eq!(found(&store, "学习中文").len(), 1);
        assert_eq!(found(&store, "공부합").len(), 1);
        // Two characters: too short for trigrams, found through the one-character index,
        // still marked.
        let hits = store.search(&SearchQuery::text("中文")).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].snippet, "我喜欢学习<mark>中文</mark>");
        assert!(found(&store, "英語").is_empty());
    }

    #[test]
    fn short_unspaced_terms_come_from_their_own_index() {
        let (store, c) = store_with(&[
            "今日の天気は晴れです",
            "天x気 is not the word",
            "猫が好きです",
            "สวัสดีครับ",
        ]);
        let indexed = |store: &Store, phrase: &str| -> i64 {
            store
                .conn()
                .query_row(
                    "SELECT count(*) FROM messages_unspaced WHERE messages_unspaced MATCH ?1",
                    [phrase],
                    |row| row.get(0),
                )
                .unwrap()
        };
        // The index finds both candidates; adjacency in the text decides.
        assert_eq!(indexed(&store, "\"天 気\""), 1);
        assert_eq!(indexed(&store, "天 気"), 2);
        assert_eq!(found(&store, "天気"), ["今日の天気は晴れです"]);
        assert_eq!(found(&store, "猫"), ["猫が好きです"]);
        assert_eq!(found(&store, "ดี"), ["สวัสดีครับ"]);
        assert_eq!(found(&store, "猫 天気").len(), 0, "every term must match");
        let hits = store.search(&SearchQuery::text("天気")).unwrap();
        assert_eq!(hits[0].snippet, "今日の<mark>天気</mark>は晴れです");

        // A streamed answer is indexed when it finishes, not while it streams.
        let answer = store
            .add_message(&c, NewMessage::assistant_streaming(None, None))
            .unwrap();
        store
            .checkpoint_message(&answer.id, "明日の天", MessageState::Streaming)
            .unwrap();
        assert_eq!(found(&store, "明日").len(), 0);
        store
            .finish_message(
                &answer.id,
                &MessageFinish {
                    content: "明日の天気は雨".into(),
                    state: MessageState::Done,
                    error: None,
                    token_count: None,
                    reasoning: None,
                    reasoning_ms: None,
                },
            )
            .unwrap();
        assert_eq!(found(&store, "明日"), ["明日の天気は雨"]);
        assert_eq!(found(&store, "天気").len(), 2);

        // Deleting the conversation empties this index too.
        store.delete_conversation(&c).unwrap();
        assert_eq!(indexed(&store, "天"), 0);
        assert!(found(&store, "天気").is_empty());
        store.check_integrity().unwrap();
    }

    #[test]
    fn broad_queries_list_the_newest_first_and_narrow_ones_by_relevance() {
        let store = Store::open_in_memory().unwrap();
        let c = store
            .create_conversation(NewConversation::default())
            .unwrap();
        // An old message that says "breeze" most, then newer ones that say it once, and
        // enough newer ones still to make "weather" broad.
        let old = store
            .add_message(
                &c.id,
                NewMessage::user(None, "a breeze, a breeze, a breeze"),
            )
            .unwrap();
        for _ in 0..3 {
            store
                .add_message(
                    &c.id,
                    NewMessage::user(None, "one breeze and a long sentence after it"),
                )
                .unwrap();
        }
        store
            .write(|tx| {
                let mut insert = tx.prepare(
                    "INSERT INTO messages (id, conversation_id, parent_id, role, kind, content, \
                     state, created_at, updated_at) \
                     VALUES (?1, ?2, NULL, 'user', 'message', ?3, 'done', ?4, ?4)",
                )?;
                for i in 0..BROAD_MATCHES {
                    insert.execute(rusqlite::params![
                        format!("filler-{i}"),
                        c.id,
                        format!("the weather on day {i} of a long and windy year"),
                        4_000_000_000_000 + i
                    ])?;
                }
                Ok(())
            })
            .unwrap();
        let hits = store.search(&SearchQuery::text("weather")).unwrap();
        assert_eq!(hits.len(), DEFAULT_SEARCH_LIMIT as usize);
        assert_eq!(
            hits[0]
                .segments
                .iter()
                .map(|s| s.text.as_str())
                .collect::<String>(),
            format!(
                "the weather on day {} of a long and windy year",
                BROAD_MATCHES - 1
            ),
            "broad: the newest first"
        );
        // Narrow: relevance puts the oldest first, since it says "breeze" most.
        let hits = store.search(&SearchQuery::text("breeze")).unwrap();
        assert_eq!(hits.len(), 4);
        assert_eq!(hits[0].message_id, old.id);
    }

    #[test]
    fn mixed_scripts_need_every_term() {
        let (store, _) = store_with(&["Rust で日本語を書く", "Python で日本語", "Rust only"]);
        assert_eq!(found(&store, "rust 日本語"), ["Rust で日本語を書く"]);
    }

    #[test]
    fn hostile_input_never_errors() {
        let (store, _) = store_with(&["some text (with) \"quotes\" and AND OR NOT words"]);
        let nasty = [
            "\"",
            "\"\"",
            "*",
            "**",
            "(",
            ")",
            "()",
            "AND",
            "OR",
            "NOT",
            "NEAR",
            "NEAR(a b)",
            "a OR",
            "-",
            "-a",
            "^a",
            "a:b",
            "content:a",
            "{a b}:c",
            "a + b",
            "'",
            "\\",
            "\0",
            "a\0b",
            "\"unterminated",
            "a\"b\"c",
            "*a",
            "a**",
            "x NEAR/3 y",
            "😀",
            "\u{E000}",
            "\u{0301}",
            "\u{0301}\u{0301}",
            "日",
            "",
            "   ",
        ];
        for text in nasty {
            let result = store.search(&SearchQuery::text(text));
            assert!(result.is_ok(), "{text:?}: {result:?}");
        }
        assert_eq!(found(&store, "(with)").len(), 1);
        assert_eq!(found(&store, "\"quotes\" AND").len(), 1);

        // Pseudo-random strings from a fixed seed over a punctuation-heavy alphabet.
        let alphabet: Vec<char> = "\"*()-^:+{}'\\ aAnNdDoOrR日本é\u{0301}_/.,;"
            .chars()
            .collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            seed = seed.wrapping_add(1);
            let result = store.search(&SearchQuery::text(&text));
            assert!(result.is_ok(), "{text:?}: {result:?}");
        }
    }

    #[test]
    fn snippet_html_escapes_the_message_text() {
        let (store, _) = store_with(&["<script>alert('x')</script> & cat"]);
        let hits = store.search(&SearchQuery::text("cat")).unwrap();
        assert_eq!(
            hits[0].snippet,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; <mark>cat</mark>"
        );
    }

    #[test]
    fn long_messages_get_a_cut_snippet() {
        let long = format!("{} needle {}", "word ".repeat(200), "more ".repeat(200));
        let (store, _) = store_with(&[long.as_str()]);
        let hits = store.search(&SearchQuery::text("needle")).unwrap();
        assert!(hits[0].snippet.starts_with(ELLIPSIS), "{}", hits[0].snippet);
        assert!(hits[0].snippet.ends_with(ELLIPSIS), "{}", hits[0].snippet);
        assert!(hits[0].snippet.contains("<mark>needle</mark>"));
        assert!(hits[0].snippet.len() < 200);
    }

    #[test]
    fn filters_narrow_the_results() {
        let store = Store::open_in_memory().unwrap();
        let work = store
            .create_conversation(NewConversation {
                title: Some("work".into()),
                model: Some("qwen".into()),
                ..Default::default()
            })
            .unwrap()
            .id;
        let home = store
            .create_conversation(NewConversation::default())
            .unwrap()
            .id;
        store.add_tag(&work, "job").unwrap();
        let w = store
            .add_message(&work, NewMessage::user(None, "budget report"))
            .unwrap();
        let h = store
            .add_message(&home, NewMessage::user(None, "budget for holidays"))
            .unwrap();
        let a = store
            .add_message(
                &home,
                NewMessage::assistant_streaming(Some(h.id.clone()), Some("smollm".into())),
            )
            .unwrap();
        store
            .finish_message(
                &a.id,
                &MessageFinish {
                    content: "a budget plan".into(),
                    state: MessageState::Done,
                    error: None,
                    token_count: None,
                    reasoning: None,
                    reasoning_ms: None,
                },
            )
            .unwrap();
        // Fixed times so the date filter does not depend on the clock.
        for (id, at) in [(&w.id, 1_000), (&h.id, 2_000), (&a.id, 3_000)] {
            store
                .conn()
                .execute(
                    "UPDATE messages SET created_at = ?2 WHERE id = ?1",
                    rusqlite::params![id, at],
                )
                .unwrap();
        }
        let ids = |q: SearchQuery| -> Vec<MessageId> {
            let mut ids: Vec<MessageId> = store
                .search(&q)
                .unwrap()
                .into_iter()
                .map(|h| h.message_id)
                .collect();
            ids.sort();
            ids
        };
        let base = SearchQuery::text("budget");
        let sorted = |mut v: Vec<MessageId>| {
            v.sort();
            v
        };
        assert_eq!(ids(base.clone()).len(), 3);
        assert_eq!(
            ids(SearchQuery {
                tag: Some("job".into()),
                ..base.clone()
            }),
            vec![w.id.clone()]
        );
        assert_eq!(
            ids(SearchQuery {
                conversation_id: Some(home.clone()),
                ..base.clone()
            }),
            sorted(vec![h.id.clone(), a.id.clone()])
        );
        assert_eq!(
            ids(SearchQuery {
                model: Some("qwen".into()),
                ..base.clone()
            }),
            vec![w.id.clone()]
        );
        assert_eq!(
            ids(SearchQuery {
                model: Some("smollm".into()),
                ..base.clone()
            }),
            vec![a.id.clone()]
        );
        assert_eq!(
            ids(SearchQuery {
                from: Some(2_000),
                to: Some(3_000),
                ..base.clone()
            }),
            vec![h.id.clone()]
        );
        store.set_archived(&work, true).unwrap();
        assert_eq!(
            ids(SearchQuery {
                archived: Some(false),
                ..base.clone()
            })
            .len(),
            2
        );
        assert_eq!(
            ids(SearchQuery {
                archived: Some(true),
                ..base.clone()
            }),
            vec![w.id.clone()]
        );
        assert_eq!(
            ids(SearchQuery {
                limit: Some(1),
                ..base.clone()
            })
            .len(),
            1
        );
        assert_eq!(
            ids(SearchQuery {
                limit: Some(2),
                offset: 2,
                ..base
            })
            .len(),
            1
        );
    }

    #[test]
    fn streaming_text_is_searchable_once_it_stops_and_edits_reindex() {
        let (store, c) = store_with(&[]);
        let a = store
            .add_message(&c, NewMessage::assistant_streaming(None, None))
            .unwrap();
        store
            .checkpoint_message(&a.id, "halfway through zebra", MessageState::Streaming)
            .unwrap();
        assert!(
            found(&store, "zebra").is_empty(),
            "streaming text is not indexed"
        );
        store
            .checkpoint_message(&a.id, "halfway through zebras", MessageState::Streaming)
            .unwrap();
        store.forget_writers();
        assert_eq!(store.mark_interrupted().unwrap(), 1);
        assert_eq!(found(&store, "zebra"), ["halfway through zebras"]);
        store.check_integrity().unwrap();
    }

    #[test]
    fn deleted_conversations_vanish_from_search() {
        let (store, c) = store_with(&["ephemeral secret plan", "café 日本語のテキスト"]);
        let (other, _) = (
            store
                .create_conversation(NewConversation::default())
                .unwrap()
                .id,
            (),
        );
        store
            .add_message(&other, NewMessage::user(None, "a public plan"))
            .unwrap();
        assert_eq!(found(&store, "plan").len(), 2);
        store.delete_conversation(&c).unwrap();
        assert_eq!(found(&store, "plan"), ["a public plan"]);
        assert!(found(&store, "secret").is_empty());
        assert!(found(&store, "cafe").is_empty());
        assert!(found(&store, "日本語").is_empty());
        assert!(matches!(
            store.conversation(&c),
            Err(StoreError::NotFound { .. })
        ));
        store.check_integrity().unwrap();
    }

    #[test]
    fn split_marked_handles_stray_markers() {
        let raw = format!("a{HIT_START}b{HIT_END}c{HIT_END}d{HIT_START}e");
        let segments = split_marked(&raw);
        let texts: Vec<(&str, bool)> = segments.iter().map(|s| (s.text.as_str(), s.hit)).collect();
        assert_eq!(
            texts,
            [("a", false), ("b", true), ("cd", false), ("e", true)]
        );
    }

    #[test]
    fn scan_snippet_marks_every_occurrence_in_the_window() {
        let text = format!("{}中文和中文{}", "字".repeat(30), "字".repeat(70));
        let segments = scan_snippet(&text, &["中文".to_string()]);
        let hits = segments.iter().filter(|s| s.hit).count();
        assert_eq!(hits, 2);
        assert_eq!(segments.first().map(|s| s.text.as_str()), Some(ELLIPSIS));
        assert_eq!(segments.last().map(|s| s.text.as_str()), Some(ELLIPSIS));
    }

    /// An answer with thinking, finished (so indexed) or only checkpointed.
    fn answer_with_thinking(store: &Store, c: &ConversationId, text: &str, thinking: &str) {
        let a = store
            .add_message(c, NewMessage::assistant_streaming(None, None))
            .unwrap();
        store
            .checkpoint_answer(&a.id, "", Some(thinking), MessageState::Streaming)
            .unwrap();
        store
            .finish_message(
                &a.id,
                &MessageFinish {
                    content: text.into(),
                    state: MessageState::Done,
                    error: None,
                    token_count: None,
                    reasoning: Some(thinking.into()),
                    reasoning_ms: Some(1200),
                },
            )
            .unwrap();
    }

    fn found_in_thinking(store: &Store, text: &str) -> Vec<String> {
        let mut hits: Vec<String> = store
            .search(&SearchQuery {
                thinking: true,
                ..SearchQuery::text(text)
            })
            .unwrap()
            .into_iter()
            .map(|h| h.segments.iter().map(|s| s.text.as_str()).collect())
            .collect();
        hits.sort();
        hits
    }

    #[test]
    fn reasoning_thinking_is_searched_only_when_asked() {
        let (store, c) = store_with(&["a question about herons"]);
        answer_with_thinking(
            &store,
            &c,
            "Herons stand still.",
            "The user wonders about wading birds; 鷺の習性 and 鷺 too.",
        );
        // Words, substrings (trigram) and short unspaced terms: not in thinking by default.
        assert!(found(&store, "wading").is_empty());
        assert!(found(&store, "鷺の習性").is_empty());
        assert!(found(&store, "鷺").is_empty());
        assert_eq!(found(&store, "herons").len(), 2);
        // With thinking, each kind finds it there, snippet cut from the thinking.
        assert_eq!(
            found_in_thinking(&store, "wading"),
            ["The user wonders about wading birds; 鷺の習性 and 鷺 too."]
        );
        assert_eq!(found_in_thinking(&store, "鷺の習性").len(), 1);
        let short = found_in_thinking(&store, "鷺");
        assert_eq!(short.len(), 1);
        assert!(short[0].contains("鷺"), "{short:?}");
        // The answer's own words still count once, wherever they are.
        assert_eq!(found_in_thinking(&store, "herons").len(), 2);
        // A thinking and an answer term together: both columns count.
        assert_eq!(found_in_thinking(&store, "wading still").len(), 1);
        assert!(found(&store, "wading still").is_empty());
        let message = store.active_branch(&c).unwrap();
        let answer = message.last().unwrap();
        assert_eq!(answer.reasoning_ms, Some(1200));
        store.check_integrity().unwrap();
    }

    #[test]
    fn reasoning_thinking_leaves_the_index_with_its_message() {
        let (store, c) = store_with(&[]);
        answer_with_thinking(&store, &c, "answer", "pondering zeugmas");
        assert_eq!(found_in_thinking(&store, "zeugmas").len(), 1);
        store.delete_conversation(&c).unwrap();
        assert!(found_in_thinking(&store, "zeugmas").is_empty());
        store.check_integrity().unwrap();
    }
}

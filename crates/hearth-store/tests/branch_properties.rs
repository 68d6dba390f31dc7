//! Property tests for the conversation message tree: random sequences of questions,
//! answers, edits (a user sibling), regenerations (an assistant sibling) and branch
//! switches, run against the store and against a small in-memory model of the tree
//! (parent links in creation order plus the active leaf). After every operation the
//! active branch, siblings, the message list and a JSON export/import round trip must
//! agree with the model; at the end a `NewIds` copy must be the same tree under new ids,
//! and deleting the conversation must leave nothing of it behind.

use hearth_store::{
    ConversationId, ExportScope, ImportMode, ImportOptions, Message, MessageFinish, MessageId,
    MessageState, NewConversation, NewMessage, Role, Store, StoreError,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

type TestResult = Result<(), TestCaseError>;

/// Turns a store error into a test failure that names the call.
fn ok<T>(what: &str, result: Result<T, StoreError>) -> Result<T, TestCaseError> {
    result.map_err(|err| TestCaseError::fail(format!("{what} failed: {err}")))
}

#[derive(Debug, Clone)]
enum Op {
    /// A question under a message picked among all of them, or a new root when `None`.
    Ask { parent: Option<Index> },
    /// An answer under a picked message (or a root); `finish` false leaves it streaming.
    Answer { parent: Option<Index>, finish: bool },
    /// The ordinary chat step: the next message under the active leaf.
    Continue,
    /// A new answer with the same parent as a picked assistant message.
    Regenerate(Index),
    /// A new question with the same parent as a picked user message.
    Edit(Index),
    /// Show the branch through a picked message.
    Switch(Index),
    /// A message in a second conversation, which must never show up in the first.
    Elsewhere,
}

fn op() -> impl Strategy<Value = Op> {
    let parent = || proptest::option::weighted(0.85, any::<Index>());
    prop_oneof![
        3 => parent().prop_map(|parent| Op::Ask { parent }),
        3 => (parent(), any::<bool>()).prop_map(|(parent, finish)| Op::Answer { parent, finish }),
        4 => Just(Op::Continue),
        2 => any::<Index>().prop_map(Op::Regenerate),
        2 => any::<Index>().prop_map(Op::Edit),
        4 => any::<Index>().prop_map(Op::Switch),
        1 => Just(Op::Elsewhere),
    ]
}

struct Node {
    id: MessageId,
    parent: Option<usize>,
    role: Role,
}

/// The tree as the test expects it: nodes in creation order, indexes as links.
#[derive(Default)]
struct Model {
    nodes: Vec<Node>,
    active: Option<usize>,
}

impl Model {
    fn id(&self, i: usize) -> &MessageId {
        &self.nodes[i].id
    }

    fn has_children(&self, i: usize) -> bool {
        self.nodes.iter().any(|n| n.parent == Some(i))
    }

    fn descends_from(&self, mut i: usize, top: usize) -> bool {
        loop {
            if i == top {
                return true;
            }
            match self.nodes[i].parent {
                Some(p) => i = p,
                None => return false,
            }
        }
    }

    /// The most recently created childless message at or under `top`.
    fn newest_leaf_under(&self, top: usize) -> usize {
        (0..self.nodes.len())
            .rev()
            .find(|&i| !self.has_children(i) && self.descends_from(i, top))
            .unwrap_or(top)
    }

    /// Root first, `leaf` last.
    fn path_to(&self, leaf: usize) -> Vec<usize> {
        let mut path = vec![leaf];
        while let Some(p) = self.nodes[*path.last().unwrap_or(&leaf)].parent {
            path.push(p);
        }
        path.reverse();
        path
    }

    fn ids(&self, indexes: impl IntoIterator<Item = usize>) -> Vec<MessageId> {
        indexes.into_iter().map(|i| self.id(i).clone()).collect()
    }

    fn with_role(&self, role: Role) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].role == role)
            .collect()
    }
}

struct Harness {
    store: Store,
    conv: ConversationId,
    other: ConversationId,
    other_ids: Vec<MessageId>,
    model: Model,
}

fn ids_of(messages: &[Message]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id.clone()).collect()
}

impl Harness {
    fn new() -> Result<Harness, TestCaseError> {
        let store = ok("open_in_memory", Store::open_in_memory())?;
        let conv = ok(
            "create_conversation",
            store.create_conversation(NewConversation::default()),
        )?
        .id;
        let other = ok(
            "create_conversation",
            store.create_conversation(NewConversation::default()),
        )?
        .id;
        Ok(Harness {
            store,
            conv,
            other,
            other_ids: Vec::new(),
            model: Model::default(),
        })
    }

    fn pick(&self, index: &Option<Index>) -> Option<usize> {
        match index {
            Some(ix) if !self.model.nodes.is_empty() => Some(ix.index(self.model.nodes.len())),
            _ => None,
        }
    }

    /// Adds a message under `parent` in both the store and the model.
    fn add(&mut self, parent: Option<usize>, role: Role, finish: bool) -> TestResult {
        let parent_id = parent.map(|p| self.model.id(p).clone());
        let n = self.model.nodes.len();
        let new = match role {
            Role::Assistant => NewMessage::assistant_streaming(parent_id.clone(), Some("m".into())),
            _ => NewMessage::user(parent_id.clone(), format!("question {n}")),
        };
        let added = ok("add_message", self.store.add_message(&self.conv, new))?;
        prop_assert_eq!(&added.parent_id, &parent_id);
        prop_assert_eq!(&added.conversation_id, &self.conv);
        prop_assert!(
            self.model.nodes.iter().all(|node| node.id != added.id),
            "add_message reused id {}",
            added.id
        );
        if role == Role::Assistant && finish {
            let done = ok(
                "finish_message",
                self.store.finish_message(
                    &added.id,
                    &MessageFinish {
                        content: format!("answer {n}"),
                        state: MessageState::Done,
                        error: None,
                        token_count: Some(2),
                        reasoning: None,
                        reasoning_ms: None,
                    },
                ),
            )?;
            prop_assert_eq!(done.state, MessageState::Done);
        }
        self.model.nodes.push(Node {
            id: added.id.clone(),
            parent,
            role,
        });
        self.model.active = Some(n);
        // Property 2: the new message ends the active branch.
        let branch = ok("active_branch", self.store.active_branch(&self.conv))?;
        prop_assert_eq!(branch.last().map(|m| &m.id), Some(&added.id));
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> TestResult {
        match op {
            Op::Ask { parent } => self.add(self.pick(parent), Role::User, true),
            Op::Answer { parent, finish } => self.add(self.pick(parent), Role::Assistant, *finish),
            Op::Continue => match self.model.active {
                None => self.add(None, Role::User, true),
                Some(leaf) if self.model.nodes[leaf].role == Role::User => {
                    self.add(Some(leaf), Role::Assistant, true)
                }
                Some(leaf) => self.add(Some(leaf), Role::User, true),
            },
            Op::Regenerate(ix) => self.add_sibling(ix, Role::Assistant),
            Op::Edit(ix) => self.add_sibling(ix, Role::User),
            Op::Switch(ix) => {
                if self.model.nodes.is_empty() {
                    return Ok(());
                }
                let target = ix.index(self.model.nodes.len());
                self.switch(target)
            }
            Op::Elsewhere => {
                let parent = self.other_ids.last().cloned();
                let added = ok(
                    "add_message elsewhere",
                    self.store
                        .add_message(&self.other, NewMessage::user(parent, "elsewhere")),
                )?;
                // A message of another conversation can be neither shown nor answered here;
                // check() then confirms nothing changed.
                prop_assert!(self.store.switch_branch(&self.conv, &added.id).is_err());
                let foreign = NewMessage::user(Some(added.id.clone()), "foreign parent");
                prop_assert!(self.store.add_message(&self.conv, foreign).is_err());
                self.other_ids.push(added.id);
                Ok(())
            }
        }
    }

    /// Regenerate (assistant) or edit (user): a sibling of a picked message of that role.
    fn add_sibling(&mut self, ix: &Index, role: Role) -> TestResult {
        let candidates = self.model.with_role(role);
        if candidates.is_empty() {
            return Ok(());
        }
        let original = candidates[ix.index(candidates.len())];
        let parent = self.model.nodes[original].parent;
        self.add(parent, role, true)?;
        let new = self.model.nodes.len() - 1;
        let siblings = ok("siblings", self.store.siblings(self.model.id(original)))?;
        prop_assert!(
            ids_of(&siblings.messages).contains(self.model.id(new)),
            "the new sibling is missing from siblings() of the original"
        );
        Ok(())
    }

    fn switch(&mut self, target: usize) -> TestResult {
        let target_id = self.model.id(target).clone();
        let returned = ok(
            "switch_branch",
            self.store.switch_branch(&self.conv, &target_id),
        )?;
        let leaf = self.model.newest_leaf_under(target);
        self.model.active = Some(leaf);
        // Property 2: the branch goes through the target and ends at its newest leaf.
        let returned_ids = ids_of(&returned);
        prop_assert!(
            returned_ids.contains(&target_id),
            "switch_branch({}) returned a branch without it",
            target_id
        );
        prop_assert_eq!(
            returned_ids.last(),
            Some(self.model.id(leaf)),
            "switch_branch did not end at the newest leaf under the target"
        );
        let shown = ok("active_branch", self.store.active_branch(&self.conv))?;
        prop_assert_eq!(ids_of(&shown), returned_ids);
        Ok(())
    }

    /// Properties 1, 3, 4 and 5 for the current state.
    fn check(&self) -> TestResult {
        let store = &self.store;
        let model = &self.model;

        // Property 1: the active branch is a root-to-leaf path of this conversation.
        let branch = ok("active_branch", store.active_branch(&self.conv))?;
        let conversation = ok("conversation", store.conversation(&self.conv))?;
        if let Some(first) = branch.first() {
            prop_assert_eq!(
                &first.parent_id,
                &None,
                "the branch does not start at a root"
            );
        }
        for pair in branch.windows(2) {
            prop_assert_eq!(pair[1].parent_id.as_ref(), Some(&pair[0].id));
        }
        for m in &branch {
            prop_assert_eq!(&m.conversation_id, &self.conv);
        }
        prop_assert_eq!(
            branch.last().map(|m| &m.id),
            conversation.active_leaf_id.as_ref()
        );
        let expected_leaf = model.active.map(|i| model.id(i).clone());
        prop_assert_eq!(&conversation.active_leaf_id, &expected_leaf);
        let expected_branch = model
            .active
            .map(|leaf| model.ids(model.path_to(leaf)))
            .unwrap_or_default();
        prop_assert_eq!(ids_of(&branch), expected_branch);

        // Property 4: exactly the messages added, oldest first, with the model's parents.
        let messages = ok("messages", store.messages(&self.conv))?;
        prop_assert_eq!(ids_of(&messages), model.ids(0..model.nodes.len()));
        for (m, node) in messages.iter().zip(&model.nodes) {
            let parent = node.parent.map(|p| model.id(p).clone());
            prop_assert_eq!(&m.parent_id, &parent);
            prop_assert_eq!(m.role, node.role);
            prop_assert_eq!(&m.conversation_id, &self.conv);
        }
        // No cycles: every parent chain reaches a root within as many steps as messages.
        let parent_of = |id: &MessageId| {
            messages
                .iter()
                .find(|m| &m.id == id)
                .and_then(|m| m.parent_id.clone())
        };
        for m in &messages {
            let mut current = m.parent_id.clone();
            let mut steps = 0;
            while let Some(id) = current {
                steps += 1;
                prop_assert!(
                    steps <= messages.len(),
                    "parent links from {} form a cycle",
                    m.id
                );
                prop_assert!(
                    messages.iter().any(|other| other.id == id),
                    "parent {} of {} is not in the conversation",
                    id,
                    m.id
                );
                current = parent_of(&id);
            }
        }
        let elsewhere = ok("messages elsewhere", store.messages(&self.other))?;
        prop_assert_eq!(ids_of(&elsewhere), self.other_ids.clone());

        // Property 3: siblings are the messages with the same parent, oldest first.
        for (i, node) in model.nodes.iter().enumerate() {
            let siblings = ok("siblings", store.siblings(&node.id))?;
            let expected: Vec<usize> = (0..model.nodes.len())
                .filter(|&j| model.nodes[j].parent == node.parent)
                .collect();
            prop_assert_eq!(ids_of(&siblings.messages), model.ids(expected.clone()));
            prop_assert_eq!(Some(siblings.index), expected.iter().position(|&j| j == i));
            prop_assert_eq!(&siblings.messages[siblings.index].id, &node.id);
        }

        self.check_round_trip(&messages, &branch)
    }

    /// Property 5: export, then import with the same ids into a fresh history.
    fn check_round_trip(&self, messages: &[Message], branch: &[Message]) -> TestResult {
        let doc = ok(
            "export_json",
            self.store
                .export_json(&ExportScope::Conversation(self.conv.clone())),
        )?;
        let json = ok("to_json", doc.to_json())?;
        let fresh = ok("open_in_memory", Store::open_in_memory())?;
        let report = ok(
            "import_json KeepIds",
            fresh.import_json(json.as_bytes(), &ImportOptions::default()),
        )?;
        prop_assert_eq!(&report.conversations, &vec![self.conv.clone()]);
        prop_assert_eq!(report.messages, messages.len());
        let imported = ok("messages after import", fresh.messages(&self.conv))?;
        prop_assert_eq!(&imported, &messages.to_vec());
        let conversation = ok("conversation after import", fresh.conversation(&self.conv))?;
        prop_assert_eq!(
            conversation.active_leaf_id,
            self.model.active.map(|i| self.model.id(i).clone())
        );
        let imported_branch = ok(
            "active_branch after import",
            fresh.active_branch(&self.conv),
        )?;
        prop_assert_eq!(&imported_branch, &branch.to_vec());
        for m in messages {
            let before = ok("siblings", self.store.siblings(&m.id))?;
            let after = ok("siblings after import", fresh.siblings(&m.id))?;
            prop_assert_eq!(after, before);
        }
        Ok(())
    }

    /// A `NewIds` copy is the same tree under fresh ids; deleting the original leaves
    /// nothing of it and does not touch the copy or the other conversation.
    fn finish(self, delete: bool) -> TestResult {
        let store = &self.store;
        let model = &self.model;
        let doc = ok(
            "export_json",
            store.export_json(&ExportScope::Conversation(self.conv.clone())),
        )?;
        let json = ok("to_json", doc.to_json())?;
        let report = ok(
            "import_json NewIds",
            store.import_json(
                json.as_bytes(),
                &ImportOptions {
                    mode: ImportMode::NewIds,
                    ..ImportOptions::default()
                },
            ),
        )?;
        prop_assert_eq!(report.conversations.len(), 1);
        let copy = report.conversations[0].clone();
        prop_assert_ne!(&copy, &self.conv);
        let copied = ok("messages of the copy", store.messages(&copy))?;
        prop_assert_eq!(copied.len(), model.nodes.len());
        for (m, node) in copied.iter().zip(&model.nodes) {
            prop_assert!(
                model.nodes.iter().all(|n| n.id != m.id),
                "the copy reused id {}",
                m.id
            );
            let parent = node.parent.map(|p| copied[p].id.clone());
            prop_assert_eq!(&m.parent_id, &parent);
            prop_assert_eq!(m.role, node.role);
        }
        let copy_leaf = ok("conversation of the copy", store.conversation(&copy))?.active_leaf_id;
        prop_assert_eq!(copy_leaf, model.active.map(|i| copied[i].id.clone()));

        // Importing the same file with the same ids again must be refused.
        let again = store.import_json(json.as_bytes(), &ImportOptions::default());
        prop_assert!(
            matches!(again, Err(StoreError::AlreadyExists { .. })),
            "a KeepIds import over the original was not refused: {:?}",
            again
        );

        if !delete {
            return Ok(());
        }
        ok("delete_conversation", store.delete_conversation(&self.conv))?;
        let gone = store.messages(&self.conv);
        prop_assert!(
            matches!(gone, Err(StoreError::NotFound { .. })),
            "messages() of a deleted conversation: {:?}",
            gone
        );
        let gone = store.active_branch(&self.conv);
        prop_assert!(
            matches!(gone, Err(StoreError::NotFound { .. })),
            "active_branch() of a deleted conversation: {:?}",
            gone
        );
        for node in &model.nodes {
            prop_assert!(
                matches!(store.message(&node.id), Err(StoreError::NotFound { .. })),
                "message {} outlived its conversation",
                node.id
            );
            prop_assert!(store.switch_branch(&self.conv, &node.id).is_err());
        }
        let copied_after = ok("messages of the copy after delete", store.messages(&copy))?;
        prop_assert_eq!(copied_after, copied);
        let elsewhere = ok(
            "messages elsewhere after delete",
            store.messages(&self.other),
        )?;
        prop_assert_eq!(ids_of(&elsewhere), self.other_ids.clone());
        Ok(())
    }
}

/// Runs `ops` against the store and the model, checking after each, then ends the tree
/// with a copy and, if `delete`, the original's deletion.
fn run(ops: &[Op], delete: bool) -> TestResult {
    let mut h = Harness::new()?;
    h.check()?;
    for op in ops {
        h.apply(op)?;
        h.check()?;
    }
    h.finish(delete)
}

// Two properties of 32 cases each rather than one of 64: a property runs on one thread,
// and the test harness runs the two side by side.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn message_tree_matches_the_model_and_its_deletion_leaves_nothing(
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        run(&ops, true)?;
    }

    #[test]
    fn message_tree_matches_the_model_and_its_copy_is_the_same_tree(
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        run(&ops, false)?;
    }
}

//! Keeping a model to its thinking budget, token by token, where the tokens are made.
//!
//! A request with a [`ThinkingBudget`] counts the tokens the model spends inside its
//! thinking; when the count reaches the budget and the thinking has not ended, the
//! engine writes the closing marker into the output itself (as if the model had
//! sampled it) and lets the model go on from there, so it answers with what it has
//! thought so far. This is llama.cpp's way too (`--reasoning-budget`): no second
//! request, no prompt evaluated again. The engine thread only matches the markers here,
//! as it matches stop strings; splitting the thinking out stays on the caller's side.

use crate::request::ThinkingBudget;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Before the output has shown whether it opens with thinking.
    Before { seen: String },
    /// Inside the thinking, with the tokens spent and the recent text (to find the end
    /// marker across tokens).
    Inside { spent: u32, tail: String },
    /// The thinking ended (or never began): nothing more to do.
    Over,
}

/// Follows one generation's output against its budget.
#[derive(Debug, Clone)]
pub struct BudgetWatch {
    budget: ThinkingBudget,
    phase: Phase,
}

impl BudgetWatch {
    pub fn new(budget: ThinkingBudget) -> Self {
        let phase = if budget.inside {
            Phase::Inside {
                spent: 0,
                tail: String::new(),
            }
        } else {
            Phase::Before {
                seen: String::new(),
            }
        };
        Self { budget, phase }
    }

    /// Takes the text of one generated token; returns the text the engine must write
    /// next when this token spent the budget.
    pub fn token(&mut self, text: &str) -> Option<String> {
        match &mut self.phase {
            Phase::Before { seen } => {
                seen.push_str(text);
                let rest = seen.trim_start();
                if let Some(after) = rest.strip_prefix(self.budget.open.as_str()) {
                    let after = after.to_owned();
                    self.phase = Phase::Inside {
                        spent: 0,
                        tail: String::new(),
                    };
                    // The opening token counts; the text after it may already end it.
                    return self.inside(&after);
                }
                if !rest.is_empty() && !self.budget.open.starts_with(rest) {
                    self.phase = Phase::Over;
                }
                None
            }
            Phase::Inside { .. } => self.inside(text),
            Phase::Over => None,
        }
    }

    fn inside(&mut self, text: &str) -> Option<String> {
        let Phase::Inside { spent, tail } = &mut self.phase else {
            return None;
        };
        tail.push_str(text);
        if tail.contains(self.budget.end.as_str()) {
            self.phase = Phase::Over;
            return None;
        }
        // Keep only what could still hold the start of the end marker.
        let keep = self.budget.end.len();
        if tail.len() > keep {
            let mut from = tail.len() - keep;
            while !tail.is_char_boundary(from) {
                from -= 1;
            }
            tail.drain(..from);
        }
        *spent += 1;
        // A budget of 0 still lets one token through: the engine only acts after one.
        if *spent >= self.budget.tokens.max(1) {
            self.phase = Phase::Over;
            return Some(self.budget.close.clone());
        }
        None
    }

    /// Whether the budget was spent and the close written (or is due).
    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn think(tokens: u32, inside: bool) -> BudgetWatch {
        BudgetWatch::new(ThinkingBudget {
            tokens,
            inside,
            open: "<think>".into(),
            end: "</think>".into(),
            close: "</think>".into(),
        })
    }

    #[test]
    fn reasoning_budget_forces_the_close_after_its_tokens() {
        let mut watch = think(3, true);
        assert_eq!(watch.token("One"), None);
        assert_eq!(watch.token(" two"), None);
        assert_eq!(watch.token(" three"), Some("</think>".into()));
        assert!(watch.is_over());
        assert_eq!(watch.token(" four"), None);
    }

    #[test]
    fn reasoning_budget_counts_from_the_opening_marker() {
        let mut watch = think(2, false);
        assert_eq!(watch.token("\n<th"), None);
        assert_eq!(watch.token("ink>"), None);
        assert_eq!(watch.token("a"), Some("</think>".into()));
    }

    #[test]
    fn reasoning_budget_leaves_thinking_that_ended_and_answers_alone() {
        let mut ended = think(3, true);
        assert_eq!(ended.token("ok </th"), None);
        assert_eq!(ended.token("ink>"), None);
        assert!(ended.is_over());
        assert_eq!(ended.token("answer"), None);
        let mut answer = think(1, false);
        assert_eq!(answer.token("Hello"), None);
        assert!(answer.is_over());
        assert_eq!(answer.token(" world"), None);
    }
}

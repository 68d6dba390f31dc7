//! What a summary job takes and gives: style, length and options in; progress events
//! while it runs; the summary with its points and the parts they came from out.

use serde::{Deserialize, Serialize};

use super::chunk::SourceRef;
use super::language::Language;

/// How the summary is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryStyle {
    /// One paragraph.
    #[default]
    Paragraph,
    Bullets,
    /// Several paragraphs.
    Detailed,
    /// One or two sentences.
    Tldr,
    /// Bullet points, each with a short verbatim quote from the source.
    KeyPoints,
}

impl SummaryStyle {
    pub const ALL: [SummaryStyle; 5] = [
        SummaryStyle::Paragraph,
        SummaryStyle::Bullets,
        SummaryStyle::Detailed,
        SummaryStyle::Tldr,
        SummaryStyle::KeyPoints,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SummaryStyle::Paragraph => "paragraph",
            SummaryStyle::Bullets => "bullets",
            SummaryStyle::Detailed => "detailed",
            SummaryStyle::Tldr => "tldr",
            SummaryStyle::KeyPoints => "key_points",
        }
    }

    pub(crate) fn is_list(self) -> bool {
        matches!(self, SummaryStyle::Bullets | SummaryStyle::KeyPoints)
    }
}

/// How long the summary should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryLength {
    Short,
    #[default]
    Medium,
    Long,
    /// About this many words.
    Words(u32),
}

impl SummaryLength {
    /// Target words for the whole summary.
    pub(crate) fn words(self, style: SummaryStyle) -> u32 {
        match (self, style) {
            (SummaryLength::Words(n), _) => n.max(10),
            (_, SummaryStyle::Tldr) => 40,
            (SummaryLength::Short, _) => 80,
            (SummaryLength::Medium, _) => 180,
            (SummaryLength::Long, _) => 400,
        }
    }

    /// Target number of points for list styles.
    pub(crate) fn points(self, style: SummaryStyle) -> u32 {
        (self.words(style) / 30).clamp(3, 15)
    }
}

/// What to summarize and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryOptions {
    pub style: SummaryStyle,
    pub length: SummaryLength,
    /// The summary's language; `None` writes in the document's own language.
    pub language: Option<Language>,
    /// Caps the size of a part in tokens (smaller parts: finer references, more steps).
    /// `None` sizes parts to the model's context.
    pub max_part_tokens: Option<usize>,
    /// Steps run at once; `None` uses every sequence the engine has. 1 runs the map one
    /// part at a time.
    pub parallel: Option<usize>,
}

/// Where a summary job is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum SummaryProgress {
    /// The document is cut into `parts` parts.
    Chunked { parts: usize },
    /// Step `done` of `total` at `level` finished (level 1 is the map over the parts,
    /// higher levels condense notes, the last level writes the summary).
    Step {
        level: u32,
        done: usize,
        total: usize,
    },
}

/// One point (or sentence) of a summary and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryPoint {
    pub text: String,
    /// Indexes into [`Summary::parts`].
    pub parts: Vec<usize>,
    /// A verbatim sentence (cut short) from those parts; key-points style only.
    pub quote: Option<String>,
    /// Paragraph number for paragraph styles (0-based); 0 for lists.
    pub paragraph: usize,
    /// What the point states that the document does not have (the grounding check);
    /// empty when everything checked was found, or nothing was checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<crate::grounding::Finding>,
}

/// A finished summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub style: SummaryStyle,
    /// The summary as Markdown with references ("… [p. 4]").
    pub text: String,
    pub points: Vec<SummaryPoint>,
    /// Every part of the document, in order.
    pub parts: Vec<SourceRef>,
    /// Levels of steps: 1 when the document fit in one step.
    pub levels: u32,
    /// The notes the map took on each part, in order (empty when the document fit in
    /// one step): what the model saw of every part on its way into the summary.
    pub part_notes: Vec<Vec<String>>,
    /// Parts the summary's points cite.
    pub parts_cited: usize,
    pub steps: usize,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub warnings: Vec<String>,
    /// The grounding check's count over the points ("1 of 6 points not found in the
    /// document"); none when the check is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounding: Option<GroundingCount>,
}

/// How many of a result's points (sentences, units) the grounding check could test and
/// how many of those state something the source does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundingCount {
    pub checked: usize,
    pub not_found: usize,
    /// For people: "1 of 6 points not found in the document".
    pub summary: String,
    /// How long the check took, in milliseconds (what it adds to the job).
    #[serde(default)]
    pub millis: u64,
    /// Of the flagged, those the judge read the source as contradicting (thorough).
    #[serde(default)]
    pub contradicted: usize,
    /// The layers that ran, cheapest first.
    #[serde(default)]
    pub layers: Vec<crate::grounding::Layer>,
    /// The judge's model, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
}

//! A summary's points as Markdown, each followed by the pages or sections it came from.

use super::chunk::Chunk;
use super::summary::{SummaryPoint, SummaryStyle};

/// The summary as Markdown, each point followed by its references.
pub(crate) fn render(points: &[SummaryPoint], style: SummaryStyle, chunks: &[Chunk]) -> String {
    // A document read in one part with no pages or headings has nothing to point at;
    // "[part 1]" after every sentence would only be noise.
    let nothing_to_cite = chunks.len() == 1
        && chunks[0].source.first_page.is_none()
        && chunks[0].source.section.is_empty();
    let refs = |parts: &[usize]| -> String {
        if nothing_to_cite {
            return String::new();
        }
        let mut labels: Vec<String> = parts.iter().map(|&i| chunks[i].source.label()).collect();
        labels.dedup();
        if labels.len() > 4 {
            let (first, last) = (labels[0].clone(), labels[labels.len() - 1].clone());
            labels = vec![first, "…".into(), last];
        }
        format!(" [{}]", labels.join("; "))
    };
    if style.is_list() {
        return points
            .iter()
            .map(|p| match &p.quote {
                Some(quote) => format!("- {}{}\n  > \"{}\"", p.text, refs(&p.parts), quote),
                None => format!("- {}{}", p.text, refs(&p.parts)),
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    let mut paragraphs: Vec<String> = Vec::new();
    for point in points {
        let sentence = format!("{}{}", point.text, refs(&point.parts));
        match paragraphs.get_mut(point.paragraph) {
            Some(paragraph) => {
                paragraph.push(' ');
                paragraph.push_str(&sentence);
            }
            None => paragraphs.push(sentence),
        }
    }
    paragraphs.join("\n\n")
}

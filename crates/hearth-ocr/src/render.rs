//! Pixels for OCR: PDF pages rendered by hayro (so JBIG2 and CCITT scans, masks and
//! rotated pages come out as a reader sees them), and images checked by the size their
//! header states before leptonica decodes them.

use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{render, PixmapSettings, RenderCache, RenderSettings};

use crate::{OcrError, DPI, MAX_PIXELS};

/// Largest side hayro renders (its canvas is addressed in 16 bits).
const MAX_SIDE: f32 = 30_000.0;

/// One page as 8-bit grey, a row of `width` bytes after another.
pub struct GreyPage {
    pub pixels: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The resolution it was rendered at: 300, or less for a page too large for that.
    pub dpi: u32,
}

pub struct PdfPages {
    pdf: Pdf,
}

impl PdfPages {
    pub fn open(bytes: Vec<u8>) -> Result<Self, OcrError> {
        let pdf = Pdf::new(Arc::new(bytes)).map_err(|e| OcrError::Page {
            page: 0,
            reason: format!("the PDF could not be opened for OCR ({e:?})"),
        })?;
        Ok(Self { pdf })
    }

    pub fn count(&self) -> u32 {
        u32::try_from(self.pdf.pages().len()).unwrap_or(u32::MAX)
    }

    /// Page `number` (1-based) in grey at 300 DPI, or at the resolution that keeps it
    /// under [`MAX_PIXELS`].
    pub fn render(&self, number: u32) -> Result<GreyPage, OcrError> {
        let pages = self.pdf.pages();
        let page = number
            .checked_sub(1)
            .and_then(|i| pages.get(i as usize))
            .ok_or_else(|| OcrError::Page {
                page: number,
                reason: format!("the PDF has {} pages", pages.len()),
            })?;
        let (width_pt, height_pt) = page.render_dimensions();
        let dpi = fitting_dpi(width_pt, height_pt);
        let scale = dpi / 72.0;
        let cache = RenderCache::new();
        let pixmap = render(
            page,
            &cache,
            &InterpreterSettings::default(),
            &RenderSettings::default(),
            &PixmapSettings {
                x_scale: scale,
                y_scale: scale,
                bg_color: WHITE,
            },
        );
        // Premultiplied over an opaque white background, so alpha is 255 throughout.
        let pixels = pixmap
            .data()
            .iter()
            .map(|p| ((p.r as u32 * 299 + p.g as u32 * 587 + p.b as u32 * 114) / 1000) as u8)
            .collect();
        Ok(GreyPage {
            pixels,
            width: u32::from(pixmap.width()),
            height: u32::from(pixmap.height()),
            dpi: dpi.round() as u32,
        })
    }
}

/// 300 DPI unless the page (in points) would then pass the pixel or side limits.
fn fitting_dpi(width_pt: f32, height_pt: f32) -> f32 {
    let (w, h) = (width_pt.max(1.0), height_pt.max(1.0));
    let by_pixels = 72.0 * ((MAX_PIXELS as f32) / (w * h)).sqrt();
    let by_side = 72.0 * MAX_SIDE / w.max(h);
    DPI.min(by_pixels).min(by_side).max(1.0)
}

/// Refuses an image whose header says it is larger than OCR reads, or that has no size
/// a known format states (then it is not an image leptonica could read either).
pub fn check_image(bytes: &[u8]) -> Result<(), OcrError> {
    let size = imagesize::blob_size(bytes).map_err(|e| OcrError::Page {
        page: 1,
        reason: format!("the image could not be read ({e})"),
    })?;
    let (width, height) = (size.width as u64, size.height as u64);
    if width.saturating_mul(height) > MAX_PIXELS {
        return Err(OcrError::TooLarge {
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_render_at_300_dpi_unless_huge() {
        // A4 in points.
        assert_eq!(fitting_dpi(595.0, 842.0), 300.0);
        // A 5 m poster is rendered smaller, within the pixel budget.
        let dpi = fitting_dpi(14_000.0, 14_000.0);
        let side = 14_000.0 * dpi / 72.0;
        assert!(side * side <= MAX_PIXELS as f32 * 1.01, "{dpi}");
    }

    #[test]
    fn image_bombs_are_refused_by_their_header() {
        // A PNG header claiming 100,000 x 100,000 pixels.
        let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(check_image(&png), Err(OcrError::TooLarge { .. })));
        assert!(check_image(b"not an image").is_err());
    }
}

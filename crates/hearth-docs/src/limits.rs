//! Caps that keep a hostile file from exhausting memory or time.

/// Limits applied while reading. The defaults suit a laptop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most bytes all entries of a zip container (docx, epub) may decompress to, together.
    /// Counted while decompressing, never taken from the zip's headers.
    pub max_unzipped_bytes: u64,
    /// Largest decompressed/compressed ratio of one zip entry. Text compresses about 3-10:1
    /// and XML up to about 30:1; zip bombs reach 1000:1 and more.
    pub max_zip_ratio: u64,
    /// Entries that decompress to no more than this many bytes are never refused for their
    /// ratio: a small file of repeated characters is legitimately highly compressible.
    pub zip_ratio_floor_bytes: u64,
    /// Most entries a zip container may have.
    pub max_zip_entries: usize,
    /// Largest size one compressed stream inside a PDF may decode to (through its whole
    /// filter chain). Counted while decoding; larger streams make the file refused.
    pub max_pdf_stream_bytes: u64,
    /// Most bytes all of a PDF's streams may decode to together, counted while decoding
    /// (images and attached files are not decoded, so they do not count).
    pub max_pdf_decoded_bytes: u64,
    /// Together, a PDF's streams may also decode to at most this many times the file's
    /// size (or 64 MB, whichever is more), so a small file cannot claim the whole
    /// [`Limits::max_pdf_decoded_bytes`]. Real PDFs decode to 2-20 times their size.
    pub max_pdf_expansion: u64,
    /// Most pages read from a PDF; the rest are skipped with a warning.
    pub max_pages: u32,
    /// Most bytes of text kept from one document; the rest is dropped with a warning.
    pub max_text_bytes: usize,
    /// Most table cells kept from one document (spreadsheets, CSV, tables in text
    /// documents); the rest is dropped with a warning. 250,000 is a 10,000-row sheet of
    /// 25 columns, more than a model can be asked about at once.
    pub max_table_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 256 * 1024 * 1024,
            max_unzipped_bytes: 512 * 1024 * 1024,
            max_zip_ratio: 100,
            zip_ratio_floor_bytes: 1024 * 1024,
            max_zip_entries: 10_000,
            max_pdf_stream_bytes: 256 * 1024 * 1024,
            max_pdf_decoded_bytes: 512 * 1024 * 1024,
            max_pdf_expansion: 100,
            max_pages: 10_000,
            max_text_bytes: 64 * 1024 * 1024,
            max_table_cells: 250_000,
        }
    }
}

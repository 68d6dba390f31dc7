//! Tesseract's language data: where it is, what is installed, and what to install.
//!
//! Each language is a `<code>.traineddata` file in a tessdata folder (Debian:
//! `/usr/share/tesseract-ocr/5/tessdata`, one package per language such as
//! `tesseract-ocr-deu`). Codes are ISO 639-2/3 (`eng`, `deu`, `fra`) except where
//! Tesseract splits scripts (`chi_sim`, `chi_tra`).

use std::path::{Path, PathBuf};

/// Folders searched for language data when `TESSDATA_PREFIX` does not name one: Debian
/// and Ubuntu (Tesseract 5 and 4), Fedora, Homebrew on Apple silicon and Intel.
const KNOWN_FOLDERS: &[&str] = &[
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/opt/homebrew/share/tessdata",
    "/usr/local/share/tessdata",
];

/// The folder with the language data: `TESSDATA_PREFIX` (itself or its `tessdata`
/// subfolder) when it holds any, else the first known system folder that does, else the
/// data shipped with the app (the AppImage carries English and orientation data in
/// `usr/share/hearth/tessdata`, beside its `usr/bin`), so OCR works on a system without
/// Tesseract's packages.
pub fn tessdata_dir() -> Option<PathBuf> {
    let from_env = std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from);
    let exe = std::env::current_exe().ok();
    candidates(from_env.as_deref(), exe.as_deref())
        .into_iter()
        .find(|dir| !installed_in(dir).is_empty())
}

/// Where language data is looked for, in order (see [`tessdata_dir`]).
fn candidates(from_env: Option<&Path>, exe: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(prefix) = from_env {
        out.push(prefix.to_path_buf());
        out.push(prefix.join("tessdata"));
    }
    out.extend(KNOWN_FOLDERS.iter().map(PathBuf::from));
    if let Some(bin) = exe.and_then(Path::parent) {
        out.push(bin.join("../share/hearth/tessdata"));
    }
    out
}

/// The languages with data in `dir`, sorted; `osd` (orientation detection) is not a
/// language and is left out.
pub fn installed_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".traineddata").map(str::to_string)
        })
        .filter(|code| code != "osd" && code != "equ")
        .collect();
    out.sort();
    out
}

/// Whether orientation detection (`osd.traineddata`) is installed in `dir`.
pub fn has_orientation_data(dir: &Path) -> bool {
    dir.join("osd.traineddata").is_file()
}

/// The Debian/Ubuntu package that brings a language's data.
pub fn package_for(code: &str) -> String {
    format!("tesseract-ocr-{}", code.replace('_', "-").to_lowercase())
}

/// Tesseract's code for a language given as ISO 639-3 (as `whatlang` names them):
/// mostly the same, except Mandarin (`cmn` → `chi_sim`) and Norwegian Bokmål.
pub fn tesseract_code(iso639_3: &str) -> String {
    match iso639_3 {
        "cmn" => "chi_sim".into(),
        "nob" => "nor".into(),
        "pes" => "fas".into(),
        "zul" | "sna" | "aka" => "eng".into(),
        other => other.to_string(),
    }
}

/// Checks that every language in `wanted` ("eng+deu") is installed in `dir`; the error
/// names the packages that bring the missing ones. Tesseract itself would load the
/// languages it has and silently drop the rest.
pub fn check(dir: Option<&Path>, wanted: &str) -> Result<(), crate::OcrError> {
    let installed = dir.map(installed_in).unwrap_or_default();
    let missing: Vec<&str> = wanted
        .split('+')
        .filter(|code| !code.is_empty() && !installed.iter().any(|i| i == code))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(crate::OcrError::MissingLanguages {
        missing: missing.join(", "),
        packages: missing
            .iter()
            .map(|c| package_for(c))
            .collect::<Vec<_>>()
            .join(" "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_comes_first_the_system_next_and_the_apps_own_data_last() {
        let order = candidates(
            Some(Path::new("/opt/tess")),
            Some(Path::new("/tmp/.mount_hearth/usr/bin/hearth-desktop")),
        );
        assert_eq!(order[0], Path::new("/opt/tess"));
        assert_eq!(order[1], Path::new("/opt/tess/tessdata"));
        assert_eq!(order[2], Path::new(KNOWN_FOLDERS[0]));
        assert_eq!(
            order.last().unwrap(),
            Path::new("/tmp/.mount_hearth/usr/bin/../share/hearth/tessdata")
        );
        assert_eq!(candidates(None, None).len(), KNOWN_FOLDERS.len());
    }

    /// The app's own folder, as an AppImage lays it out, is read through its `..`.
    #[test]
    fn data_beside_the_executable_is_found_through_the_bin_folder() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("usr/share/hearth/tessdata");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("eng.traineddata"), b"data").unwrap();
        std::fs::create_dir_all(root.path().join("usr/bin")).unwrap();
        let exe = root.path().join("usr/bin/hearth-desktop");
        let beside = candidates(None, Some(&exe)).pop().unwrap();
        assert_eq!(installed_in(&beside), ["eng"]);
    }

    #[test]
    fn packages_and_codes() {
        assert_eq!(package_for("deu"), "tesseract-ocr-deu");
        assert_eq!(package_for("chi_sim"), "tesseract-ocr-chi-sim");
        assert_eq!(tesseract_code("cmn"), "chi_sim");
        assert_eq!(tesseract_code("fra"), "fra");
    }

    #[test]
    fn missing_languages_name_their_packages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("eng.traineddata"), b"x").unwrap();
        std::fs::write(dir.path().join("osd.traineddata"), b"x").unwrap();
        assert_eq!(installed_in(dir.path()), ["eng"]);
        assert!(check(Some(dir.path()), "eng").is_ok());
        let err = check(Some(dir.path()), "eng+deu+chi_sim").unwrap_err();
        assert_eq!(
            err.to_string(),
            "OCR needs Tesseract's language data for deu, chi_sim; install tesseract-ocr-deu tesseract-ocr-chi-sim (for example `sudo apt install tesseract-ocr-deu tesseract-ocr-chi-sim`) and try again"
        );
        let err = check(None, "eng").unwrap_err();
        assert!(err.to_string().contains("tesseract-ocr-eng"));
    }
}

//! `config.toml` and `library.json` are shared by every Hearth process (the CLI next to
//! the desktop app, a server): a change made by one is never undone by another that
//! saves a different change from an older copy in its memory, however many write at
//! once, and no temporary file is left behind. (`hearth-cli/tests/shared_settings.rs`
//! does the same with real processes.)

use crate::common;

use std::path::Path;
use std::sync::Arc;

use hearth_core::library::{Library, ModelSource};
use hearth_core::{Config, Hearth, Isolation, OpenOptions, Paths};
use hearth_llm::fake::FakeEngine;

fn open(home: &Path) -> Hearth {
    std::env::set_var("HEARTH_KEYRING", "off");
    Hearth::open(OpenOptions {
        paths: Paths::under(home),
        isolation: Some(Isolation::Provided(Arc::new(FakeEngine::new()))),
    })
    .unwrap()
}

fn names(config: &Config) -> Vec<String> {
    let mut names: Vec<String> = config.providers.iter().map(|p| p.name.clone()).collect();
    names.sort();
    names
}

fn temporary_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.contains(".hearth-"))
        .collect()
}

#[test]
fn a_setting_saved_by_one_process_survives_another_saving_its_own() {
    let home = tempfile::tempdir().unwrap();
    // Both open before either changes anything, as the app and a CLI command do.
    let cli = open(home.path());
    let app = open(home.path());
    cli.save_provider(common::loopback_provider("from-cli"), None)
        .unwrap();
    app.set_offline(true).unwrap();
    app.save_provider(common::loopback_provider("from-app"), None)
        .unwrap();
    cli.update_config(|c| c.threads = Some(3)).unwrap();

    let on_disk = Config::load(&Paths::under(home.path()).config_file()).unwrap();
    assert_eq!(names(&on_disk), ["from-app", "from-cli"]);
    assert!(on_disk.offline);
    assert_eq!(on_disk.threads, Some(3));
    // Each keeps in memory what it wrote, the other's changes included.
    assert_eq!(cli.config(), on_disk);
    assert_eq!(names(&app.config()), ["from-app", "from-cli"]);
}

#[test]
fn a_hundred_writers_at_once_lose_no_change() {
    let home = tempfile::tempdir().unwrap();
    let facades: Vec<Hearth> = (0..4).map(|_| open(home.path())).collect();
    std::thread::scope(|s| {
        for i in 0..100 {
            let hearth = &facades[i % facades.len()];
            s.spawn(move || {
                if i % 2 == 0 {
                    hearth
                        .save_provider(common::loopback_provider(&format!("p{i:03}")), None)
                        .unwrap();
                } else {
                    hearth
                        .update_config(|c| c.redaction.names.push(format!("name-{i:03}")))
                        .unwrap();
                }
            });
        }
    });
    let paths = Paths::under(home.path());
    let on_disk = Config::load(&paths.config_file()).unwrap();
    let expected: Vec<String> = (0..100).step_by(2).map(|i| format!("p{i:03}")).collect();
    assert_eq!(names(&on_disk), expected);
    let mut redacted = on_disk.redaction.names.clone();
    redacted.sort();
    let expected: Vec<String> = (1..100)
        .step_by(2)
        .map(|i| format!("name-{i:03}"))
        .collect();
    assert_eq!(redacted, expected);
    assert_eq!(temporary_files(&paths.config), Vec::<String>::new());
}

#[test]
fn models_added_by_a_hundred_writers_at_once_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data/library.json");
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    for i in 0..100 {
        std::fs::write(models.join(format!("model-{i:03}.gguf")), b"x").unwrap();
    }
    // One library loaded before any change, as a long-running app holds it.
    let mut stale = Library::load(&file).unwrap();
    std::thread::scope(|s| {
        for i in 0..100 {
            let (file, models) = (&file, &models);
            s.spawn(move || {
                let mut library = Library::load(file).unwrap();
                let path = models.join(format!("model-{i:03}.gguf"));
                library.add(&path, None, ModelSource::Linked).unwrap();
            });
        }
    });
    let extra = dir.path().join("extra.gguf");
    std::fs::write(&extra, b"y").unwrap();
    stale.add(&extra, None, ModelSource::Linked).unwrap();
    assert_eq!(
        stale.entries().len(),
        101,
        "the copy in memory is what was written"
    );
    stale.remove("model-000").unwrap();

    let library = Library::load(&file).unwrap();
    let mut ids: Vec<String> = library.entries().iter().map(|e| e.id.clone()).collect();
    ids.sort();
    let mut expected: Vec<String> = (1..100).map(|i| format!("model-{i:03}")).collect();
    expected.insert(0, "extra".into());
    assert_eq!(ids, expected);
    assert_eq!(
        temporary_files(&dir.path().join("data")),
        Vec::<String>::new()
    );
}

//! What a front end shows while models load: `Hearth::model_loads` lists a load that
//! failed with its reason until it is tried again, and nothing for a model that loaded.

#[path = "../../hearth-llm/tests/support/mod.rs"]
#[allow(dead_code)] // only the default model is used here
mod support;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};

#[test]
fn a_failed_load_is_listed_with_its_reason_and_a_loaded_model_is_not() {
    let home = tempfile::tempdir().unwrap();
    let hearth = Hearth::open(OpenOptions {
        paths: Paths::under(home.path()),
        isolation: Some(Isolation::InProcess),
    })
    .unwrap();
    assert!(hearth.model_loads().is_empty());

    let broken = home.path().join("broken.gguf");
    std::fs::write(&broken, b"GGUF but not really a model").unwrap();
    let broken_spec = broken.display().to_string();
    assert!(hearth.engine(Some(&broken_spec)).is_err());
    let loads = hearth.model_loads();
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0].model, "broken.gguf");
    assert_eq!(loads[0].path, broken);
    let reason = loads[0].error.as_deref().expect("the failure is kept");
    assert!(reason.contains("broken.gguf"), "{reason}");

    let model = support::smollm2().display().to_string();
    hearth.engine(Some(&model)).unwrap();
    let loads = hearth.model_loads();
    assert_eq!(
        loads.len(),
        1,
        "only the failed load stays listed: {loads:?}"
    );
    assert_eq!(loads[0].path, broken);
}

//! What a front end shows while models load: `Hearth::model_loads` lists a load that
//! failed with its reason until it is tried again, and nothing for a model that loaded;
//! which draft model a load gets from the settings.

use crate::common;
use crate::support;

#[test]
fn a_failed_load_is_listed_with_its_reason_and_a_loaded_model_is_not() {
    let home = tempfile::tempdir().unwrap();
    let hearth = common::hearth_in(home.path());
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

/// The `draft_model` setting: `auto` finds the catalog's pair in the library (here
/// SmolLM2 added as `smollm2-360m`, and a copy of it as its catalog draft
/// `smollm2-135m`), a named draft model of another tokenizer leaves the model loading
/// without it, a model never drafts for itself, and an unknown name is an error.
#[test]
fn the_draft_model_setting_picks_the_catalogs_pair_and_never_blocks_a_load() {
    let home = tempfile::tempdir().unwrap();
    let hearth = common::hearth_in(home.path());
    let model = support::smollm2();
    let large = hearth
        .add_model(&model, Some("smollm2-360m"), false, true)
        .unwrap();
    let small = hearth
        .add_model(&model, Some("smollm2-135m"), true, false)
        .unwrap();
    assert_ne!(large.path, small.path, "the draft is a copy of its own");
    let draft_of = |choice: &str| {
        hearth.unload_models();
        hearth
            .update_config(|c| c.draft_model = Some(choice.to_owned()))
            .unwrap();
        hearth
            .engine(Some("smollm2-360m"))
            .map(|e| e.info().draft_model)
    };
    assert_eq!(draft_of("auto").unwrap(), Some(small.path.clone()));
    assert_eq!(draft_of("smollm2-135m").unwrap(), Some(small.path.clone()));
    assert_eq!(draft_of("off").unwrap(), None);
    assert_eq!(draft_of("smollm2-360m").unwrap(), None, "not itself");
    let gemma = support::gemma3().display().to_string();
    assert_eq!(
        draft_of(&gemma).unwrap(),
        None,
        "another tokenizer: loaded without"
    );
    let error = draft_of("no-such-model").unwrap_err().to_string();
    assert!(error.contains("no-such-model"), "{error}");
    // Without speculative decoding there is no draft model either.
    hearth.unload_models();
    hearth
        .update_config(|c| {
            c.draft_model = Some("auto".into());
            c.speculative_decoding = false;
        })
        .unwrap();
    let engine = hearth.engine(Some("smollm2-360m")).unwrap();
    assert_eq!(engine.info().draft_model, None);
}

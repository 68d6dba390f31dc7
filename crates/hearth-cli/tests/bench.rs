//! `hearth bench` measures what it names: every repetition's prompt is evaluated in
//! full, none of it served from the engine's prefix cache (which once made pp512 read
//! 100 times llama-bench's; the bench now refuses such a run), in process and through
//! the worker, and the report says where the layers ran.

mod support;

use support::{describe, hearth};

#[test]
fn every_repetition_evaluates_the_whole_prompt() {
    let home = tempfile::tempdir().unwrap();
    let model = support::models::smollm2();
    let output = hearth(home.path())
        .args(["--json", "bench", "--model"])
        .arg(&model)
        .args([
            "--prompt-tokens",
            "64",
            "--gen-tokens",
            "8",
            "-r",
            "3",
            "--rounds",
            "2",
            "-t",
            "2",
            "--worker",
        ])
        .output()
        .unwrap();
    // A run that found prompt tokens in the cache is an error, not a figure.
    assert!(output.status.success(), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for runner in ["hearth", "hearth worker"] {
        for test in ["pp64", "tg8"] {
            let row = report["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["runner"] == runner && r["test"] == test)
                .unwrap_or_else(|| panic!("no {runner} {test} row: {report}"));
            assert!(row["tokens_per_second"].as_f64().unwrap() > 0.0, "{row}");
        }
    }
    assert_eq!(report["placement"], "CPU", "{report}");
    // And the figures are of the work: on a CPU a batched prompt runs a few times faster
    // per token than generation, never hundreds of times (a cached prompt costs nothing).
    let rate = |runner: &str, test: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["runner"] == runner && r["test"] == test)
            .and_then(|r| r["tokens_per_second"].as_f64())
            .unwrap()
    };
    for runner in ["hearth", "hearth worker"] {
        let ratio = rate(runner, "pp64") / rate(runner, "tg8");
        assert!(
            ratio < 30.0,
            "{runner}: pp64 is {ratio:.0} times tg8: {report}"
        );
    }
}

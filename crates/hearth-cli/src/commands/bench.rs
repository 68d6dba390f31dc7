pub fn run(_a: crate::args::BenchArgs, _j: bool) -> anyhow::Result<i32> { anyhow::bail!("bench: not yet") }

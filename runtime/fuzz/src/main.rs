//! Seeded, time-boxed campaign of the runtime fuzzer (stable Rust, no coverage feedback).
//!
//! ```text
//! gridbrain-runtime-fuzz [--seed N] [--seconds S] [--max-blocks B] [--findings DIR]
//! gridbrain-runtime-fuzz --replay FILE      # rerun one saved input, printing each action
//! ```
//!
//! Inputs are random byte strings from a SplitMix64 stream seeded by `--seed`, so the same seed
//! runs the same inputs in the same order (how many fit in the time box depends on the
//! machine). On a broken invariant or a panic it saves the input under `--findings`, prints how
//! to replay it and exits with status 1.

use std::{path::PathBuf, time::Instant};

use clap::Parser;
use gridbrain_runtime_fuzz::{input_name, run_catching, Actors, InputSource, Limits, Stats};

#[derive(Parser, Debug)]
#[command(about = "Fuzz the gridbrain runtime: blocks of random extrinsics, invariants after each")]
struct Cli {
	/// Seed of the input stream.
	#[arg(long, default_value_t = 1)]
	seed: u64,
	/// Time box in seconds.
	#[arg(long, default_value_t = 60)]
	seconds: u64,
	/// Stop after this many inputs (0: only the time box).
	#[arg(long, default_value_t = 0)]
	max_inputs: u64,
	/// Blocks one input may produce.
	#[arg(long, default_value_t = 400)]
	max_blocks: u32,
	/// Input length range in bytes.
	#[arg(long, default_value_t = 512)]
	min_len: usize,
	#[arg(long, default_value_t = 8192)]
	max_len: usize,
	/// Where failing inputs are written.
	#[arg(long, default_value = "fuzz-findings")]
	findings: PathBuf,
	/// Replay one input file instead of running a campaign.
	#[arg(long)]
	replay: Option<PathBuf>,
	/// With --replay: print every action and its outcome.
	#[arg(long)]
	trace: bool,
	/// Print the errors each call failed with.
	#[arg(long)]
	errors: bool,
	/// Print progress every this many seconds.
	#[arg(long, default_value_t = 15)]
	progress: u64,
}

fn main() {
	let cli = Cli::parse();
	let limits = Limits { max_blocks: cli.max_blocks, trace: cli.trace, ..Limits::default() };
	let errors = cli.errors;
	let genesis = gridbrain_runtime_fuzz::genesis_storage();
	let mut actors = Actors::new();
	// Panics are findings: keep their message on stderr, the summary reports them.

	if let Some(path) = cli.replay {
		let data = std::fs::read(&path).unwrap_or_else(|e| {
			eprintln!("cannot read {}: {e}", path.display());
			std::process::exit(2)
		});
		let mut stats = Stats::default();
		let result = run_catching(&genesis, &mut actors, &data, limits, &mut stats);
		print_summary(&stats, 0.0, errors);
		match result {
			Ok(()) => println!("replay: no finding"),
			Err(f) => {
				println!("replay: FINDING {f}");
				std::process::exit(1)
			},
		}
		return;
	}

	let started = Instant::now();
	let mut last_progress = Instant::now();
	let mut source = InputSource::new(cli.seed);
	let mut stats = Stats::default();
	println!(
		"fuzzing the gridbrain runtime: seed {}, {} s, up to {} blocks per input",
		cli.seed, cli.seconds, cli.max_blocks
	);
	while started.elapsed().as_secs() < cli.seconds &&
		(cli.max_inputs == 0 || stats.inputs < cli.max_inputs)
	{
		let data = source.next_input(cli.min_len, cli.max_len);
		if let Err(finding) = run_catching(&genesis, &mut actors, &data, limits, &mut stats) {
			std::fs::create_dir_all(&cli.findings).ok();
			let path = cli.findings.join(input_name(&data));
			let saved = std::fs::write(&path, &data).is_ok();
			print_summary(&stats, started.elapsed().as_secs_f64(), errors);
			println!("FINDING after {} inputs: {finding}", stats.inputs);
			if saved {
				println!("input saved: replay with `gridbrain-runtime-fuzz --replay {}`", path.display());
			}
			std::process::exit(1);
		}
		if last_progress.elapsed().as_secs() >= cli.progress {
			last_progress = Instant::now();
			println!(
				"  {:>4} s: {} inputs, {} blocks, {} extrinsics",
				started.elapsed().as_secs(),
				stats.inputs,
				stats.blocks,
				stats.extrinsics
			);
		}
	}
	print_summary(&stats, started.elapsed().as_secs_f64(), errors);
	println!("no finding");
}

fn print_summary(stats: &Stats, seconds: f64, errors: bool) {
	let per_s = |n: u64| if seconds > 0.0 { n as f64 / seconds } else { 0.0 };
	println!(
		"inputs {} ({:.1}/s), blocks {} ({:.0}/s), extrinsics {} ({:.0}/s); {:.0} % of the time in the runtime",
		stats.inputs,
		per_s(stats.inputs),
		stats.blocks,
		per_s(stats.blocks),
		stats.extrinsics,
		per_s(stats.extrinsics),
		if seconds > 0.0 { 100.0 * stats.runtime_time.as_secs_f64() / seconds } else { 0.0 },
	);
	println!(
		"{:<46} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
		"call", "ok", "failed", "invalid", "errors", "t/w max", "t/w med"
	);
	let mut timing_findings = Vec::new();
	for (name, s) in &stats.calls {
		let failed: u64 = s.errors.values().sum();
		let invalid: u64 = s.invalid.values().sum();
		let (max, med) = s.ratio_max_median().unwrap_or((0.0, 0.0));
		println!(
			"{:<46} {:>8} {:>8} {:>8} {:>8} {:>9.3} {:>9.3}",
			name,
			s.ok,
			failed,
			invalid,
			s.errors.len(),
			max,
			med
		);
		if errors {
			for (e, n) in s.errors.iter().chain(s.invalid.iter()) {
				println!("    {e:<60} {n:>8}");
			}
		}
		if med > 2.0 {
			timing_findings.push(format!("{name}: median time/weight {med:.2}"));
		}
	}
	println!("events of interest:");
	for name in [
		"EnergyData.DeviceRegistered",
		"EnergyData.ReadingsSubmitted",
		"EnergyData.EnergyDataBlockSealed",
		"EnergyData.CertificateRevoked",
		"EnergyMarket.OrderPlaced",
		"EnergyMarket.OrderEvicted",
		"EnergyMarket.TradeExecuted",
		"EnergyMarket.TradeSettled",
		"EnergyMarket.IntervalSettled",
		"FederatedLearning.RoundOpened",
		"FederatedLearning.UpdateRevealed",
		"FederatedLearning.RoundFinalized",
		"FederatedLearning.RoundFailed",
		"FederatedLearning.StrikeRecorded",
	] {
		println!("  {name:<36} {:>8}", stats.events.get(name).copied().unwrap_or(0));
	}
	let called = stats.calls.values().filter(|s| s.dispatched() > 0).count();
	let succeeded = stats.calls.values().filter(|s| s.ok > 0).count();
	let errors: usize = stats.calls.values().map(|s| s.errors.len()).sum();
	println!(
		"coverage: {called} calls dispatched, {succeeded} succeeded at least once, {errors} distinct (call, error) pairs"
	);
	if timing_findings.is_empty() {
		println!("timing: no call's median execution time exceeds 2× its charged weight");
	} else {
		for t in timing_findings {
			println!("timing finding: {t}");
		}
	}
}

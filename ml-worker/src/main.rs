//! `gridbrain-ml-worker`: trains, evaluates and runs the dispatch model.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use gridbrain_aggregation::AggregationRule;
use gridbrain_dispatch::{
	compare::{self, solver_seconds},
	predict::{Knn, Ridge},
	scenario::{shard_hours, test_hours},
	Grid, Profiles,
};
use gridbrain_ml_worker::{
	data::{evaluate, Dataset, ToTensors},
	federated::TrainParams,
	model::{cosine_lr, DispatchNet},
	plot,
	select_device,
	run,
	simulate::{self, Settings},
};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "gridbrain-ml-worker", version, about = "gridbrain's dispatch-model trainer")]
struct Cli {
	/// Test grid.
	#[arg(long, value_enum, default_value_t = GridName::Pglib118, global = true)]
	grid: GridName,
	/// Train on CUDA when built with `--features cuda` and a GPU is present (else the CPU).
	#[arg(long, global = true)]
	cuda: bool,
	/// Use every k-th hour of the year (1 = all 8,784).
	#[arg(long, default_value_t = 1, global = true)]
	hours_step: usize,
	/// Number of shards (validators); shard k is the k-th season.
	#[arg(long, default_value_t = 3, global = true)]
	shards: usize,
	#[command(subcommand)]
	command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum GridName {
	/// IEEE 14-bus (MATPOWER; no branch ratings).
	Ieee14,
	/// IEEE 118-bus (MATPOWER; no branch ratings).
	Ieee118,
	/// PGLib-OPF IEEE 118-bus: rated branches, linear costs.
	Pglib118,
	/// PGLib-OPF IEEE 300-bus: rated branches, a phase shifter, shunts.
	Pglib300,
	/// PGLib-OPF PEGASE 1354-bus: rated branches, six phase shifters.
	Pglib1354,
}

#[derive(Clone, Copy, ValueEnum)]
enum RuleName {
	Fedavg,
	TrimmedMean,
	Median,
}

/// Local training per federated round (`run` and `simulate`).
#[derive(clap::Args)]
struct RoundTraining {
	/// Local epochs per round.
	#[arg(long, default_value_t = 10)]
	epochs: usize,
	#[arg(long, default_value_t = 64)]
	batch: usize,
	#[arg(long, default_value_t = 2e-3)]
	lr: f64,
	/// Seed of the initial model: the same on every worker of a chain.
	#[arg(long, default_value_t = 7)]
	seed: u64,
	/// Cosine decay of the learning rate over this many epochs in all (rounds × local epochs,
	/// counted from round 0) down to 2 % of `--lr`, then held; 0: constant.
	#[arg(long, default_value_t = 0)]
	decay_epochs: usize,
}

impl RoundTraining {
	fn params(&self) -> TrainParams {
		TrainParams {
			epochs: self.epochs,
			batch: self.batch,
			lr: self.lr,
			seed: self.seed,
			decay_epochs: self.decay_epochs,
		}
	}
}

/// Centralized training on all shards (`train-local`, `compare`).
#[derive(clap::Args, Clone, Copy)]
struct CentralTraining {
	/// Training epochs (on all shards).
	#[arg(long, default_value_t = 400)]
	epochs: usize,
	#[arg(long, default_value_t = 64)]
	batch: usize,
	#[arg(long, default_value_t = 1e-3)]
	lr: f64,
	#[arg(long, default_value_t = 7)]
	seed: u64,
}

/// Trains a fresh network for `grid` on `(x, y)` as `t` says, calling `report(epochs done,
/// train MSE, held-out MSE on (tx, ty))` every `every` epochs; returns it and the seconds spent
/// training.
fn train_central(
	grid: &Grid,
	device: &candle_core::Device,
	t: CentralTraining,
	(x, y): &(candle_core::Tensor, candle_core::Tensor),
	(tx, ty): &(candle_core::Tensor, candle_core::Tensor),
	every: usize,
	mut report: impl FnMut(usize, f32, f32),
) -> Result<(DispatchNet, f64)> {
	let CentralTraining { epochs, batch, lr, seed } = t;
	let mut net = DispatchNet::for_grid(grid, seed, device)?;
	let every = every.max(1);
	let start = std::time::Instant::now();
	for e in (0..epochs).step_by(every) {
		let n = every.min(epochs - e);
		let loss = net.train(x, y, n, batch, lr, seed ^ e as u64)?;
		report(e + n, loss, net.loss(tx, ty)?);
	}
	Ok((net, start.elapsed().as_secs_f64()))
}

#[derive(Subcommand)]
enum Command {
	/// The federated loop beside a validator's node: train on this validator's shard, commit,
	/// reveal and exchange signed updates, aggregate with the round's rule, adopt each finalized
	/// global model. Registers the worker on first start.
	Run {
		/// The node's WebSocket RPC endpoint.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		node: String,
		/// File holding the secret URI of the account that signs the worker's transactions:
		/// the validator's own (e.g. `//Alice` on dev and local chains), or, with
		/// `--validator`, an account the validator bound with `setWorkerAccount`. It must not
		/// be readable by group or others (`chmod 600`). Without it the URI comes from the
		/// environment variable `GRIDBRAIN_WORKER_SURI`.
		#[arg(long, conflicts_with = "suri")]
		suri_file: Option<PathBuf>,
		/// The secret URI on the command line, where every local user can read it in the
		/// process list: for throwaway dev accounts only. Prefer `--suri-file`.
		#[arg(long)]
		suri: Option<String>,
		/// The validator (SS58 address) this worker acts for, when it signs with an account of
		/// its own: the validator registers the worker (`registerWorker` with the peer id and
		/// key `identity` prints) and binds the account (`setWorkerAccount`); the worker
		/// waits for both and never holds the validator's secret.
		#[arg(long)]
		validator: Option<String>,
		/// Directory for the worker key, round checkpoints, models and history.csv.
		#[arg(long)]
		base_path: PathBuf,
		/// libp2p listen address (loopback unless told otherwise: give the host's address, or
		/// `/ip4/0.0.0.0/tcp/30555`, for workers on other machines).
		#[arg(long, default_value = "/ip4/127.0.0.1/tcp/30555")]
		listen: libp2p::Multiaddr,
		/// A peer worker to dial, e.g. `/ip4/127.0.0.1/tcp/30556` (repeatable).
		#[arg(long = "peer")]
		peers: Vec<libp2p::Multiaddr>,
		/// This validator's shard (0-based, of `--shards`).
		#[arg(long)]
		shard: usize,
		#[command(flatten)]
		training: RoundTraining,
		/// Exit after adopting this many global models (0: run until stopped).
		#[arg(long, default_value_t = 0)]
		rounds: u32,
		/// Write a PNG of training MSE, held-out MSE and held-out cost gap per finalized round.
		#[arg(long)]
		plot: Option<PathBuf>,
		/// TEST BUILDS ONLY (feature `adversary`): run these attacks instead of behaving, one
		/// set per round from the first round this process trains for (or from
		/// `--attacks-from-round`; comma-separated rounds, `+` joining the attacks of a round,
		/// e.g. `wrong-layout,withhold,withhold-from-one,sign-flip+flood+oversize`); behave
		/// after the last.
		#[cfg(feature = "adversary")]
		#[arg(long, value_delimiter = ',')]
		adversary: Vec<gridbrain_ml_worker::adversary::Attacks>,
		/// TEST BUILDS ONLY (feature `adversary`): behave before this round, attack from it.
		#[cfg(feature = "adversary")]
		#[arg(long)]
		attacks_from_round: Option<u32>,
	},
	/// Prints the worker's libp2p peer id and update-signing key (creating the key in the base
	/// path on first use), as a validator's `registerWorker` needs them: one JSON line with
	/// `peerId` (base58), `peerIdHex` (its bytes) and `workerKey` (hex).
	Identity {
		/// The worker's base path (where `run` keeps `worker.key`).
		#[arg(long)]
		base_path: PathBuf,
	},
	/// Centralized baseline: train on all shards, report held-out metrics and the linear
	/// baseline, save the model.
	TrainLocal {
		#[command(flatten)]
		training: CentralTraining,
		/// Where to write the model (safetensors).
		#[arg(long, default_value = "dispatch-model.safetensors")]
		out: PathBuf,
	},
	/// The learned model against ridge regression and k-nearest neighbours under the
	/// line-safe repair, on held-out scenarios: cost gap, overloads, fallbacks, and time per
	/// scenario (single and batched) against the warm-started solver.
	Compare {
		#[command(flatten)]
		training: CentralTraining,
		/// Neighbours of the kNN baseline.
		#[arg(long, default_value_t = 5)]
		k: usize,
	},
	/// Held-out metrics of a saved model, beside the linear baseline.
	Eval {
		#[arg(long)]
		model: PathBuf,
	},
	/// Set-points of a saved model for one hour of the profiles, against the LP optimum.
	Dispatch {
		#[arg(long)]
		model: PathBuf,
		/// Hour of 2016 (0–8783).
		#[arg(long)]
		hour: usize,
	},
	/// Federated rounds in one process (one worker per shard), with signed updates and the
	/// chain's aggregation rule; compared with centralized training of as many epochs.
	Simulate {
		#[arg(long, default_value_t = 5)]
		rounds: usize,
		#[command(flatten)]
		training: RoundTraining,
		#[arg(long, value_enum, default_value_t = RuleName::TrimmedMean)]
		rule: RuleName,
		/// Trim fraction of the trimmed mean, parts per million.
		#[arg(long, default_value_t = 333_334)]
		trim_ppm: u32,
		/// Worker 0 sends its update sign-flipped and scaled by this factor.
		#[arg(long, default_value_t = 0.0)]
		sign_flip: f64,
		/// Server momentum, parts per million (0: none; at most 990000), as the chain's
		/// `setServerMomentum` sets it for a network's rounds.
		#[arg(long, default_value_t = 0)]
		momentum_ppm: u32,
		/// Write a PNG of the per-round losses and held-out cost gap.
		#[arg(long)]
		plot: Option<PathBuf>,
	},
}

fn grid_of(name: GridName) -> Result<Grid> {
	Ok(match name {
		GridName::Ieee14 => Grid::ieee14()?,
		GridName::Ieee118 => Grid::ieee118()?,
		GridName::Pglib118 => Grid::pglib118()?,
		GridName::Pglib300 => Grid::pglib300()?,
		GridName::Pglib1354 => Grid::pglib1354()?,
	})
}

fn every(hours: Vec<usize>, step: usize) -> Vec<usize> {
	hours.into_iter().step_by(step.max(1)).collect()
}

/// The year's scenarios solved: seasonal training shards, the held-out set, and the linear
/// baseline's held-out metrics.
struct Data {
	test: Dataset,
	shards: Vec<Dataset>,
	all: Dataset,
	linear_metrics: gridbrain_ml_worker::data::Metrics,
}

impl Data {
	fn load(grid: &Grid, profiles: &Profiles, step: usize, shards: usize) -> Result<Data> {
		let total = profiles.hours.len();
		let shards = shards.max(1);
		let test = Dataset::build(grid, profiles, &every(test_hours(total), step), true)?;
		let shard_sets: Vec<Dataset> = (0..shards)
			.map(|k| Ok(Dataset::build(grid, profiles, &every(shard_hours(total, k, shards), step), true)?))
			.collect::<Result<_>>()?;
		let all = Dataset::concat(&shard_sets);
		eprintln!(
			"data: {} training scenarios in {} shards, {} held-out; LP solve {:.2} ms per scenario",
			all.len(),
			shard_sets.len(),
			test.len(),
			1e3 * (all.solve_seconds + test.solve_seconds) / (all.len() + test.len()).max(1) as f64
		);
		let linear = Ridge::fit(&all.x, &all.y, 1e-3)?;
		let linear_metrics = evaluate(grid, &test, |x| Ok(linear.predict(x)))?;
		Ok(Data { test, shards: shard_sets, all, linear_metrics })
	}
}

fn main() -> Result<()> {
	let cli = Cli::parse();
	if let Command::Identity { base_path } = &cli.command {
		let key = run::load_or_create_key(base_path)?;
		let peer = gridbrain_ml_worker::p2p::identity(key.to_bytes())?.public().to_peer_id();
		let out = serde_json::json!({
			"peerId": peer.to_base58(),
			"peerIdHex": format!("0x{}", hex::encode(peer.to_bytes())),
			"workerKey": format!("0x{}", hex::encode(key.verifying_key().to_bytes())),
		});
		println!("{out}");
		return Ok(());
	}
	let device = select_device(cli.cuda);
	let grid = grid_of(cli.grid)?;
	let profiles = Profiles::parse(gridbrain_dispatch::scenario::PROFILES_2016)?;
	let total = profiles.hours.len();
	eprintln!(
		"grid: {} buses, {} generators ({} renewable); device: {:?}",
		grid.problem.bus_count(),
		grid.problem.gen_count(),
		grid.renewables.len(),
		device
	);
	// Solving the year's scenarios takes a while; only the commands that need them do it.
	let load = || Data::load(&grid, &profiles, cli.hours_step, cli.shards);
	match cli.command {
		Command::Run {
			node,
			suri_file,
			suri,
			validator,
			base_path,
			listen,
			peers,
			shard,
			training,
			rounds,
			plot,
			#[cfg(feature = "adversary")]
			adversary,
			#[cfg(feature = "adversary")]
			attacks_from_round,
		} => {
			let suri = run::resolve_suri(suri_file.as_deref(), suri, std::env::var(run::SURI_ENV).ok())?;
			if shard >= cli.shards {
				bail!("--shard {shard} must be below --shards {}", cli.shards);
			}
			let shard_set = Dataset::build(&grid, &profiles, &every(shard_hours(total, shard, cli.shards), cli.hours_step), true)?;
			let test = Dataset::build(&grid, &profiles, &every(test_hours(total), cli.hours_step), true)?;
			eprintln!("data: shard {shard} of {}: {} scenarios; held-out {}", cli.shards, shard_set.len(), test.len());
			let validator = validator
				.map(|v| {
					use sp_core::crypto::Ss58Codec as _;
					gridbrain_runtime::AccountId::from_ss58check(&v).map_err(|e| anyhow::anyhow!("--validator {v}: {e:?}"))
				})
				.transpose()?;
			let opts = run::Options {
				node,
				suri,
				validator,
				base_path,
				listen,
				peers,
				training: training.params(),
				plot,
				rounds,
				grid_name: cli.grid.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default(),
				#[cfg(feature = "adversary")]
				adversary,
				#[cfg(feature = "adversary")]
				attacks_from_round,
			};
			let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
			rt.block_on(run::run(opts, grid.clone(), shard_set, test, device))?;
		},
		Command::Identity { .. } => {},
		Command::TrainLocal { training, out } => {
			let Data { test, all, linear_metrics, .. } = load()?;
			let epochs = training.epochs;
			let (net, secs) = train_central(
				&grid,
				&device,
				training,
				&all.tensors(&device)?,
				&test.tensors(&device)?,
				10,
				|done, loss, held_out| println!("epoch {done:>4}: train MSE {loss:.6}, held-out MSE {held_out:.6}"),
			)?;
			println!(
				"trained {epochs} epochs on {} samples in {secs:.1} s ({:.0} samples/s)",
				all.len(),
				(epochs * all.len()) as f64 / secs
			);
			let m = evaluate(&grid, &test, |x| net.predict(x))?;
			println!("model : {m}");
			println!("linear: {linear_metrics}");
			net.save(&out)?;
			println!("saved {}", out.display());
		},
		Command::Compare { training, k } => {
			let Data { test, all, .. } = load()?;
			println!(
				"{} training and {} held-out scenarios; a branch at its rating in {:.1} % / {:.1} % of them \
				 (mean {:.1} branches)",
				all.len(),
				test.len(),
				100.0 * all.binding_share(),
				100.0 * test.binding_share(),
				all.mean_binding()
			);
			let solver = solver_seconds(&grid, &test)?;
			println!("warm-started solver: {:.3} ms per scenario", 1e3 * solver);
			// The dual simplex (the library repair's fallback) as a solver of its own.
			for warm in [false, true] {
				let (t, unsolved) = compare::simplex_seconds(&grid, &test, warm)?;
				println!(
					"dual simplex from {}: {:.4} ms per scenario ({:.1}x faster than the warm-started solver; {:.1} % left to it)",
					if warm { "the previous scenario's basis" } else { "the merit order" },
					1e3 * t,
					solver / t,
					100.0 * unsolved
				);
			}
			let test_tensors = test.tensors(&device)?;
			let (net, secs) =
				train_central(&grid, &device, training, &all.tensors(&device)?, &test_tensors, 50, |done, loss, held_out| {
					eprintln!("  epoch {done:>4}: train MSE {loss:.6}, held-out MSE {held_out:.6}")
				})?;
			eprintln!("  trained in {secs:.1} s");
			let (tx, _) = test_tensors;
			let ridge = Ridge::fit(&all.x, &all.y, 1e-3)?;
			let knn = Knn::fit(&all.x, &all.y, k)?;
			// The basis library of the training optima (the repair's second form).
			let library = all.library();
			println!(
				"basis library: {} distinct optimal bases of {} training scenarios; held-out scenarios whose own basis is in it: {:.1} %",
				library.len(),
				all.len(),
				100.0 * test.covered_share(&library)
			);
			println!(
				"{:<8} {:<9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9} {:>8} {:>10} {:>11} {:>9} {:>9}",
				"model", "repair", "mean gap", "repaired", "worst", "overload", "after", "fallback", "optimum", "single ms", "batched ms", "single x", "batched x"
			);
			let n = test.len().max(1) as f64;
			let row = |name: &str, single: f64, batched_rows: Vec<Vec<f32>>, batched: f64| -> Result<()> {
				for (repair, lib) in [("line-safe", None), ("library", Some(&library))] {
					let e = compare::evaluate(&grid, &test, &batched_rows, batched, lib)?;
					let single_total = single / n + e.repair_seconds;
					let batched_total = e.predict_seconds + e.repair_seconds;
					println!(
						"{name:<8} {repair:<9} {:>8.3}% {:>8.3}% {:>8.3}% {:>8.1}% {:>6.1}% {:>8.1}% {:>7.1}% {:>10.4} {:>11.4} {:>9.1} {:>9.1}",
						100.0 * e.mean_gap,
						100.0 * e.repaired_gap,
						100.0 * e.worst_gap,
						100.0 * e.overloaded_before,
						100.0 * e.infeasible_after,
						100.0 * e.fallback,
						100.0 * e.optimal,
						1e3 * single_total,
						1e3 * batched_total,
						solver / single_total,
						solver / batched_total
					);
				}
				Ok(())
			};
			// The learned model: one row at a time, and the whole held-out set in one batch.
			let start = std::time::Instant::now();
			for x in &test.x {
				net.predict(x)?;
			}
			let single = start.elapsed().as_secs_f64();
			let start = std::time::Instant::now();
			let out = net.forward(&tx)?.to_vec2::<f32>()?;
			let batched = start.elapsed().as_secs_f64();
			row("mlp", single, out, batched)?;
			let start = std::time::Instant::now();
			let rows: Vec<Vec<f32>> = test.x.iter().map(|x| ridge.predict(x)).collect();
			let t = start.elapsed().as_secs_f64();
			row("ridge", t, rows, t)?;
			let start = std::time::Instant::now();
			let rows: Vec<Vec<f32>> = test.x.iter().map(|x| knn.predict(x)).collect();
			let t = start.elapsed().as_secs_f64();
			row(&format!("knn-{k}"), t, rows, t)?;
			// The ideal predictor (the optimum itself, through f32 positions): what the repair and
			// the certificate cost when the prediction is right.
			row("optimum", 0.0, test.y.clone(), 0.0)?;
		},
		Command::Eval { model } => {
			let Data { test, linear_metrics, .. } = load()?;
			let mut net = DispatchNet::for_grid(&grid, 0, &device)?;
			net.load(&model)?;
			let start = std::time::Instant::now();
			let m = evaluate(&grid, &test, |x| net.predict(x))?;
			let infer = start.elapsed().as_secs_f64() / test.len().max(1) as f64;
			let lp = test.solve_seconds / test.len().max(1) as f64;
			println!("model : {m}");
			println!("linear: {linear_metrics}");
			println!(
				"time per scenario: model + repair {:.3} ms, LP {:.3} ms (ratio {:.3})",
				1e3 * infer,
				1e3 * lp,
				infer / lp
			);
		},
		Command::Dispatch { model, hour } => {
			let mut net = DispatchNet::for_grid(&grid, 0, &device)?;
			net.load(&model)?;
			let s = grid.scenario(&profiles, hour).with_context(|| format!("hour {hour} is not in 0..{total}"))?;
			let frac = net.predict(&grid.features(&s))?;
			let pg = grid.setpoints(&frac, &s);
			let repaired = grid.problem.repair(&pg, &s.loads_mw, &s.pmax_mw, &mut Default::default())?;
			if repaired.fallback {
				println!("the repaired prediction failed its check: showing the solver's dispatch");
			}
			let repaired = repaired.pg_mw;
			let opt = grid.problem.solve(&s.loads_mw, &s.pmax_mw)?;
			println!("hour {hour}: demand {:.1} MW", s.loads_mw.iter().sum::<f64>());
			println!("{:>4} {:>6} {:>10} {:>10} {:>10}", "gen", "bus", "avail MW", "model MW", "LP MW");
			for (k, ((p, o), m)) in repaired.iter().zip(&opt.pg_mw).zip(&s.pmax_mw).enumerate() {
				let bus = grid.problem.network.bus_ids[grid.problem.gen_bus[k]];
				println!("{k:>4} {bus:>6} {m:>10.2} {p:>10.2} {o:>10.2}");
			}
			let cost = grid.problem.cost(&repaired);
			println!("cost: model {cost:.2} $/h, LP {:.2} $/h, gap {:.3} %", opt.cost, 100.0 * (cost - opt.cost) / opt.cost);
		},
		Command::Simulate { rounds, training, rule, trim_ppm, sign_flip, momentum_ppm, plot } => {
			let TrainParams { epochs, batch, lr, seed, decay_epochs } = training.params();
			let rule = match rule {
				RuleName::Fedavg => AggregationRule::FedAvg { max_samples: 100_000 },
				RuleName::TrimmedMean => AggregationRule::TrimmedMean { trim_ppm },
				RuleName::Median => AggregationRule::Median,
			};
			if rule.validate().is_err() {
				bail!("invalid rule {rule:?}");
			}
			let Data { test, shards, all, linear_metrics } = load()?;
			if momentum_ppm > gridbrain_aggregation::MAX_MOMENTUM_PPM {
				bail!("--momentum-ppm {momentum_ppm} is above {}", gridbrain_aggregation::MAX_MOMENTUM_PPM);
			}
			let settings = Settings { rounds, training: training.params(), rule, sign_flip, momentum_ppm };
			println!("round  train-MSE  test-MSE  mean-gap  worst-gap  infeasible-after  seconds  params-hash");
			let (_, reports) = simulate::run(&grid, &shards, &test, &device, &settings, |r| {
				println!(
					"{:>5}  {:>9.6}  {:>8.6}  {:>7.3}%  {:>8.3}%  {:>15.1}%  {:>7.1}  0x{}",
					r.round,
					r.train_loss,
					r.test_loss,
					100.0 * r.metrics.mean_gap,
					100.0 * r.metrics.worst_gap,
					100.0 * r.metrics.infeasible_after,
					r.seconds,
					r.params_hash.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>()
				)
			})?;
			// Centralized training with the same number of epochs (and learning rates) over all
			// the data.
			let mut central = DispatchNet::for_grid(&grid, seed, &device)?;
			let (x, y) = all.tensors(&device)?;
			let (tx, ty) = test.tensors(&device)?;
			central.train_scheduled(&x, &y, rounds * epochs, batch, |e| cosine_lr(lr, e, decay_epochs), seed)?;
			let cm = evaluate(&grid, &test, |x| central.predict(x))?;
			if let Some(last) = reports.last() {
				println!("federated  : held-out MSE {:.6}, {}", last.test_loss, last.metrics);
			}
			println!("centralized: held-out MSE {:.6}, {cm}", central.loss(&tx, &ty)?);
			println!("linear     : {linear_metrics}");
			if let Some(path) = plot {
				let train: Vec<f64> = reports.iter().map(|r| f64::from(r.train_loss)).collect();
				let test: Vec<f64> = reports.iter().map(|r| f64::from(r.test_loss)).collect();
				let gap: Vec<f64> = reports.iter().map(|r| 100.0 * r.metrics.mean_gap).collect();
				gridbrain_ml_worker::plot::write_png(
					&path,
					&[
						vec![
							plot::Series { values: &train, color: [31, 119, 180] },
							plot::Series { values: &test, color: [214, 39, 40] },
						],
						vec![plot::Series { values: &gap, color: [44, 160, 44] }],
					],
				)?;
				println!(
					"plot: {} (left: training MSE blue, held-out MSE red; right: held-out mean cost gap green; x: rounds {}..{}, y: 0..max)",
					path.display(),
					0,
					rounds.saturating_sub(1)
				);
			}
		},
	}
	Ok(())
}

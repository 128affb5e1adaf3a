//! Tests of the worker's model, updates, signatures and aggregation (CPU; small data so they
//! run quickly in debug builds).

use candle_core::{Device, Tensor};
use ed25519_dalek::SigningKey;
use gridbrain_aggregation::{self as agg, AggregationRule};
use gridbrain_dispatch::{predict::Ridge, scenario::shard_hours, Grid, Profiles};
use gridbrain_ml_worker::{
	data::{evaluate, Dataset, ToTensors},
	federated::{aggregate, check_update, from_safetensors, make_update, sign_update, to_safetensors, verify_update, Rejected},
	model::DispatchNet,
	select_device,
	simulate::sign_flipped,
};

fn small_data(shard: usize, step: usize) -> (Grid, Dataset) {
	let grid = Grid::ieee14().unwrap();
	let profiles = Profiles::shipped();
	let hours: Vec<usize> = shard_hours(profiles.hours.len(), shard, 3).into_iter().step_by(step).collect();
	let data = Dataset::build(&grid, &profiles, &hours, false).unwrap();
	(grid, data)
}

fn net(grid: &Grid, seed: u64) -> DispatchNet {
	DispatchNet::for_grid(grid, seed, &Device::Cpu).unwrap()
}

#[test]
fn forward_has_one_fraction_per_generator_and_training_lowers_the_loss() {
	let (grid, data) = small_data(0, 40);
	assert!(data.len() >= 50, "{} samples", data.len());
	let (x, y) = data.tensors(&Device::Cpu).unwrap();
	let mut m = net(&grid, 1);
	let out = m.forward(&x).unwrap();
	assert_eq!(out.dims(), &[data.len(), grid.problem.gen_count()]);
	let v: Vec<f32> = out.flatten_all().unwrap().to_vec1().unwrap();
	assert!(v.iter().all(|f| (0.0..=1.0).contains(f)));
	let before = m.loss(&x, &y).unwrap();
	m.train(&x, &y, 40, 16, 3e-3, 1).unwrap();
	let after = m.loss(&x, &y).unwrap();
	assert!(after < 0.7 * before, "MSE {before} -> {after}");
}

#[test]
fn same_seed_and_data_give_the_same_update_bytes() {
	let (grid, data) = small_data(1, 80);
	let (x, y) = data.tensors(&Device::Cpu).unwrap();
	let global = net(&grid, 5).to_fixed().unwrap();
	let key = SigningKey::from_bytes(&[9; 32]);
	let run = || {
		let mut m = net(&grid, 5);
		m.train(&x, &y, 3, 8, 1e-3, 42).unwrap();
		make_update(&m.to_fixed().unwrap(), &global, 0, data.len() as u64, &key).unwrap()
	};
	let (a, b) = (run(), run());
	assert_eq!(a.bytes, b.bytes);
	assert_eq!(a.hash, b.hash);
	assert_eq!(a.signature, b.signature);
	// A different training seed changes the update.
	let mut m = net(&grid, 5);
	m.train(&x, &y, 3, 8, 1e-3, 43).unwrap();
	let c = make_update(&m.to_fixed().unwrap(), &global, 0, data.len() as u64, &key).unwrap();
	assert_ne!(a.hash, c.hash);
}

#[test]
fn fixed_point_parameters_round_trip_through_the_network_and_safetensors() {
	let (grid, _) = small_data(0, 400);
	let a = net(&grid, 3);
	let fixed = a.to_fixed().unwrap();
	assert_eq!(fixed.tensors().len(), 8);
	let b = net(&grid, 4);
	assert_ne!(b.to_fixed().unwrap(), fixed);
	b.load_fixed(&fixed).unwrap();
	assert_eq!(b.to_fixed().unwrap(), fixed);
	let bytes = to_safetensors(&fixed).unwrap();
	assert_eq!(from_safetensors(&bytes).unwrap(), fixed);
	// An f32 checkpoint is not an update.
	let path = std::env::temp_dir().join(format!("gb-worker-test-{}.safetensors", std::process::id()));
	a.save(&path).unwrap();
	let f32_bytes = std::fs::read(&path).unwrap();
	let _ = std::fs::remove_file(&path);
	assert!(from_safetensors(&f32_bytes).is_err());
}

#[test]
fn updates_verify_only_with_the_right_key_hash_and_bytes() {
	let (grid, _) = small_data(0, 400);
	let global = net(&grid, 1).to_fixed().unwrap();
	let local = net(&grid, 2).to_fixed().unwrap();
	let key = SigningKey::from_bytes(&[1; 32]);
	let other = SigningKey::from_bytes(&[2; 32]);
	let u = make_update(&local, &global, 7, 100, &key).unwrap();
	let delta = verify_update(&u, &key.verifying_key(), &u.hash).unwrap();
	assert_eq!(global.apply(&delta).unwrap(), local);
	assert!(verify_update(&u, &other.verifying_key(), &u.hash).is_err(), "wrong key");
	assert!(verify_update(&u, &key.verifying_key(), &[0; 32]).is_err(), "not the revealed hash");
	let mut tampered = u.clone();
	if let Some(b) = tampered.bytes.last_mut() {
		*b ^= 1;
	}
	assert!(verify_update(&tampered, &key.verifying_key(), &u.hash).is_err(), "tampered bytes");
	let mut replayed = u.clone();
	replayed.round = 8;
	assert!(verify_update(&replayed, &key.verifying_key(), &u.hash).is_err(), "other round");
}

#[test]
fn two_workers_get_the_same_aggregate_from_updates_in_different_orders() {
	let (grid, _) = small_data(0, 400);
	let global = net(&grid, 1).to_fixed().unwrap();
	let updates: Vec<(u64, agg::Model)> = (2..6)
		.map(|s| (100 * s, net(&grid, s).to_fixed().unwrap().delta_from(&global).unwrap()))
		.collect();
	for rule in [
		AggregationRule::FedAvg { max_samples: 300 },
		AggregationRule::TrimmedMean { trim_ppm: 250_000 },
		AggregationRule::Median,
	] {
		let a = aggregate(&rule, 0, &global, &updates).unwrap();
		let mut shuffled = updates.clone();
		shuffled.rotate_left(1);
		shuffled.swap(0, 2);
		let b = aggregate(&rule, 0, &global, &shuffled).unwrap();
		assert_eq!(a.encode(), b.encode(), "{rule:?}");
		assert_eq!(a.hash(), b.hash());
	}
}

#[test]
fn under_server_momentum_the_global_model_carries_its_velocity_and_workers_still_agree() {
	let (grid, _) = small_data(0, 400);
	let key = SigningKey::from_bytes(&[3; 32]);
	let rule = AggregationRule::TrimmedMean { trim_ppm: 250_000 };
	let mut global = net(&grid, 1).to_fixed().unwrap();
	let mut previous_step = None;
	for round in 0..2u32 {
		// Local models trained from the global model's parameters (the velocity is ignored).
		let base = net(&grid, 1);
		base.load_fixed(&global).unwrap();
		assert_eq!(base.to_fixed().unwrap(), global.params());
		let updates: Vec<(u64, agg::Model)> = (2..6)
			.map(|s| {
				let local = net(&grid, s + u64::from(round)).to_fixed().unwrap();
				let signed = make_update(&local, &global, round, 100, &key).unwrap();
				// Checked against the global model (velocity and all) as a reference.
				let checked = check_update(&signed, &key.verifying_key(), &global).unwrap();
				(100, checked)
			})
			.collect();
		let next = aggregate(&rule, 700_000, &global, &updates).unwrap();
		let mut reversed = updates.clone();
		reversed.reverse();
		assert_eq!(aggregate(&rule, 700_000, &global, &reversed).unwrap().hash(), next.hash());
		assert!(next.has_velocity());
		let step = next.params().delta_from(&global.params()).unwrap();
		assert_eq!(step, next.velocity(), "the parameters moved by the carried velocity");
		if let Some(prev) = previous_step.replace(step.clone()) {
			// Round 2's step is its plain aggregate plus ⌊0.7 × round 1's step⌋.
			let plain = aggregate(&rule, 0, &global, &updates).unwrap().delta_from(&global.params()).unwrap();
			for ((s, p), v) in step.tensors().iter().zip(plain.tensors()).zip(prev.tensors()) {
				for ((&s, &p), &v) in s.values.iter().zip(&p.values).zip(&v.values) {
					assert_eq!(s, p + (i128::from(v) * 700_000).div_euclid(1_000_000) as i64);
				}
			}
			assert_ne!(step, plain);
		}
		global = next;
	}
	// An update shaped like the global model (velocity tensors included) is refused on arrival:
	// a worker cannot push the velocity directly.
	let forged = sign_update(2, to_safetensors(&global).unwrap(), 100, &key);
	assert_eq!(check_update(&forged, &key.verifying_key(), &global).err(), Some(Rejected::WrongLayout));
}

#[test]
fn a_sign_flipped_update_is_trimmed_away_but_moves_fedavg() {
	let grid = small_data(0, 400).0;
	let global = net(&grid, 1).to_fixed().unwrap();
	// Three honest local models trained on the three seasons, one attacker.
	let mut honest = Vec::new();
	for shard in 0..3 {
		let (_, data) = small_data(shard, 120);
		let (x, y) = data.tensors(&Device::Cpu).unwrap();
		let mut m = net(&grid, 1);
		m.train(&x, &y, 3, 8, 3e-3, shard as u64).unwrap();
		honest.push(m.to_fixed().unwrap());
	}
	let attacker = sign_flipped(&global, &honest[0], 50.0).unwrap();
	let deltas = |models: &[agg::Model]| -> Vec<(u64, agg::Model)> {
		models.iter().map(|m| (100, m.delta_from(&global).unwrap())).collect()
	};
	let mut all = honest.clone();
	all.push(attacker);
	// Four updates, one bad: trimming a quarter drops the extremes of every coordinate.
	let rule = AggregationRule::TrimmedMean { trim_ppm: 250_000 };
	let robust = aggregate(&rule, 0, &global, &deltas(&all)).unwrap();
	let fedavg = aggregate(&AggregationRule::FedAvg { max_samples: 1000 }, 0, &global, &deltas(&all)).unwrap();
	let honest_avg = aggregate(&AggregationRule::FedAvg { max_samples: 1000 }, 0, &global, &deltas(&honest)).unwrap();
	let dist = |a: &agg::Model, b: &agg::Model| -> f64 {
		a.tensors()
			.iter()
			.zip(b.tensors())
			.flat_map(|(x, y)| x.values.iter().zip(&y.values).map(|(p, q)| agg::from_fixed(p - q) as f64))
			.map(|d| d * d)
			.sum::<f64>()
			.sqrt()
	};
	let (d_robust, d_fedavg) = (dist(&robust, &honest_avg), dist(&fedavg, &honest_avg));
	assert!(d_robust * 5.0 < d_fedavg, "trimmed mean {d_robust} vs FedAvg {d_fedavg} from the honest mean");
	// Every coordinate stays within the honest models' range.
	for (ti, t) in robust.tensors().iter().enumerate() {
		for (j, v) in t.values.iter().enumerate() {
			let col: Vec<i64> = honest.iter().map(|m| m.tensors()[ti].values[j]).collect();
			assert!(col.iter().min().unwrap() <= v && v <= col.iter().max().unwrap());
		}
	}
}

#[test]
fn linear_baseline_fits_a_linear_map_and_metrics_are_sane() {
	let (grid, data) = small_data(2, 60);
	let lin = Ridge::fit(&data.x, &data.y, 1e-6).unwrap();
	let m = evaluate(&grid, &data, |x| Ok(lin.predict(x))).unwrap();
	assert_eq!(m.n, data.len());
	assert!(m.mean_gap >= -1e-6 && m.worst_gap >= m.mean_gap, "{m}");
	assert_eq!(m.infeasible_after, 0.0, "repair always restores feasibility here");
	// Predicting the optimum itself gives a zero gap.
	let mut k = 0;
	let exact = evaluate(&grid, &data, |_| {
		k += 1;
		Ok(data.y[k - 1].clone())
	})
	.unwrap();
	assert!(exact.mean_gap.abs() < 1e-3, "{exact}");
}

#[test]
fn cuda_request_without_a_gpu_falls_back_to_the_cpu() {
	let d = select_device(true);
	if !cfg!(feature = "cuda") {
		assert!(matches!(d, Device::Cpu));
	}
	let t = Tensor::new(&[1.0f32, 2.0], &d).unwrap();
	assert_eq!(t.to_vec1::<f32>().unwrap(), vec![1.0, 2.0]);
}

#[test]
fn plot_writes_a_png_of_the_rounds() {
	use gridbrain_ml_worker::plot::{write_png, Series};
	let path = std::env::temp_dir().join(format!("gb-plot-test-{}.png", std::process::id()));
	let loss = [0.9, 0.5, 0.3, 0.2];
	let gap = [9.0, 4.0, 1.5, 1.2];
	write_png(&path, &[vec![Series { values: &loss, color: [0, 0, 255] }], vec![Series { values: &gap, color: [0, 128, 0] }]])
		.unwrap();
	let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
	let mut reader = decoder.read_info().unwrap();
	let mut buf = vec![0; reader.output_buffer_size()];
	let info = reader.next_frame(&mut buf).unwrap();
	let _ = std::fs::remove_file(&path);
	assert_eq!((info.width, info.height), (840, 300));
	// Both series' colours were drawn.
	let px: Vec<[u8; 3]> = buf.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
	assert!(px.contains(&[0, 0, 255]) && px.contains(&[0, 128, 0]));
}

#[test]
fn a_cosine_schedule_decays_from_the_rate_to_its_floor_and_rounds_continue_it() {
	use gridbrain_ml_worker::{federated::TrainParams, model::{cosine_lr, COSINE_FLOOR}};
	let base = 2e-3;
	assert_eq!(cosine_lr(base, 0, 100), base);
	assert!((cosine_lr(base, 50, 100) - base * (1.0 + COSINE_FLOOR) / 2.0).abs() < 1e-15);
	assert!((cosine_lr(base, 100, 100) - base * COSINE_FLOOR).abs() < 1e-15);
	assert_eq!(cosine_lr(base, 1_000, 100), cosine_lr(base, 100, 100), "held at the floor after the end");
	assert_eq!(cosine_lr(base, 77, 0), base, "0 epochs: constant");
	let rates: Vec<f64> = (0..=100).map(|e| cosine_lr(base, e, 100)).collect();
	assert!(rates.windows(2).all(|w| w[1] < w[0]), "strictly decreasing over the schedule");
	// Round r's local epoch j is epoch r · epochs + j of the schedule.
	let p = TrainParams { epochs: 4, batch: 8, lr: base, seed: 1, decay_epochs: 40 };
	assert_eq!(p.lr_at(3, 2), cosine_lr(base, 14, 40));
	assert_eq!(p.lr_at(u32::MAX, usize::MAX), base * COSINE_FLOOR, "saturates, no overflow");
	let constant = TrainParams { decay_epochs: 0, ..p };
	assert_eq!(constant.lr_at(9, 3), base);
}

#[test]
fn the_scheduled_rate_is_the_one_training_uses() {
	let (grid, data) = small_data(0, 40);
	let (x, y) = data.tensors(&Device::Cpu).unwrap();
	// A rate of 0 (weight decay scales with it) leaves every parameter as it was...
	let mut m = net(&grid, 3);
	let before = m.to_fixed().unwrap().hash();
	m.train_scheduled(&x, &y, 2, 16, |_| 0.0, 5).unwrap();
	assert_eq!(m.to_fixed().unwrap().hash(), before);
	// ...and a rate above 0 in a later epoch moves them.
	let mut a = net(&grid, 3);
	a.train_scheduled(&x, &y, 3, 16, |e| if e == 0 { 0.0 } else { 1e-3 }, 5).unwrap();
	assert_ne!(a.to_fixed().unwrap().hash(), before);
}

#![allow(
	clippy::arithmetic_side_effects,
	clippy::indexing_slicing,
	clippy::unwrap_used,
	clippy::expect_used
)]

use super::*;
use alloc::{string::ToString, vec};
use proptest::prelude::*;

const ONE: i64 = 1 << FRAC_BITS;

fn model(values: &[i64]) -> Model {
	Model::new(vec![
		Tensor::new("b".into(), vec![1], values[..1].to_vec()).unwrap(),
		Tensor::new("a.weight".into(), vec![values.len() as u32 - 1], values[1..].to_vec()).unwrap(),
	])
	.unwrap()
}

fn contrib(models: &[Model], samples: &[u64]) -> Vec<(u64, Model)> {
	samples.iter().copied().zip(models.iter().cloned()).collect()
}

fn run(rule: AggregationRule, items: &[(u64, Model)]) -> Result<Model, Error> {
	let c: Vec<_> = items.iter().map(|(n, m)| Contribution { num_samples: *n, update: m }).collect();
	aggregate(&rule, &c)
}

fn column(rule: AggregationRule, values: &[i64]) -> i64 {
	let mut c: Vec<_> = values.iter().map(|&v| (v, 1)).collect();
	aggregate_column(&rule, &mut c).unwrap()
}

#[test]
fn to_fixed_is_exact_on_representable_values_and_rounds_half_away_from_zero() {
	assert_eq!(to_fixed(1.0), Ok(ONE));
	assert_eq!(to_fixed(-0.5), Ok(-ONE / 2));
	assert_eq!(to_fixed(0.0), Ok(0));
	// 2^-25 is half a unit: rounds away from zero.
	let half_unit = 1.0f32 / (1u64 << 25) as f32;
	assert_eq!(to_fixed(half_unit), Ok(1));
	assert_eq!(to_fixed(-half_unit), Ok(-1));
	// A quarter unit rounds to zero.
	assert_eq!(to_fixed(half_unit / 2.0), Ok(0));
	assert_eq!(to_fixed(1e30), Ok(i64::MAX));
	assert_eq!(to_fixed(-1e30), Ok(i64::MIN));
	assert_eq!(to_fixed(f32::NAN), Err(Error::NonFinite));
	assert_eq!(to_fixed(f32::INFINITY), Err(Error::NonFinite));
	assert_eq!(from_fixed(ONE + ONE / 2), 1.5);
}

#[test]
fn model_rejects_duplicates_and_bad_shapes_and_sorts_by_name() {
	let t = |n: &str| Tensor { name: n.into(), shape: vec![2], values: vec![1, 2] };
	assert_eq!(Model::new(vec![t("x"), t("x")]), Err(Error::DuplicateTensor));
	let bad = Tensor { name: "y".into(), shape: vec![3], values: vec![1, 2] };
	assert_eq!(Model::new(vec![bad]), Err(Error::ShapeMismatch));
	assert_eq!(Tensor::new("y".into(), vec![2, 2], vec![0; 3]), Err(Error::ShapeMismatch));
	let m = Model::new(vec![t("z"), t("a")]).unwrap();
	let names: Vec<_> = m.tensors().iter().map(|t| t.name.clone()).collect();
	assert_eq!(names, ["a", "z"]);
	assert_eq!(m.len(), 4);
	assert_eq!(m.tensor("z").unwrap().values, vec![1, 2]);
	assert!(m.tensor("q").is_none());
	assert_eq!(Tensor::from_f32("t".into(), vec![1], &[f32::NAN]), Err(Error::NonFinite));
}

#[test]
fn encoding_is_the_documented_layout() {
	let m = Model::new(vec![Tensor::new("w".into(), vec![1, 2], vec![1, -1]).unwrap()]).unwrap();
	let mut want = b"GBFX".to_vec();
	for x in [1u32, 24, 1, 1] {
		want.extend_from_slice(&x.to_le_bytes());
	}
	want.push(b'w');
	for x in [2u32, 1, 2] {
		want.extend_from_slice(&x.to_le_bytes());
	}
	want.extend_from_slice(&1i64.to_le_bytes());
	want.extend_from_slice(&(-1i64).to_le_bytes());
	assert_eq!(m.encode(), want);
	assert_eq!(m.hash(), sp_crypto_hashing::blake2_256(&want));
	assert_eq!(Model::decode(&want), Ok(m));
}

#[test]
fn decode_rejects_non_canonical_bytes() {
	let m = model(&[1, 2, 3]);
	let bytes = m.encode();
	let mut trailing = bytes.clone();
	trailing.push(0);
	assert_eq!(Model::decode(&trailing), Err(Error::Malformed));
	assert_eq!(Model::decode(&bytes[..bytes.len() - 1]), Err(Error::Malformed));
	let mut magic = bytes.clone();
	magic[0] = b'X';
	assert_eq!(Model::decode(&magic), Err(Error::Malformed));
	let mut frac = bytes.clone();
	frac[8] = 16;
	assert_eq!(Model::decode(&frac), Err(Error::Malformed));
	// Two tensors in the wrong order: swap "a.weight" and "b" by re-encoding by hand.
	let unsorted = Model { tensors: m.tensors().iter().rev().cloned().collect() };
	assert_eq!(Model::decode(&unsorted.encode()), Err(Error::Malformed));
	// A huge shape can't make the decoder allocate or overflow.
	let mut huge = b"GBFX".to_vec();
	for x in [1u32, 24, 1, 1] {
		huge.extend_from_slice(&x.to_le_bytes());
	}
	huge.push(b'w');
	for x in [2u32, u32::MAX, u32::MAX] {
		huge.extend_from_slice(&x.to_le_bytes());
	}
	assert_eq!(Model::decode(&huge), Err(Error::Malformed));
}

#[test]
fn fedavg_weights_by_capped_samples_and_rounds_down() {
	let rule = AggregationRule::FedAvg { max_samples: 100 };
	let mut c = vec![(10, 1), (20, 3)];
	assert_eq!(aggregate_column(&rule, &mut c), Ok(17)); // (10 + 60) / 4 = 17.5
	let mut c = vec![(-10, 1), (-20, 3)];
	assert_eq!(aggregate_column(&rule, &mut c), Ok(-18)); // −17.5 rounds toward −∞
	// A worker claiming a billion samples counts as 100.
	let mut c = vec![(0, 100), (1000, 1_000_000_000)];
	assert_eq!(aggregate_column(&rule, &mut c), Ok(500));
	let mut c = vec![(5, 0), (7, 0)];
	assert_eq!(aggregate_column(&rule, &mut c), Err(Error::NoWeight));
}

#[test]
fn trimmed_mean_and_median_on_known_columns() {
	let tm = AggregationRule::TrimmedMean { trim_ppm: 200_000 };
	assert_eq!(tm.trimmed_per_side(5), 1);
	assert_eq!(tm.trimmed_per_side(4), 0);
	assert_eq!(column(tm, &[100, 1, -100, 3, 2]), 2);
	assert_eq!(column(AggregationRule::TrimmedMean { trim_ppm: 0 }, &[1, 2, 4]), 2);
	assert_eq!(column(AggregationRule::Median, &[9, -1, 5]), 5);
	assert_eq!(column(AggregationRule::Median, &[-3, -2]), -3);
	assert_eq!(column(AggregationRule::Median, &[4, 1, 2, 100]), 3);
	let mut empty: Vec<(i64, u64)> = vec![];
	assert_eq!(aggregate_column(&AggregationRule::Median, &mut empty), Err(Error::NoUpdates));
}

#[test]
fn rules_validate_their_parameters() {
	assert_eq!(AggregationRule::FedAvg { max_samples: 0 }.validate(), Err(Error::InvalidRule));
	assert_eq!(AggregationRule::FedAvg { max_samples: 1 }.validate(), Ok(()));
	assert_eq!(AggregationRule::TrimmedMean { trim_ppm: 500_000 }.validate(), Err(Error::InvalidRule));
	assert_eq!(AggregationRule::TrimmedMean { trim_ppm: 499_999 }.validate(), Ok(()));
	assert_eq!(AggregationRule::Median.validate(), Ok(()));
	let m = model(&[1, 2]);
	assert_eq!(
		run(AggregationRule::TrimmedMean { trim_ppm: 600_000 }, &[(1, m)]),
		Err(Error::InvalidRule)
	);
}

#[test]
fn aggregate_checks_its_inputs() {
	assert_eq!(run(AggregationRule::Median, &[]), Err(Error::NoUpdates));
	let items = vec![(1, model(&[1, 2])), (1, model(&[1, 2, 3]))];
	assert_eq!(run(AggregationRule::Median, &items), Err(Error::LayoutMismatch));
	let items = vec![(0, model(&[1, 2])), (0, model(&[3, 4]))];
	assert_eq!(run(AggregationRule::FedAvg { max_samples: 5 }, &items), Err(Error::NoWeight));
	assert_eq!(model(&[1, 2]).apply(&model(&[1, 2, 3])), Err(Error::LayoutMismatch));
}

#[test]
fn next_global_adds_the_aggregate_to_the_base() {
	let base = model(&[ONE, 0, -ONE]);
	let items = contrib(&[model(&[2, 4, 6]), model(&[4, 8, 12])], &[1, 1]);
	let next = next_global(&AggregationRule::FedAvg { max_samples: 10 }, &base, &items
		.iter()
		.map(|(n, m)| Contribution { num_samples: *n, update: m })
		.collect::<Vec<_>>())
	.unwrap();
	assert_eq!(next, model(&[ONE + 3, 6, -ONE + 9]));
	let local = model(&[ONE + 5, 1, 1]);
	assert_eq!(local.delta_from(&base).unwrap(), model(&[5, 1, ONE + 1]));
	assert_eq!(base.apply(&local.delta_from(&base).unwrap()).unwrap(), local);
}

fn with_velocity(params: &Model, velocity: &[i64]) -> Model {
	let v = model(velocity);
	let mut tensors = params.tensors().to_vec();
	tensors.extend(v.tensors().iter().map(|t| Tensor { name: alloc::format!("{VELOCITY_PREFIX}{}", t.name), ..t.clone() }));
	Model::new(tensors).unwrap()
}

fn step(momentum_ppm: u32, base: &Model, updates: &[Model]) -> Result<Model, Error> {
	let c: Vec<_> = updates.iter().map(|m| Contribution { num_samples: 1, update: m }).collect();
	next_global_with_momentum(&AggregationRule::FedAvg { max_samples: 10 }, momentum_ppm, base, &c)
}

#[test]
fn momentum_zero_is_next_global_and_carries_no_velocity() {
	let base = model(&[ONE, 0, -ONE]);
	let ups = [model(&[2, 4, 6]), model(&[4, 8, 12])];
	let next = step(0, &base, &ups).unwrap();
	assert_eq!(next, model(&[ONE + 3, 6, -ONE + 9]));
	assert!(!next.has_velocity());
	// A velocity the base carries is dropped when momentum is switched off.
	assert_eq!(step(0, &with_velocity(&base, &[100, 100, 100]), &ups).unwrap(), next);
}

#[test]
fn momentum_adds_the_decayed_previous_step_and_carries_the_new_one() {
	let p0 = model(&[0, 0, 0]);
	// Round 1, no velocity yet: the step is the aggregate (3, 6, 9).
	let g1 = step(500_000, &p0, &[model(&[2, 4, 6]), model(&[4, 8, 12])]).unwrap();
	assert_eq!(g1, with_velocity(&model(&[3, 6, 9]), &[3, 6, 9]));
	assert_eq!(g1.params(), model(&[3, 6, 9]));
	assert_eq!(g1.velocity(), model(&[3, 6, 9]));
	// Round 2: step = aggregate (−2, 0, 2) + ⌊0.5·(3, 6, 9)⌋ = (−1, 3, 6).
	let g2 = step(500_000, &g1, &[model(&[-2, 0, 2])]).unwrap();
	assert_eq!(g2, with_velocity(&model(&[2, 9, 15]), &[-1, 3, 6]));
	// Rounding is toward −∞: ⌊0.5·(−1)⌋ = −1, ⌊0.5·3⌋ = 1.
	let g3 = step(500_000, &g2, &[model(&[0, 0, 0])]).unwrap();
	assert_eq!(g3, with_velocity(&model(&[1, 10, 18]), &[-1, 1, 3]));
}

#[test]
fn momentum_checks_its_inputs() {
	let base = with_velocity(&model(&[0, 0, 0]), &[1, 1, 1]);
	assert_eq!(step(MAX_MOMENTUM_PPM + 1, &base, &[model(&[1, 1, 1])]), Err(Error::InvalidRule));
	assert!(step(MAX_MOMENTUM_PPM, &base, &[model(&[1, 1, 1])]).is_ok());
	// Updates are against the parameters: one that carries the velocity's layout is rejected.
	assert_eq!(step(500_000, &base, core::slice::from_ref(&base)), Err(Error::LayoutMismatch));
	assert_eq!(step(500_000, &base, &[model(&[1, 1])]), Err(Error::LayoutMismatch));
	assert_eq!(step(500_000, &base, &[]), Err(Error::NoUpdates));
	let bad = AggregationRule::TrimmedMean { trim_ppm: PPM };
	assert_eq!(next_global_with_momentum(&bad, 0, &base, &[]), Err(Error::InvalidRule));
	// A model without velocity tensors has velocity 0.
	assert_eq!(model(&[5, 6, 7]).velocity(), model(&[0, 0, 0]));
	assert_eq!(base.params(), model(&[0, 0, 0]));
}

#[test]
fn commitment_binds_hash_salt_and_account() {
	let h = [1u8; 32];
	let s = [2u8; 32];
	let c = commitment(&h, &s, &[7u8; 32]);
	let mut concat = vec![1u8; 32];
	concat.extend([2u8; 32]);
	concat.extend([7u8; 32]);
	assert_eq!(c, sp_crypto_hashing::blake2_256(&concat));
	assert_ne!(c, commitment(&h, &s, &[8u8; 32]));
	assert_ne!(c, commitment(&h, &[3u8; 32], &[7u8; 32]));
	assert_ne!(c, commitment(&[0u8; 32], &s, &[7u8; 32]));
}

#[test]
fn quorum_is_two_thirds_rounded_up() {
	let table = [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (32, 22)];
	for (p, t) in table {
		assert_eq!(quorum_threshold(p), t, "participants {p}");
	}
	assert!(!quorum_reached(0, 0));
	assert!(!quorum_reached(1, 3));
	assert!(quorum_reached(2, 3));
	assert!(!quorum_reached(2, 4));
	assert!(quorum_reached(3, 4));
}

fn any_rule() -> impl Strategy<Value = AggregationRule> {
	prop_oneof![
		(1u64..1000).prop_map(|max_samples| AggregationRule::FedAvg { max_samples }),
		(0u32..500_000).prop_map(|trim_ppm| AggregationRule::TrimmedMean { trim_ppm }),
		Just(AggregationRule::Median),
	]
}

/// `n` models of `dim` parameters with values in ±2^40 and sample counts.
fn any_updates() -> impl Strategy<Value = Vec<(u64, Model)>> {
	(1usize..9, 2usize..6).prop_flat_map(|(n, dim)| {
		prop::collection::vec(
			(1u64..2000, prop::collection::vec(-(1i64 << 40)..(1i64 << 40), dim)),
			n,
		)
		.prop_map(|v| v.into_iter().map(|(s, vals)| (s, model(&vals))).collect())
	})
}

proptest! {
	#[test]
	fn to_fixed_round_trips_within_half_a_unit(x in -1.0e6f32..1.0e6f32) {
		let back = f64::from(from_fixed(to_fixed(x).unwrap()));
		let unit = 1.0 / SCALE;
		// Half a fixed-point unit, plus the f32 rounding of the way back.
		prop_assert!((back - f64::from(x)).abs() <= unit / 2.0 + f64::from(x).abs() * 1.2e-7);
	}

	#[test]
	fn encoding_round_trips(items in any_updates()) {
		for (_, m) in &items {
			prop_assert_eq!(&Model::decode(&m.encode()).unwrap(), m);
		}
	}

	#[test]
	fn momentum_is_order_free_and_its_velocity_is_the_step_taken(
		rule in any_rule(),
		items in any_updates(),
		momentum_ppm in 0u32..=MAX_MOMENTUM_PPM,
		previous in prop::collection::vec(-(1i64 << 40)..(1i64 << 40), 5),
	) {
		let dim = items[0].1.len();
		let params = model(&vec![7; dim]);
		let base = with_velocity(&params, &previous[..dim]);
		let c: Vec<_> = items.iter().map(|(n, m)| Contribution { num_samples: *n, update: m }).collect();
		let mut reversed = c.clone();
		reversed.reverse();
		let next = next_global_with_momentum(&rule, momentum_ppm, &base, &c).unwrap();
		prop_assert_eq!(next.hash(), next_global_with_momentum(&rule, momentum_ppm, &base, &reversed).unwrap().hash());
		// The parameters moved by exactly the carried velocity...
		prop_assert_eq!(next.params(), params.apply(&next.velocity()).unwrap());
		// ...which is the aggregate plus the decayed previous velocity, never larger than both.
		let agg = aggregate(&rule, &c).unwrap();
		for ((v, a), p) in next.velocity().tensors().iter().zip(agg.tensors()).zip(base.velocity().tensors()) {
			for ((&v, &a), &p) in v.values.iter().zip(&a.values).zip(&p.values) {
				let kept = v - a;
				prop_assert!(kept.abs() <= p.abs());
				prop_assert_eq!(kept, (i128::from(p) * i128::from(momentum_ppm)).div_euclid(i128::from(PPM)) as i64);
			}
		}
		prop_assert_eq!(next.has_velocity(), momentum_ppm > 0);
	}

	#[test]
	fn aggregate_bytes_do_not_depend_on_input_order(
		rule in any_rule(),
		items in any_updates(),
		seed in any::<u64>(),
	) {
		let mut shuffled = items.clone();
		// Fisher–Yates with a small LCG, so the permutation is part of the test case.
		let mut s = seed;
		for i in (1..shuffled.len()).rev() {
			s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
			shuffled.swap(i, (s >> 33) as usize % (i + 1));
		}
		let a = run(rule, &items).unwrap();
		let b = run(rule, &shuffled).unwrap();
		prop_assert_eq!(a.encode(), b.encode());
		prop_assert_eq!(a.hash(), b.hash());
	}

	#[test]
	fn every_rule_stays_within_the_range_of_its_inputs(rule in any_rule(), items in any_updates()) {
		let out = run(rule, &items).unwrap();
		for (ti, t) in out.tensors().iter().enumerate() {
			for (j, v) in t.values.iter().enumerate() {
				let col = items.iter().map(|(_, m)| m.tensors()[ti].values[j]);
				let (lo, hi) = (col.clone().min().unwrap(), col.max().unwrap());
				prop_assert!(lo <= *v && *v <= hi);
			}
		}
	}

	/// Honest updates lie within ±`spread` of a common value; `f` adversaries sign-flip an
	/// honest update scaled up, send a huge norm or a constant. With `f ≤ k` (trimmed mean) or
	/// `f < n/2` (median) every coordinate stays between the smallest and largest honest value.
	#[test]
	fn robust_rules_are_bounded_by_honest_values(
		honest in prop::collection::vec(prop::collection::vec(-1000i64..1000, 4), 3..12),
		attack in 0u8..3,
		trim_ppm in 100_000u32..500_000,
		scale in 2i64..1_000_000,
	) {
		let n_honest = honest.len();
		let centre = 5 * ONE;
		let honest: Vec<Model> =
			honest.iter().map(|d| model(&d.iter().map(|x| centre + x).collect::<Vec<_>>())).collect();
		let adversarial = |k: usize| -> Model {
			let h = honest[k % n_honest].tensors().iter().flat_map(|t| t.values.clone());
			let vals: Vec<i64> = match attack {
				0 => h.map(|v| -v.saturating_mul(scale)).collect(),
				1 => h.map(|_| i64::MAX / 2).collect(),
				_ => h.map(|_| -7 * ONE).collect(),
			};
			// Put the bias value (`b`) first, as `model` expects.
			let mut ordered = vec![vals[vals.len() - 1]];
			ordered.extend_from_slice(&vals[..vals.len() - 1]);
			model(&ordered)
		};
		let rules = [
			AggregationRule::TrimmedMean { trim_ppm },
			AggregationRule::Median,
		];
		for rule in rules {
			// The most adversaries the rule tolerates, given the total n = honest + f.
			let mut f = 0usize;
			loop {
				let n = n_honest + f + 1;
				let ok = match rule {
					AggregationRule::TrimmedMean { .. } => f < rule.trimmed_per_side(n),
					_ => 2 * (f + 1) < n,
				};
				if !ok { break; }
				f += 1;
			}
			let mut items: Vec<(u64, Model)> = honest.iter().cloned().map(|m| (1, m)).collect();
			items.extend((0..f).map(|k| (1, adversarial(k))));
			let out = run(rule, &items).unwrap();
			for (ti, t) in out.tensors().iter().enumerate() {
				for (j, v) in t.values.iter().enumerate() {
					let col = honest.iter().map(|m| m.tensors()[ti].values[j]);
					let (lo, hi) = (col.clone().min().unwrap(), col.max().unwrap());
					prop_assert!(lo <= *v && *v <= hi, "{:?} f={} v={} not in [{}, {}]", rule, f, v, lo, hi);
				}
			}
		}
	}
}

#[test]
fn names_are_utf8_and_round_trip() {
	let m = Model::new(vec![Tensor::new("ǵrïd.w".to_string(), vec![], vec![42]).unwrap()]).unwrap();
	assert_eq!(Model::decode(&m.encode()), Ok(m));
}

mod agreement_tests {
	use crate::{
		agreement::{coordinate_median, realised_imbalance, zone_net_kw, Imbalance},
		quorum_threshold, Error,
	};
	use alloc::vec::Vec;
	use proptest::prelude::*;

	#[test]
	fn median_takes_the_lower_middle_value_per_coordinate() {
		let rows: [&[i64]; 4] = [&[1, 40], &[4, 10], &[3, 20], &[2, 30]];
		// Sorted columns: [1, 2, 3, 4] and [10, 20, 30, 40]; index ⌊3/2⌋ = 1.
		assert_eq!(coordinate_median(&rows), Ok(vec![2, 20]));
		assert_eq!(coordinate_median(&rows[..3]), Ok(vec![3, 20]));
		assert_eq!(coordinate_median(&rows[..1]), Ok(vec![1, 40]));
		assert_eq!(coordinate_median(&[]), Err(Error::NoUpdates));
		assert_eq!(
			coordinate_median(&[&[1, 2], &[1]]),
			Err(Error::LayoutMismatch)
		);
		assert_eq!(coordinate_median(&[&[], &[]]), Ok(vec![]));
	}

	#[test]
	fn zone_net_kw_is_average_power_at_the_bus() {
		// 1 kWh consumed in a minute is 60 kW on average; 1,000 metered watts per bus kW.
		assert_eq!(zone_net_kw(0, 1_000, 60, 1), Some(60));
		assert_eq!(zone_net_kw(0, 1_000, 60, 1_000), Some(60_000));
		assert_eq!(zone_net_kw(1_000, 0, 60, 1), Some(-60));
		// 1 Wh in an hour is 1 W: 0.001 kW rounds toward −∞.
		assert_eq!(zone_net_kw(0, 1, 3_600, 1), Some(0));
		assert_eq!(zone_net_kw(1, 0, 3_600, 1), Some(-1));
		assert_eq!(zone_net_kw(0, 1, 0, 1), None);
		assert_eq!(zone_net_kw(0, u64::MAX, 1, u32::MAX), None);
		assert_eq!(zone_net_kw(u64::MAX, u64::MAX, 1, u32::MAX), Some(0));
	}

	#[test]
	fn imbalance_is_actual_minus_forecast() {
		assert_eq!(
			realised_imbalance(&[100, -50, 0], &[120, -80, 0]),
			Ok(Imbalance {
				per_zone_kw: vec![20, -30, 0],
				net_kw: -10,
				absolute_kw: 50
			})
		);
		assert_eq!(realised_imbalance(&[1], &[]), Err(Error::LayoutMismatch));
		let huge = realised_imbalance(&[i64::MIN, i64::MIN], &[i64::MAX, i64::MAX]).unwrap();
		assert_eq!(huge.net_kw, i64::MAX);
		assert_eq!(huge.absolute_kw, u64::MAX - 1);
	}

	fn rows_strategy() -> impl Strategy<Value = Vec<Vec<i64>>> {
		(1usize..6).prop_flat_map(|dims| {
			proptest::collection::vec(
				proptest::collection::vec(-1_000_000i64..1_000_000, dims),
				1..12,
			)
		})
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(256))]

		/// The median is a submitted value of each coordinate and does not depend on the order.
		#[test]
		fn median_is_a_submitted_value_and_order_free(mut rows in rows_strategy(), seed in any::<u64>()) {
			let refs: Vec<&[i64]> = rows.iter().map(|r| r.as_slice()).collect();
			let m = coordinate_median(&refs).unwrap();
			for (j, v) in m.iter().enumerate() {
				prop_assert!(rows.iter().any(|r| r[j] == *v));
				let below = rows.iter().filter(|r| r[j] < *v).count();
				let at_most = rows.iter().filter(|r| r[j] <= *v).count();
				let k = (rows.len() - 1) / 2;
				prop_assert!(below <= k && k < at_most);
			}
			let n = rows.len();
			let mut s = seed;
			for i in (1..n).rev() {
				s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
				rows.swap(i, (s >> 33) as usize % (i + 1));
			}
			let refs: Vec<&[i64]> = rows.iter().map(|r| r.as_slice()).collect();
			prop_assert_eq!(coordinate_median(&refs).unwrap(), m);
		}

		/// With `n` participants of which fewer than `n/3` are adversarial, any quorum of
		/// submissions (≥ ⌈2n/3⌉, adversaries' values arbitrary, chosen last to pull one way) has
		/// a median inside the honest submissions' range in every coordinate.
		#[test]
		fn median_stays_within_the_honest_range(
			n in 1u32..40,
			extra in 0u32..40,
			honest in proptest::collection::vec(proptest::collection::vec(-1_000i64..1_000, 3), 40),
			pull in prop_oneof![Just(i64::MIN), Just(i64::MAX), -1_000_000i64..1_000_000],
		) {
			let f = (n - 1) / 3; // the most adversaries below n/3
			let q = (quorum_threshold(n) + extra).min(n);
			let adversarial = f.min(q) as usize;
			let honest_in = q as usize - adversarial;
			prop_assume!(honest_in >= 1);
			let mut rows: Vec<Vec<i64>> = honest[..honest_in].to_vec();
			rows.extend((0..adversarial).map(|_| vec![pull; 3]));
			let refs: Vec<&[i64]> = rows.iter().map(|r| r.as_slice()).collect();
			let m = coordinate_median(&refs).unwrap();
			for j in 0..3 {
				let lo = honest[..honest_in].iter().map(|r| r[j]).min().unwrap();
				let hi = honest[..honest_in].iter().map(|r| r[j]).max().unwrap();
				prop_assert!(lo <= m[j] && m[j] <= hi, "coordinate {j}: {} outside [{lo}, {hi}]", m[j]);
			}
		}
	}
}

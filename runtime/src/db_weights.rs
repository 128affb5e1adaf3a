
//! THIS FILE WAS AUTO-GENERATED USING THE SUBSTRATE BENCHMARK CLI VERSION 64.0.0
//! DATE: 2026-12-05 (Y/M/D)
//! HOSTNAME: `vm`, CPU: `Intel(R) Xeon(R) Processor @ 2.80GHz`
//!
//! DATABASE: `ParityDb`, RUNTIME: `gridbrain development`
//! BLOCK-NUM: `Number(54)`
//! SKIP-WRITE: `false`, SKIP-READ: `false`, WARMUPS: `1`
//! STATE-VERSION: `V1`, STATE-CACHE-SIZE: ``
//! WEIGHT-PATH: `runtime/src/db_weights.rs`
//! METRIC: `Average`, WEIGHT-MUL: `2.0`, WEIGHT-ADD: `0`

// Executed Command:
//   /root/.cache/gridbrain/target-bench/release/gridbrain-node
//   benchmark
//   storage
//   --dev
//   --base-path
//   /tmp/tmp.7fcP3cln1b/db
//   --state-version
//   1
//   --batch-size
//   10000
//   --mul
//   2
//   --template-path
//   scripts/storage-weight-template.hbs
//   --weight-path
//   runtime/src/db_weights.rs

/// Storage DB weights for the `gridbrain development` runtime and `ParityDb`.
pub mod constants {
	use frame_support::{
		parameter_types,
		weights::{constants, RuntimeDbWeight},
	};

	parameter_types! {
		/// gridbrain's nodes use ParityDB only. Measured by `scripts/benchmark-storage.sh` on a
		/// dev chain whose state the readings benchmark populated; the multiplier leaves room
		/// for a larger state. Re-run it on a production-size state before relying on these.
		pub const ParityDbWeight: RuntimeDbWeight = RuntimeDbWeight {
			// Time to read one storage item.
			// Calculated by multiplying the *Average* of all values with `2.0` and adding `0`.
			//
			// Stats nanoseconds:
			//   Min, Max: 837, 4_408_187
			//   Average:  4_719
			//   Median:   3_877
			//   Std-Dev:  21195.3
			//
			// Percentiles nanoseconds:
			//   99th: 9_860
			//   95th: 6_800
			//   75th: 4_968
			read: 9_438 * constants::WEIGHT_REF_TIME_PER_NANOS,

			// Time to write one storage item.
			// Calculated by multiplying the *Average* of all values with `2.0` and adding `0`.
			//
			// Stats nanoseconds:
			//   Min, Max: 8_976, 11_367
			//   Average:  9_851
			//   Median:   9_517
			//   Std-Dev:  710.55
			//
			// Percentiles nanoseconds:
			//   99th: 11_367
			//   95th: 11_367
			//   75th: 10_171
			write: 19_702 * constants::WEIGHT_REF_TIME_PER_NANOS,
		};
	}

	#[cfg(test)]
	mod test_db_weights {
		use super::constants::ParityDbWeight as W;
		use frame_support::weights::constants;

		/// Checks that all weights exist and have sane values.
		// NOTE: If this test fails but you are sure that the generated values are fine,
		// you can delete it.
		#[test]
		fn bound() {
			// At least 1 µs.
			assert!(
				W::get().reads(1).ref_time() >= constants::WEIGHT_REF_TIME_PER_MICROS,
				"Read weight should be at least 1 µs."
			);
			assert!(
				W::get().writes(1).ref_time() >= constants::WEIGHT_REF_TIME_PER_MICROS,
				"Write weight should be at least 1 µs."
			);
			// At most 1 ms.
			assert!(
				W::get().reads(1).ref_time() <= constants::WEIGHT_REF_TIME_PER_MILLIS,
				"Read weight should be at most 1 ms."
			);
			assert!(
				W::get().writes(1).ref_time() <= constants::WEIGHT_REF_TIME_PER_MILLIS,
				"Write weight should be at most 1 ms."
			);
		}
	}
}

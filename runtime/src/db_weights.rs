
//! THIS FILE WAS AUTO-GENERATED USING THE SUBSTRATE BENCHMARK CLI VERSION 64.0.0
//! DATE: 2026-11-25 (Y/M/D)
//! HOSTNAME: `vm`, CPU: `Intel(R) Xeon(R) Processor`
//!
//! DATABASE: `ParityDb`, RUNTIME: `gridbrain development`
//! BLOCK-NUM: `Number(67)`
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
//   /tmp/sbench
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
			//   Min, Max: 684, 5_498_478
			//   Average:  4_353
			//   Median:   3_760
			//   Std-Dev:  24289.12
			//
			// Percentiles nanoseconds:
			//   99th: 6_635
			//   95th: 5_573
			//   75th: 4_365
			read: 8_706 * constants::WEIGHT_REF_TIME_PER_NANOS,

			// Time to write one storage item.
			// Calculated by multiplying the *Average* of all values with `2.0` and adding `0`.
			//
			// Stats nanoseconds:
			//   Min, Max: 8_635, 10_186
			//   Average:  9_053
			//   Median:   8_744
			//   Std-Dev:  527.74
			//
			// Percentiles nanoseconds:
			//   99th: 10_186
			//   95th: 10_186
			//   75th: 9_080
			write: 18_106 * constants::WEIGHT_REF_TIME_PER_NANOS,
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

//! # gridbrain-ml-worker
//!
//! The off-chain trainer each validator runs beside its node. This crate holds the dispatch
//! model ([`model`], candle; the `gridbrain-model` crate), its data and metrics ([`data`]), the signed fixed-point updates
//! and their aggregation ([`federated`]), and the in-process federated simulation
//! ([`simulate`]) that the `simulate` subcommand runs.
//!
//! The ground truth (DC-OPF), the grids and the scenarios live in `gridbrain-dispatch`
//! (`ml-worker/dispatch`); the aggregation maths in `gridbrain-aggregation`, shared with the
//! chain.

#[cfg(feature = "adversary")]
pub mod adversary;
pub mod chain;
pub mod compat;
pub mod data;
pub mod federated;
pub mod p2p;
pub mod plan;
pub mod plot;
pub mod round;
pub mod run;
pub mod simulate;
pub mod store;
pub mod updates;

/// The dispatch model (the `gridbrain-model` crate, shared with the device benchmark).
pub use gridbrain_model as model;

use candle_core::Device;

/// The device to train on: CUDA when asked for, built with `--features cuda` and a GPU is
/// present; otherwise the CPU (with a message saying why).
pub fn select_device(cuda: bool) -> Device {
	if !cuda {
		return Device::Cpu;
	}
	match Device::cuda_if_available(0) {
		Ok(Device::Cpu) | Err(_) => {
			eprintln!(
				"note: no CUDA device available (built without the `cuda` feature, or no GPU found); using the CPU"
			);
			Device::Cpu
		},
		Ok(d) => d,
	}
}

//! # gridbrain-dispatch
//!
//! The grid problem gridbrain's validators learn: **DC economic dispatch** on real test grids.
//!
//! - [`matpower`]: reads MATPOWER case files (the shipped IEEE 14- and 118-bus cases live in
//!   `data/`, see `data/SOURCE.md`).
//! - [`network`]: the DC model of a case and its PTDF matrix.
//! - [`opf`]: the ground truth, a DC optimal power flow (quadratic costs, power balance,
//!   generator limits, branch ratings) solved with the pure-Rust interior-point solver
//!   Clarabel. Its optimal costs match pandapower's DC OPF on both cases (see
//!   `tests/reference.rs`).
//!
//! - [`scenario`]: real hourly load, PV and wind profiles (SimBench 2016, shipped in
//!   `ml-worker/data/`) mapped onto a case with added renewables; non-IID shards (one season
//!   each) and a held-out test set (every 7th day).
//!
//! The learned model maps an interval's state to generator set-points; its quality is the cost
//! gap to [`opf::DispatchProblem::solve`] and its limit violations
//! ([`opf::DispatchProblem::violation`]).

pub mod matpower;
pub mod network;
pub mod opf;
pub mod scenario;

#[cfg(test)]
mod tests;

pub use matpower::Case;
pub use opf::{Dispatch, DispatchProblem, Violation};
pub use scenario::{Grid, Profiles, Scenario};

/// The IEEE 14-bus case (MATPOWER format).
pub const CASE14: &str = include_str!("../data/case14.m");
/// The IEEE 118-bus case (MATPOWER format).
pub const CASE118: &str = include_str!("../data/case118.m");

/// What can go wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
	/// The case file is malformed.
	Parse(String),
	/// The case uses something this crate does not model.
	Unsupported(String),
	/// Inputs don't fit the case.
	Input(String),
	/// No dispatch meets the demand within the limits.
	Infeasible,
	/// The solver failed.
	Solver(String),
}

impl core::fmt::Display for Error {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Error::Parse(m) => write!(f, "case file: {m}"),
			Error::Unsupported(m) => write!(f, "unsupported: {m}"),
			Error::Input(m) => write!(f, "input: {m}"),
			Error::Infeasible => write!(f, "no dispatch meets the demand within the limits"),
			Error::Solver(m) => write!(f, "solver: {m}"),
		}
	}
}

impl std::error::Error for Error {}

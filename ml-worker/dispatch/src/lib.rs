//! # gridbrain-dispatch
//!
//! The grid problem gridbrain's validators learn: **DC economic dispatch** on real test grids.
//!
//! - [`matpower`]: reads MATPOWER case files (the shipped IEEE 14- and 118-bus cases live in
//!   `data/`, see `data/SOURCE.md`).
//!   PGLib-OPF v23.07 cases with real branch ratings and linear costs live in `data/pglib/`.
//! - [`network`]: the DC model of a case (MATPOWER `makeBdc`: taps, phase shifters, bus shunt
//!   conductance), a sparse factor of its susceptance matrix, power flows and PTDF columns.
//! - [`opf`]: the ground truth, a DC optimal power flow (linear or quadratic costs, power
//!   balance, generator limits, branch ratings generated lazily) solved with the pure-Rust
//!   interior-point solver Clarabel. Its optimal costs match pandapower's `rundcopp` on the
//!   IEEE and PGLib cases at several load scalings (see `tests/reference.rs`).
//! - [`repair`]: the line-safe repair of predicted set-points (limits, balance, PTDF
//!   redispatch of overloaded branches) with a certified fallback to the solver.
//! - [`predict`]: the non-neural baselines, ridge regression and k-nearest neighbours.
//! - [`compare`]: the pipeline comparing predictors on held-out scenarios (gap, overloads,
//!   fallbacks, time against the warm-started solver).
//!
//! - [`scenario`]: real hourly load, PV and wind profiles (SimBench 2016, shipped in
//!   `ml-worker/data/`) mapped onto a case with added renewables; non-IID shards (one season
//!   each) and a held-out test set (every 7th day).
//!
//! The learned model maps an interval's state to generator set-points; its quality is the cost
//! gap to [`opf::DispatchProblem::solve`] and its limit violations
//! ([`opf::DispatchProblem::violation`]).

pub mod basis;
pub mod compare;
pub mod matpower;
pub mod network;
pub mod opf;
pub mod predict;
pub mod repair;
pub mod scenario;

#[cfg(test)]
mod tests;

pub use matpower::Case;
pub use opf::{Dispatch, DispatchProblem, Violation, WarmStart};
pub use basis::{Basis, BasisLibrary};
pub use repair::Repaired;
pub use scenario::{Grid, Profiles, Scenario};

/// The IEEE 14-bus case (MATPOWER format).
pub const CASE14: &str = include_str!("../data/case14.m");
/// The IEEE 118-bus case (MATPOWER format).
pub const CASE118: &str = include_str!("../data/case118.m");
/// PGLib-OPF v23.07 IEEE 118-bus case: every branch rated, linear costs (`data/pglib/`).
pub const PGLIB_CASE118: &str = include_str!("../data/pglib/pglib_opf_case118_ieee.m");
/// PGLib-OPF v23.07 IEEE 118-bus "active power increase" case: loads raised until lines bind.
pub const PGLIB_CASE118_API: &str = include_str!("../data/pglib/pglib_opf_case118_ieee__api.m");
/// PGLib-OPF v23.07 IEEE 300-bus case (a phase shifter, bus shunt conductance).
pub const PGLIB_CASE300: &str = include_str!("../data/pglib/pglib_opf_case300_ieee.m");
/// PGLib-OPF v23.07 PEGASE 1354-bus case (six phase shifters).
pub const PGLIB_CASE1354: &str = include_str!("../data/pglib/pglib_opf_case1354_pegase.m");

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

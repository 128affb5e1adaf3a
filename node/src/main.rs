//! `gridbrain-node`: the gridbrain Substrate node.
//!
//! Run `gridbrain-node --help` for the options; `--dev --tmp` starts a throw-away single
//! validator chain, `--chain local --alice …` one validator of the four-validator local testnet.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}

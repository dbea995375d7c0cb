//! The shell: the one place that wires the edges to the core. It starts the
//! agent, turns the world into events for the supervisor and carries out its
//! actions ([`run`]); and it ends what a killed goalie left running
//! ([`leftovers`]).

pub mod leftovers;
pub mod run;

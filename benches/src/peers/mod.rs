//! The peer crates, one module each: their label types and metric structs for the hot-path
//! workloads, and the encoding workload built with each. The benchmark targets and the
//! `memory` and `increments` binaries share them.
#![allow(missing_docs)]

pub mod ms;
pub mod mx;
pub mod pc;
pub mod tikv;
pub mod vs;

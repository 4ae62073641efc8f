//! ciam-resource against a real ciam (in process, on loopback) and real Redis servers.
//! One binary: one link step.

mod support;

mod claims;
mod cluster;
mod contract_v2;
mod cutoffs;
mod extractor;
mod modes;
mod relying_party;
mod rotation;
mod rs256;
mod staleness;

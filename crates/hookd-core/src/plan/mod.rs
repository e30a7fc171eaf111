//! The decisions every store must make identically, as pure functions: which endpoints a
//! message fans out to and which of those new deliveries a publish claims at once
//! ([`fan_out`]), and how a batch of completions that names a delivery more than once is
//! applied ([`completions`]). A store reads what a plan needs, turns the plan into its own SQL,
//! and decides nothing itself; so the stores cannot drift apart on these rules.
//!
//! This module must not contain SQL or any I/O.

mod completion;
mod fan_out;

pub use completion::{completions, CompletionPlan, StateChange};
pub use fan_out::{fan_out, FanOut, PlannedDelivery};

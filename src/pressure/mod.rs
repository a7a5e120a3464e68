//! A page-cache budget with real reclaim, without cgroups: a helper process
//! holds the rest of the machine's available memory as touched anonymous
//! memory, so the kernel must evict file pages (kswapd, direct reclaim,
//! unmapping mapped pages, TLB shootdowns). [`meminfo`] reads the figures,
//! [`budget`] decides (pure, tested on made-up texts), [`helper`] is the
//! process.

pub mod budget;
pub mod helper;
pub mod meminfo;

pub use budget::{Budget, Refusal, default_floor};
pub use helper::{HeldRecord, Helper, HelperError, HelperStatus};

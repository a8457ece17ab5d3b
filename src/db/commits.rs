//! Word that a write committed in this process, for whoever waits on new
//! rows (the change feed's long polls, the webhook dispatcher) and would
//! otherwise only notice them at its next look. Writes of other processes
//! are noticed by looking: this is a shortcut, never the only way.

use std::sync::OnceLock;

use tokio::sync::watch;

fn sender() -> &'static watch::Sender<u64> {
    static COMMITS: OnceLock<watch::Sender<u64>> = OnceLock::new();
    COMMITS.get_or_init(|| watch::channel(0).0)
}

/// Tells the waiters that a write committed.
pub fn committed() {
    sender().send_modify(|count| *count = count.wrapping_add(1));
}

/// A receiver that changes with every commit of this process.
pub fn subscribe() -> watch::Receiver<u64> {
    sender().subscribe()
}

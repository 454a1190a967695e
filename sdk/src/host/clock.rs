//! The host clock where there is one: unix time and a stopwatch for the verdict log's
//! `timings_us`. APISIX refuses `proxy_get_current_time_nanoseconds` (proxy-wasm 0.2.5's
//! `get_current_time` would trap there), so every reading is optional.

use super::abi;
use proxy_wasm::traits::Context;

/// Unix time in seconds, `None` where the host has no clock.
pub fn now_unix(_ctx: &dyn Context) -> Option<u64> {
    now_unix_nanos().map(|n| n / 1_000_000_000)
}

/// Unix time in nanoseconds, `None` without a clock (or a clock reading 0).
pub fn now_unix_nanos() -> Option<u64> {
    abi::current_time_nanos().ok().filter(|n| *n > 0)
}

/// Measures a step in microseconds; reads 0 on hosts without a clock.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    started_nanos: Option<u64>,
}

impl Stopwatch {
    /// Start measuring now.
    pub fn start() -> Self {
        Stopwatch {
            started_nanos: now_unix_nanos(),
        }
    }

    /// Microseconds since `start` (0 without a clock or if the clock went backwards).
    pub fn elapsed_us(&self) -> u64 {
        match (self.started_nanos, now_unix_nanos()) {
            (Some(start), Some(now)) => now.saturating_sub(start) / 1_000,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_clock_means_none_and_zero() {
        // Natively every host call is refused, like APISIX's clock.
        assert_eq!(now_unix_nanos(), None);
        assert_eq!(Stopwatch::start().elapsed_us(), 0);
    }
}

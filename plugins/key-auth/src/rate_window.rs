//! rate_window: per-key request rate (sliding minute) and token budget (fixed window) kept in a
//! compare-and-swap store: proxy-wasm shared data in Envoy (one store for all workers of a VM
//! id), an in-memory store in tests. Every update is read -> compute -> set-with-cas, retried a
//! bounded number of times on a CAS mismatch, so concurrent workers never lose an update.
//!
//! One entry per key id (not per minute), so memory stays bounded, holding both of the key's
//! limits (`key-auth.lim.<id>`: `rl1:<minute>:<prev>:<curr>`, `tb1:<window_seconds>:<window>:<used>`
//! or both, `;`-separated), so a request's budget check and rate count are one get and one set
//! ([`admit_request`]).

use crate::config::Budget;

/// Attempts of one read-modify-write before giving up (heavy contention on one key).
pub const MAX_CAS_ATTEMPTS: usize = 32;

/// Store failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// Someone else wrote since our read: re-read and retry.
    CasMismatch,
    /// The host refused (no shared data, e.g. APISIX); the status it answered.
    Unavailable(u32),
}

/// A compare-and-swap key-value store with proxy-wasm shared-data semantics: `get` returns the
/// value and its cas token; `set` with `cas = 0` writes unconditionally (how a missing key is
/// created), else only when the token is still current.
pub trait CasStore {
    fn get(&mut self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError>;
    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError>;
}

/// Why a limit could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitError {
    Unavailable(u32),
    /// Still conflicting after [`MAX_CAS_ATTEMPTS`].
    Contention,
}

/// Read-modify-write `key`: `f` gets the current value (None when absent) and returns the new
/// value (None = leave it) and a result.
pub fn update<S: CasStore + ?Sized, T>(
    store: &mut S,
    key: &str,
    mut f: impl FnMut(Option<&[u8]>) -> (Option<Vec<u8>>, T),
) -> Result<T, LimitError> {
    for _ in 0..MAX_CAS_ATTEMPTS {
        let current = store.get(key).map_err(unavailable)?;
        let (bytes, cas) = match &current {
            Some((v, cas)) => (Some(v.as_slice()), *cas),
            None => (None, 0),
        };
        let (next, out) = f(bytes);
        let Some(next) = next else { return Ok(out) };
        match store.set(key, &next, cas) {
            Ok(()) => return Ok(out),
            Err(StoreError::CasMismatch) => continue,
            Err(StoreError::Unavailable(s)) => return Err(LimitError::Unavailable(s)),
        }
    }
    Err(LimitError::Contention)
}

fn unavailable(e: StoreError) -> LimitError {
    match e {
        StoreError::Unavailable(s) => LimitError::Unavailable(s),
        // `get` never mismatches; treat it as contention if a store says so.
        StoreError::CasMismatch => LimitError::Contention,
    }
}

/// The shared-data entry of a key's limits.
pub fn limit_key(key_id: &str) -> String {
    format!("key-auth.lim.{key_id}")
}

/// Both limits of one key as stored: each part decoded on its own, a missing or unreadable
/// part is absent (counted from zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimitState {
    pub rate: Option<RateState>,
    pub budget: Option<BudgetState>,
}

impl LimitState {
    pub fn decode(bytes: Option<&[u8]>) -> LimitState {
        let mut state = LimitState::default();
        for part in bytes.unwrap_or_default().split(|&b| b == b';') {
            if let Some(r) = RateState::decode(part) {
                state.rate = Some(r);
            } else if let Some(b) = BudgetState::decode(part) {
                state.budget = Some(b);
            }
        }
        state
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.rate.map(|r| r.encode()).unwrap_or_default();
        if let Some(b) = self.budget {
            if !out.is_empty() {
                out.push(b';');
            }
            out.extend(b.encode());
        }
        out
    }
}

/// Request counts of the current and previous minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateState {
    pub minute: u64,
    pub prev: u64,
    pub curr: u64,
}

impl RateState {
    pub fn decode(bytes: &[u8]) -> Option<RateState> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut parts = text.strip_prefix("rl1:")?.split(':');
        let state = RateState {
            minute: parts.next()?.parse().ok()?,
            prev: parts.next()?.parse().ok()?,
            curr: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(state)
    }

    pub fn encode(&self) -> Vec<u8> {
        format!("rl1:{}:{}:{}", self.minute, self.prev, self.curr).into_bytes()
    }

    /// The state as seen in `minute`.
    pub fn at(self, minute: u64) -> RateState {
        if minute == self.minute {
            self
        } else if minute == self.minute.saturating_add(1) {
            RateState {
                minute,
                prev: self.curr,
                curr: 0,
            }
        } else if minute > self.minute {
            RateState {
                minute,
                prev: 0,
                curr: 0,
            }
        } else {
            // The clock went back (another worker's clock ran ahead): keep counting in the
            // newer minute rather than forgetting requests.
            self
        }
    }

    /// Sliding-window estimate at `now`: the previous minute weighted by how much of it still
    /// lies in the last 60 s, plus the current minute.
    pub fn estimate(&self, now: u64) -> u64 {
        let s = now % 60;
        let weighted = self.prev.saturating_mul(60 - s) / 60;
        weighted.saturating_add(self.curr)
    }
}

/// A rate decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed { remaining: u64 },
    Limited { retry_after: u64 },
}

/// Seconds until one more request would fit (at least 1, at most 120).
pub fn retry_after(state: RateState, now: u64, limit: u64) -> u64 {
    for wait in 1..=120u64 {
        let t = now.saturating_add(wait);
        if state.at(t / 60).estimate(t) < limit {
            return wait;
        }
    }
    120
}

/// Count one request for `key_id` at `now` if it fits under `limit` per minute.
pub fn admit<S: CasStore + ?Sized>(
    store: &mut S,
    key_id: &str,
    limit: u64,
    now: u64,
) -> Result<RateDecision, LimitError> {
    Ok(admit_request(store, key_id, Some(limit), None, now)?.rate)
}

/// What [`admit_request`] decided: the budget first (an exhausted budget refuses without
/// counting the request), then the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// `None` without a budget.
    pub budget: Option<BudgetDecision>,
    /// `Allowed` without a rate limit (and not counted).
    pub rate: RateDecision,
}

/// A request of `key_id` at `now`: is budget left (read only: usage is charged after the
/// answer), and does it fit under `rate` per minute (then it is counted)? One
/// read-modify-write of the key's entry, retried on a CAS mismatch; no store access for a key
/// without limits.
pub fn admit_request<S: CasStore + ?Sized>(
    store: &mut S,
    key_id: &str,
    rate: Option<u64>,
    budget: Option<Budget>,
    now: u64,
) -> Result<Admission, LimitError> {
    let unlimited = RateDecision::Allowed {
        remaining: u64::MAX,
    };
    if rate.is_none() && budget.is_none() {
        return Ok(Admission {
            budget: None,
            rate: unlimited,
        });
    }
    let minute = now / 60;
    update(store, &limit_key(key_id), |bytes| {
        let mut state = LimitState::decode(bytes);
        let budget = budget.map(|b| {
            let used = state.budget.map_or(0, |s| s.used_at(b, now));
            match used >= b.tokens {
                true => BudgetDecision::Exhausted {
                    retry_after: window_rest(b, now),
                },
                false => BudgetDecision::Allowed {
                    remaining: b.tokens - used,
                },
            }
        });
        let unchanged = |rate| (None, Admission { budget, rate });
        let (Some(limit), None | Some(BudgetDecision::Allowed { .. })) = (rate, budget) else {
            return unchanged(unlimited); // no rate limit, or an exhausted budget: nothing counted
        };
        let rs = state
            .rate
            .unwrap_or(RateState {
                minute,
                prev: 0,
                curr: 0,
            })
            .at(minute);
        let used = rs.estimate(now);
        if used >= limit {
            let retry_after = retry_after(rs, now, limit);
            return unchanged(RateDecision::Limited { retry_after });
        }
        state.rate = Some(RateState {
            curr: rs.curr.saturating_add(1),
            ..rs
        });
        let rate = RateDecision::Allowed {
            remaining: limit - used - 1,
        };
        (Some(state.encode()), Admission { budget, rate })
    })
}

/// Tokens used in the current budget window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetState {
    pub window_seconds: u64,
    pub window: u64,
    pub used: u64,
}

impl BudgetState {
    pub fn decode(bytes: &[u8]) -> Option<BudgetState> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut parts = text.strip_prefix("tb1:")?.split(':');
        let state = BudgetState {
            window_seconds: parts.next()?.parse().ok()?,
            window: parts.next()?.parse().ok()?,
            used: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(state)
    }

    pub fn encode(&self) -> Vec<u8> {
        format!("tb1:{}:{}:{}", self.window_seconds, self.window, self.used).into_bytes()
    }

    /// Tokens used in the window containing `now` (0 after a rollover or a config change).
    pub fn used_at(&self, budget: Budget, now: u64) -> u64 {
        let window = now / budget.window_seconds.max(1);
        if self.window_seconds == budget.window_seconds && self.window == window {
            self.used
        } else {
            0
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetDecision {
    Allowed { remaining: u64 },
    Exhausted { retry_after: u64 },
}

/// Seconds until the window containing `now` ends (at least 1).
pub fn window_rest(budget: Budget, now: u64) -> u64 {
    let w = budget.window_seconds.max(1);
    (w - now % w).max(1)
}

/// Is there budget left for `key_id` at `now`? (Read only: usage is charged after the answer.)
pub fn check_budget<S: CasStore + ?Sized>(
    store: &mut S,
    key_id: &str,
    budget: Budget,
    now: u64,
) -> Result<BudgetDecision, LimitError> {
    let current = store.get(&limit_key(key_id)).map_err(unavailable)?;
    let used = LimitState::decode(current.as_ref().map(|(v, _)| v.as_slice()))
        .budget
        .map_or(0, |s| s.used_at(budget, now));
    Ok(if used >= budget.tokens {
        BudgetDecision::Exhausted {
            retry_after: window_rest(budget, now),
        }
    } else {
        BudgetDecision::Allowed {
            remaining: budget.tokens - used,
        }
    })
}

/// Add `tokens` to `key_id`'s window at `now`; returns the window's new total.
pub fn charge<S: CasStore + ?Sized>(
    store: &mut S,
    key_id: &str,
    budget: Budget,
    now: u64,
    tokens: u64,
) -> Result<u64, LimitError> {
    let window = now / budget.window_seconds.max(1);
    update(store, &limit_key(key_id), |bytes| {
        let mut state = LimitState::decode(bytes);
        let used = state.budget.map_or(0, |s| s.used_at(budget, now));
        let next = BudgetState {
            window_seconds: budget.window_seconds,
            window,
            used: used.saturating_add(tokens),
        };
        state.budget = Some(next);
        (Some(state.encode()), next.used)
    })
}

/// Create the entries of a key that has limits when they are missing (Envoy has no
/// "create if absent": done at configure time, before traffic, so the request path nearly
/// always updates with a real cas token). Also proves the host has shared data.
pub fn precreate<S: CasStore + ?Sized>(
    store: &mut S,
    key_id: &str,
    rate: bool,
    budget: Option<Budget>,
) -> Result<(), LimitError> {
    if !rate && budget.is_none() {
        return Ok(());
    }
    let k = limit_key(key_id);
    if store.get(&k).map_err(unavailable)?.is_none() {
        let empty = LimitState {
            rate: rate.then(RateState::default),
            budget: budget.map(|b| BudgetState {
                window_seconds: b.window_seconds,
                window: 0,
                used: 0,
            }),
        };
        store.set(&k, &empty.encode(), 0).map_err(unavailable)?;
    }
    Ok(())
}

/// In-memory [`CasStore`] with Envoy's semantics, shareable between simulated workers.
pub mod memory {
    use super::{CasStore, StoreError};
    use std::collections::HashMap;

    #[derive(Debug, Default)]
    pub struct MemoryStore {
        entries: HashMap<String, (Vec<u8>, u32)>,
        next_cas: u32,
        /// Make the next N `set`s with a cas token fail as if another worker wrote first.
        pub conflicts: usize,
        pub refuse: Option<u32>,
    }

    impl MemoryStore {
        pub fn bump(&mut self) -> u32 {
            self.next_cas = self.next_cas.wrapping_add(1).max(1);
            self.next_cas
        }

        pub fn raw(&self, key: &str) -> Option<&[u8]> {
            self.entries.get(key).map(|(v, _)| v.as_slice())
        }
    }

    impl CasStore for MemoryStore {
        fn get(&mut self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
            if let Some(s) = self.refuse {
                return Err(StoreError::Unavailable(s));
            }
            Ok(self.entries.get(key).cloned())
        }

        fn set(&mut self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
            if let Some(s) = self.refuse {
                return Err(StoreError::Unavailable(s));
            }
            if cas != 0 && self.conflicts > 0 {
                self.conflicts -= 1;
                // Another worker's write lands first: the stored token moves on.
                let next = self.bump();
                if let Some(e) = self.entries.get_mut(key) {
                    e.1 = next;
                }
                return Err(StoreError::CasMismatch);
            }
            if cas != 0 && self.entries.get(key).map(|(_, c)| *c) != Some(cas) {
                return Err(StoreError::CasMismatch);
            }
            let next = self.bump();
            self.entries.insert(key.to_string(), (value.to_vec(), next));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::MemoryStore;
    use super::*;
    use std::sync::{Arc, Mutex};

    const T0: u64 = 1_700_000_040; // a minute boundary (divisible by 60)

    #[test]
    fn state_round_trips_and_rejects_garbage() {
        let s = RateState {
            minute: 5,
            prev: 2,
            curr: 9,
        };
        assert_eq!(RateState::decode(&s.encode()), Some(s));
        for bad in [
            &b""[..],
            b"rl1:1:2",
            b"rl1:1:2:3:4",
            b"rl2:1:2:3",
            b"rl1:a:2:3",
            b"\xff",
        ] {
            assert_eq!(RateState::decode(bad), None);
        }
        let b = BudgetState {
            window_seconds: 60,
            window: 3,
            used: 7,
        };
        assert_eq!(BudgetState::decode(&b.encode()), Some(b));
        assert_eq!(BudgetState::decode(b"tb1:1:2"), None);
    }

    #[test]
    fn limit_n_per_minute_then_429_with_retry_after() {
        assert_eq!(T0 % 60, 0);
        let mut store = MemoryStore::default();
        for i in 0..3 {
            assert_eq!(
                admit(&mut store, "k", 3, T0 + i).unwrap(),
                RateDecision::Allowed { remaining: 2 - i }
            );
        }
        match admit(&mut store, "k", 3, T0 + 10).unwrap() {
            // Three requests in minute m still weigh floor(3 * 60 / 60) = 3 at m+1:00 and
            // floor(3 * 59 / 60) = 2 at m+1:01.
            RateDecision::Limited { retry_after } => assert_eq!(retry_after, 51),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            admit(&mut store, "k", 3, T0 + 60).unwrap(),
            RateDecision::Limited { .. }
        ));
        assert!(matches!(
            admit(&mut store, "k", 3, T0 + 61).unwrap(),
            RateDecision::Allowed { .. }
        ));
        // Two minutes of silence forget everything.
        assert_eq!(
            admit(&mut store, "k", 3, T0 + 240).unwrap(),
            RateDecision::Allowed { remaining: 2 }
        );
        // Keys are independent.
        assert!(matches!(
            admit(&mut store, "other", 1, T0 + 240).unwrap(),
            RateDecision::Allowed { .. }
        ));
    }

    #[test]
    fn a_burst_across_a_minute_boundary_is_still_limited() {
        let mut store = MemoryStore::default();
        for _ in 0..5 {
            assert!(matches!(
                admit(&mut store, "k", 5, T0 + 59).unwrap(),
                RateDecision::Allowed { .. }
            ));
        }
        // A fixed window would allow 5 more at T0+60; the sliding estimate does not.
        assert!(matches!(
            admit(&mut store, "k", 5, T0 + 60).unwrap(),
            RateDecision::Limited { .. }
        ));
    }

    #[test]
    fn retry_after_is_bounded_and_exact() {
        let full = RateState {
            minute: T0 / 60,
            prev: 0,
            curr: 1,
        };
        assert_eq!(retry_after(full, T0, 1), 61);
        let full = RateState {
            minute: T0 / 60,
            prev: 1000,
            curr: 1000,
        };
        assert_eq!(retry_after(full, T0, 1), 120);
        let prev_only = RateState {
            minute: T0 / 60,
            prev: 1,
            curr: 0,
        };
        // prev=1 weighs floor((60-s)/60) = 0 from s=1 on.
        assert_eq!(retry_after(prev_only, T0, 1), 1);
    }

    #[test]
    fn cas_conflicts_are_retried_without_losing_counts() {
        let mut store = MemoryStore::default();
        precreate(&mut store, "k", true, None).unwrap();
        store.conflicts = 5;
        assert!(matches!(
            admit(&mut store, "k", 10, T0).unwrap(),
            RateDecision::Allowed { remaining: 9 }
        ));
        let state = RateState::decode(store.raw(&limit_key("k")).unwrap()).unwrap();
        assert_eq!(state.curr, 1);
        store.conflicts = MAX_CAS_ATTEMPTS;
        assert_eq!(admit(&mut store, "k", 10, T0), Err(LimitError::Contention));
        store.refuse = Some(12);
        assert_eq!(
            admit(&mut store, "k", 10, T0),
            Err(LimitError::Unavailable(12))
        );
    }

    /// A store shared by threads (simulated Envoy workers) that yields between get and set,
    /// so real interleavings and CAS mismatches happen.
    struct Shared(Arc<Mutex<MemoryStore>>);
    impl CasStore for Shared {
        fn get(&mut self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
            let got = self.0.lock().unwrap().get(key);
            std::thread::yield_now();
            got
        }
        fn set(&mut self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
            self.0.lock().unwrap().set(key, value, cas)
        }
    }

    #[test]
    fn concurrent_workers_admit_exactly_the_limit_and_charge_every_token() {
        let mem = Arc::new(Mutex::new(MemoryStore::default()));
        let budget = Budget {
            tokens: 1_000_000,
            window_seconds: 3600,
        };
        precreate(&mut Shared(mem.clone()), "k", true, Some(budget)).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let mem = mem.clone();
                std::thread::spawn(move || {
                    let mut store = Shared(mem);
                    let mut allowed = 0;
                    for _ in 0..50 {
                        loop {
                            match admit(&mut store, "k", 100, T0) {
                                Ok(RateDecision::Allowed { .. }) => {
                                    allowed += 1;
                                    break;
                                }
                                Ok(RateDecision::Limited { .. }) => break,
                                Err(LimitError::Contention) => continue,
                                Err(e) => panic!("{e:?}"),
                            }
                        }
                        loop {
                            match charge(&mut store, "k", budget, T0, 7) {
                                Ok(_) => break,
                                Err(LimitError::Contention) => continue,
                                Err(e) => panic!("{e:?}"),
                            }
                        }
                    }
                    allowed
                })
            })
            .collect();
        let allowed: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(allowed, 100, "exactly the limit across all workers");
        let mut store = Shared(mem.clone());
        let state = LimitState::decode(mem.lock().unwrap().raw(&limit_key("k")));
        assert_eq!(state.budget.unwrap().used, 8 * 50 * 7, "no charge lost");
        assert_eq!(state.rate.unwrap().curr, 100, "no count lost");
        assert!(matches!(
            check_budget(&mut store, "k", budget, T0).unwrap(),
            BudgetDecision::Allowed { .. }
        ));
    }

    #[test]
    fn budget_exhaustion_and_recovery_in_the_next_window() {
        let mut store = MemoryStore::default();
        let b = Budget {
            tokens: 100,
            window_seconds: 3600,
        };
        let start = 1_700_002_800; // a window boundary
        assert_eq!(start % 3600, 0);
        assert_eq!(
            check_budget(&mut store, "k", b, start).unwrap(),
            BudgetDecision::Allowed { remaining: 100 }
        );
        assert_eq!(charge(&mut store, "k", b, start, 60).unwrap(), 60);
        assert_eq!(
            check_budget(&mut store, "k", b, start + 1).unwrap(),
            BudgetDecision::Allowed { remaining: 40 }
        );
        // The request that crosses the budget is served (usage is only known afterwards) ...
        assert_eq!(charge(&mut store, "k", b, start + 2, 60).unwrap(), 120);
        // ... the next one is refused until the window ends.
        assert_eq!(
            check_budget(&mut store, "k", b, start + 600).unwrap(),
            BudgetDecision::Exhausted { retry_after: 3000 }
        );
        assert_eq!(
            check_budget(&mut store, "k", b, start + 3600).unwrap(),
            BudgetDecision::Allowed { remaining: 100 }
        );
        assert_eq!(charge(&mut store, "k", b, start + 3600, 5).unwrap(), 5);
        // A changed window length starts afresh instead of misreading the old window index.
        let b2 = Budget {
            tokens: 100,
            window_seconds: 60,
        };
        assert_eq!(
            check_budget(&mut store, "k", b2, start + 3600).unwrap(),
            BudgetDecision::Allowed { remaining: 100 }
        );
    }

    #[test]
    fn precreate_keeps_existing_state_and_reports_missing_shared_data() {
        let mut store = MemoryStore::default();
        admit(&mut store, "k", 5, T0).unwrap();
        precreate(&mut store, "k", true, None).unwrap();
        assert_eq!(
            RateState::decode(store.raw(&limit_key("k")).unwrap())
                .unwrap()
                .curr,
            1
        );
        store.refuse = Some(12);
        assert_eq!(
            precreate(&mut store, "j", true, None),
            Err(LimitError::Unavailable(12))
        );
        assert_eq!(
            check_budget(
                &mut store,
                "j",
                Budget {
                    tokens: 1,
                    window_seconds: 60
                },
                T0
            ),
            Err(LimitError::Unavailable(12))
        );
    }

    /// A store that counts its calls.
    #[derive(Default)]
    struct Counting(MemoryStore, usize, usize);
    impl CasStore for Counting {
        fn get(&mut self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
            self.1 += 1;
            self.0.get(key)
        }
        fn set(&mut self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
            self.2 += 1;
            self.0.set(key, value, cas)
        }
    }

    #[test]
    fn a_request_is_one_get_and_one_set_for_both_limits() {
        let b = Budget {
            tokens: 100,
            window_seconds: 3600,
        };
        let mut store = Counting::default();
        precreate(&mut store, "k", true, Some(b)).unwrap();
        let (gets, sets) = (store.1, store.2);
        let a = admit_request(&mut store, "k", Some(2), Some(b), T0).unwrap();
        assert_eq!(
            a,
            Admission {
                budget: Some(BudgetDecision::Allowed { remaining: 100 }),
                rate: RateDecision::Allowed { remaining: 1 },
            }
        );
        assert_eq!((store.1 - gets, store.2 - sets), (1, 1));
        // Charged after the answer: the rate count stays.
        charge(&mut store, "k", b, T0, 60).unwrap();
        let a = admit_request(&mut store, "k", Some(2), Some(b), T0 + 1).unwrap();
        assert_eq!(a.budget, Some(BudgetDecision::Allowed { remaining: 40 }));
        assert_eq!(a.rate, RateDecision::Allowed { remaining: 0 });
        // Rate limited: budget still reported, nothing written.
        let sets = store.2;
        let a = admit_request(&mut store, "k", Some(2), Some(b), T0 + 2).unwrap();
        assert_eq!(a.budget, Some(BudgetDecision::Allowed { remaining: 40 }));
        assert!(matches!(a.rate, RateDecision::Limited { .. }));
        assert_eq!(store.2, sets);
        // An exhausted budget refuses without counting the request.
        charge(&mut store, "k", b, T0 + 3, 50).unwrap();
        let before = LimitState::decode(store.0.raw(&limit_key("k")));
        let a = admit_request(&mut store, "k", Some(100), Some(b), T0 + 4).unwrap();
        assert_eq!(
            a.budget,
            Some(BudgetDecision::Exhausted {
                retry_after: window_rest(b, T0 + 4)
            })
        );
        assert_eq!(LimitState::decode(store.0.raw(&limit_key("k"))), before);
        assert_eq!(before.rate.unwrap().curr, 2);
        // A key without limits never touches the store.
        let (gets, sets) = (store.1, store.2);
        admit_request(&mut store, "free", None, None, T0).unwrap();
        assert_eq!((store.1, store.2), (gets, sets));
    }

    #[test]
    fn limit_state_round_trips_each_part() {
        let r = RateState {
            minute: 5,
            prev: 2,
            curr: 9,
        };
        let b = BudgetState {
            window_seconds: 60,
            window: 3,
            used: 7,
        };
        for state in [
            LimitState::default(),
            LimitState {
                rate: Some(r),
                budget: None,
            },
            LimitState {
                rate: None,
                budget: Some(b),
            },
            LimitState {
                rate: Some(r),
                budget: Some(b),
            },
        ] {
            assert_eq!(LimitState::decode(Some(&state.encode())), state);
        }
        assert_eq!(
            LimitState::decode(Some(b"garbage;tb1:x")),
            LimitState::default()
        );
        assert_eq!(LimitState::decode(None), LimitState::default());
    }

    #[test]
    fn corrupt_entries_are_treated_as_empty() {
        let mut store = MemoryStore::default();
        store.set(&limit_key("k"), b"garbage", 0).unwrap();
        assert!(matches!(
            admit(&mut store, "k", 1, T0).unwrap(),
            RateDecision::Allowed { .. }
        ));
        assert!(matches!(
            admit(&mut store, "k", 1, T0).unwrap(),
            RateDecision::Limited { .. }
        ));
    }
}

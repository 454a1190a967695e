//! fuzz: the deterministic mutation engine the bounded fuzz tests share (fixed seeds, so a
//! failure reproduces exactly; no dependency). Tests only: no plugin calls it, so it is never
//! linked into a `.wasm`.

/// xorshift64*: tiny, deterministic, good enough to drive mutations.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is mapped to 1: xorshift would stay at 0).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next pseudo-random value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Iterations per fuzz target: `FUZZ_ITERS` from the environment for long runs, else `default`
/// (what CI runs).
pub fn iters(default: usize) -> usize {
    std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One to five random edits of `seed`: flip a byte, insert one of `tokens`, truncate, delete a
/// short range, or duplicate a range elsewhere. The result may be invalid UTF-8.
pub fn mutate(rng: &mut Rng, seed: &[u8], tokens: &[&[u8]]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                if let Some(b) = v.get_mut(i) {
                    *b = rng.next_u64() as u8;
                }
            }
            1 => {
                if let Some(t) = rng.pick(tokens) {
                    v.splice(at..at, t.iter().copied());
                }
            }
            2 => v.truncate(at),
            3 if !v.is_empty() => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            _ => {
                let i = rng.below(v.len().max(1));
                let end = (i + rng.below(32)).min(v.len());
                let copy: Vec<u8> = v.get(i..end).unwrap_or_default().to_vec();
                v.splice(at..at, copy);
            }
        }
    }
    v
}

/// JSON-breaking fragments (configs and bodies).
pub const JSON_TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"-1",
    b"0",
    b"1e999",
    b"18446744073709551616",
    b"\"\"",
    b"\"*\"",
    b"\"x\":1,",
    b"\\u0000",
    b"\xff",
];

/// Feeds `rounds` mutants of the config `seed` to `parse`: each must give a value or an error
/// with a reason, never a panic. Returns how many parsed, so a caller can check that the run
/// reached past the first error path.
pub fn config_mutants<T, E: core::fmt::Display>(
    seed: &[u8],
    rounds: usize,
    rng_seed: u64,
    parse: impl Fn(&[u8]) -> Result<T, E>,
) -> usize {
    let mut rng = Rng::new(rng_seed);
    let mut parsed = 0;
    for _ in 0..rounds {
        let raw = mutate(&mut rng, seed, JSON_TOKENS);
        match parse(&raw) {
            Ok(_) => parsed += 1,
            Err(e) => assert!(
                !e.to_string().trim().is_empty(),
                "an empty error for {:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mutations() {
        let tokens: &[&[u8]] = &[b"x", b"\xff"];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| mutate(&mut rng, b"hello world", tokens))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().any(|m| m.as_slice() != b"hello world"));
    }

    #[test]
    fn a_zero_seed_still_moves() {
        let mut rng = Rng::new(0);
        assert_ne!(rng.next_u64(), rng.next_u64());
        assert_eq!(Rng::new(3).below(0), 0);
    }
}

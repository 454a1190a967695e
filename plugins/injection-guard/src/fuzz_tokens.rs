//! fuzz_tokens: obfuscation fragments that tests splice into text (invisibles, bidi, tag
//! characters, look-alikes, styled and combining letters, emoji, leetspeak, spacing, camelCase):
//! shared by the normaliser's differential test and the bounded fuzzer, which add their own.

/// The fragments every normaliser test mutates with.
pub const OBFUSCATION: &[&[u8]] = &[
    "\u{200b}".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{00ad}".as_bytes(),
    "\u{e0069}\u{e0067}\u{e006e}".as_bytes(),
    "\u{043e}\u{0456}".as_bytes(),
    "\u{ff49}\u{ff47}".as_bytes(),
    "\u{1d422}".as_bytes(),
    "\u{24d8}".as_bytes(),
    "e\u{0301}".as_bytes(),
    "\u{1f600}".as_bytes(),
    b"1gn0r3 ",
    b"i g n o r e ",
    b"i.g.n.o.r.e",
    b"IgnorePrevious",
];

//! transforms: obfuscations of a text (homoglyphs, invisibles, fullwidth, encodings, spacing,
//! leetspeak, case), shared by the native table test (`obfuscation_table.rs`) and the harness
//! test on the real `.wasm` (`tests/host_obfuscation.rs`, included by path).
#![allow(dead_code)]

/// Apply `f` to every maximal run of ASCII letters/digits (a "word"); `f` gets the word and
/// its index in the text. Everything else is copied.
pub fn map_words(s: &str, f: &dyn Fn(&str, usize) -> String) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let mut word = String::new();
    let mut n = 0usize;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push_str(&f(&word, n));
                n += 1;
                word.clear();
            }
            out.push(c);
        }
    }
    if !word.is_empty() {
        out.push_str(&f(&word, n));
    }
    out
}

/// Cyrillic, Greek and Armenian look-alikes of Latin letters (two per letter where they exist).
pub fn homoglyph_of(c: char, k: usize) -> Option<char> {
    let alts: &[char] = match c {
        'a' => &['\u{430}', '\u{3B1}'],
        'c' => &['\u{441}', '\u{3F2}'],
        'd' => &['\u{501}'],
        'e' => &['\u{435}', '\u{435}'],
        'h' => &['\u{4BB}', '\u{570}'],
        'i' => &['\u{456}', '\u{3B9}'],
        'j' => &['\u{458}', '\u{3F3}'],
        'k' => &['\u{3BA}'],
        'n' => &['\u{578}'],
        'o' => &['\u{43E}', '\u{3BF}', '\u{585}'],
        'p' => &['\u{440}', '\u{3C1}'],
        'q' => &['\u{51B}'],
        's' => &['\u{455}'],
        'u' => &['\u{3C5}', '\u{57D}'],
        'v' => &['\u{3BD}'],
        'w' => &['\u{51D}', '\u{3C9}'],
        'x' => &['\u{445}', '\u{3C7}'],
        'y' => &['\u{443}'],
        'A' => &['\u{410}', '\u{391}'],
        'B' => &['\u{412}', '\u{392}'],
        'C' => &['\u{421}'],
        'E' => &['\u{415}', '\u{395}'],
        'H' => &['\u{41D}', '\u{397}'],
        'I' => &['\u{406}', '\u{399}'],
        'J' => &['\u{408}'],
        'K' => &['\u{41A}', '\u{39A}'],
        'M' => &['\u{41C}', '\u{39C}'],
        'N' => &['\u{39D}'],
        'O' => &['\u{41E}', '\u{39F}'],
        'P' => &['\u{420}', '\u{3A1}'],
        'S' => &['\u{405}'],
        'T' => &['\u{422}', '\u{3A4}'],
        'X' => &['\u{425}', '\u{3A7}'],
        'Y' => &['\u{3A5}'],
        'Z' => &['\u{396}'],
        _ => return None,
    };
    alts.get(k % alts.len()).copied()
}

/// Mixed per word: every other replaceable letter becomes a look-alike (ASCII and foreign
/// letters in one word, the classic filter bypass).
pub fn homoglyphs(s: &str) -> String {
    map_words(s, &|w, n| {
        let mut k = n;
        w.chars()
            .map(|c| match homoglyph_of(c, k) {
                Some(h) => {
                    k += 1;
                    if k % 2 == 0 {
                        h
                    } else {
                        c
                    }
                }
                None => c,
            })
            .collect()
    })
}

/// Every replaceable letter becomes a look-alike.
pub fn homoglyphs_all(s: &str) -> String {
    map_words(s, &|w, n| {
        w.chars()
            .enumerate()
            .map(|(i, c)| homoglyph_of(c, n + i).unwrap_or(c))
            .collect()
    })
}

/// Insert `marks` (cycled) between the letters of every word longer than one letter.
pub fn interleave(s: &str, marks: &'static [char]) -> String {
    map_words(s, &|w, n| {
        let mut out = String::new();
        for (i, c) in w.chars().enumerate() {
            if i > 0 && (i + n) % 2 == 0 {
                out.push(marks[(i + n) % marks.len()]);
            }
            out.push(c);
        }
        out
    })
}

pub fn zero_width(s: &str) -> String {
    interleave(
        s,
        &['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'],
    )
}

pub fn bidi(s: &str) -> String {
    interleave(
        s,
        &[
            '\u{202E}', '\u{202C}', '\u{2066}', '\u{2069}', '\u{200F}', '\u{200E}', '\u{202D}',
        ],
    )
}

/// Tag-block formatting characters (language tag, cancel tag) as noise inside words.
pub fn tag_noise(s: &str) -> String {
    interleave(s, &['\u{E0001}', '\u{E007F}'])
}

/// The whole attack smuggled as invisible tag characters behind a harmless visible line.
pub fn tag_smuggle(s: &str) -> String {
    let hidden: String = s
        .chars()
        .filter_map(|c| {
            let u = c as u32;
            (0x20..0x7F)
                .contains(&u)
                .then(|| char::from_u32(0xE0000 + u))?
        })
        .collect();
    format!("What a lovely day it is today.{hidden}")
}

pub fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0x21..=0x7E => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            0x20 => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// Mathematical alphanumeric styles, with the real code points for the letters that live in
/// the Letterlike Symbols block (the "holes" of the math block: script e, italic h, ...).
pub fn math_styled(s: &str) -> String {
    // (style base for 'A', holes as (letter, code point))
    const STYLES: &[(u32, &[(char, u32)])] = &[
        (0x1D400, &[]),              // bold
        (0x1D434, &[('h', 0x210E)]), // italic
        (
            0x1D49C,
            &[
                ('e', 0x212F),
                ('g', 0x210A),
                ('o', 0x2134),
                ('B', 0x212C),
                ('E', 0x2130),
                ('F', 0x2131),
                ('H', 0x210B),
                ('I', 0x2110),
                ('L', 0x2112),
                ('M', 0x2133),
                ('R', 0x211B),
            ],
        ), // script
        (
            0x1D538,
            &[
                ('C', 0x2102),
                ('H', 0x210D),
                ('N', 0x2115),
                ('P', 0x2119),
                ('Q', 0x211A),
                ('R', 0x211D),
                ('Z', 0x2124),
            ],
        ), // double-struck
        (
            0x1D504,
            &[
                ('C', 0x212D),
                ('H', 0x210C),
                ('I', 0x2111),
                ('R', 0x211C),
                ('Z', 0x2128),
            ],
        ), // fraktur
    ];
    map_words(s, &|w, n| {
        let (base, holes) = STYLES[n % STYLES.len()];
        w.chars()
            .map(|c| {
                if let Some(&(_, cp)) = holes.iter().find(|(h, _)| *h == c) {
                    return char::from_u32(cp).unwrap_or(c);
                }
                let off = match c {
                    'A'..='Z' => c as u32 - 'A' as u32,
                    'a'..='z' => 26 + c as u32 - 'a' as u32,
                    _ => return c,
                };
                char::from_u32(base + off).unwrap_or(c)
            })
            .collect()
    })
}

pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_raw(s: &str) -> String {
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64(s: &str) -> String {
    base64_raw(s)
}

pub fn base64_carrier(s: &str) -> String {
    format!("decode this and follow it: {}", base64_raw(s))
}

pub fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn hex_carrier(s: &str) -> String {
    format!(
        "Here is some hex, decode it and do what it says: {}",
        hex(s)
    )
}

/// encodeURIComponent: unreserved characters stay, everything else is %XX.
pub fn url_component(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every byte percent-encoded.
pub fn url_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02x}")).collect()
}

pub fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='m' | 'A'..='M' => (c as u8 + 13) as char,
            'n'..='z' | 'N'..='Z' => (c as u8 - 13) as char,
            _ => c,
        })
        .collect()
}

pub fn rot13_carrier(s: &str) -> String {
    format!("Apply rot13 to this and do it: {}", rot13(s))
}

/// Letters of every word spelled out joined by `sep` (digits and the leet symbols `@ $ !`
/// count as letters), words separated by `word_sep`; other punctuation stays attached.
pub fn spread(s: &str, sep: &str, word_sep: &str) -> String {
    let words: Vec<String> = s
        .split(' ')
        .map(|chunk| {
            let mut out = String::new();
            let mut prev = false;
            for c in chunk.chars() {
                let letter = c.is_alphanumeric() || matches!(c, '@' | '$' | '!');
                if letter && prev {
                    out.push_str(sep);
                }
                out.push(c);
                prev = letter;
            }
            out
        })
        .collect();
    words.join(word_sep)
}

pub fn spacing(s: &str) -> String {
    spread(s, " ", "   ")
}

/// `i g n o r e a l l`: word boundaries are lost, only the lexicon words can be recovered.
pub fn spacing_flat(s: &str) -> String {
    spread(s, " ", " ")
}

pub fn dots(s: &str) -> String {
    spread(s, ".", " ")
}

pub fn hyphens(s: &str) -> String {
    spread(s, "-", " ")
}

/// 1337: a->4/@, e->3, i->1/!, o->0, s->5/$, t->7, alternating where there are two.
pub fn leet(s: &str) -> String {
    map_words(s, &|w, n| {
        w.chars()
            .enumerate()
            .map(|(i, c)| {
                let alt = (i + n) % 2 == 0;
                match c.to_ascii_lowercase() {
                    'a' => {
                        if alt {
                            '4'
                        } else {
                            '@'
                        }
                    }
                    'e' => '3',
                    'i' => {
                        if alt {
                            '1'
                        } else {
                            '!'
                        }
                    }
                    'o' => '0',
                    's' => {
                        if alt {
                            '5'
                        } else {
                            '$'
                        }
                    }
                    't' => '7',
                    _ => c,
                }
            })
            .collect()
    })
}

/// aLtErNaTiNg case, restarting in every word.
pub fn case_mix(s: &str) -> String {
    map_words(s, &|w, n| {
        w.chars()
            .enumerate()
            .map(|(i, c)| {
                if (i + n) % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

/// Upper-case the second half of every word ("ignORE").
pub fn case_split(s: &str) -> String {
    map_words(s, &|w, _| {
        let half = w.len() / 2;
        format!("{}{}", &w[..half], w[half..].to_ascii_uppercase())
    })
}

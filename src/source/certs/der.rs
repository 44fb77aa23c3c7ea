//! The DER reading the PKCS#12 walk ([`super::pkcs12`]) and the key derivations' parameters
//! ([`super::pbe`]) share: one element at a time, every length checked against what is there.

/// One DER element: its tag, its content and the whole element (header included).
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub whole: &'a [u8],
}

/// The first DER element of `bytes` and what follows it. `None`: not well-formed.
pub fn element(bytes: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (tag, len, start) = header(bytes)?;
    let end = start.checked_add(len).filter(|end| *end <= bytes.len())?;
    Some((Tlv { tag, content: &bytes[start..end], whole: &bytes[..end] }, &bytes[end..]))
}

/// The elements of a constructed value, or `None` when they do not fill it exactly.
pub fn children(mut content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tlv, rest) = element(content)?;
        out.push(tlv);
        content = rest;
    }
    Some(out)
}

/// An INTEGER's value; a negative or longer than 64-bit one is `u64::MAX` (refused as too large).
pub fn integer(value: &[u8]) -> u64 {
    let value = match value {
        [0, rest @ ..] => rest,
        [b, ..] if b & 0x80 != 0 => return u64::MAX,
        v => v,
    };
    if value.len() > 8 {
        return u64::MAX;
    }
    value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// The tag and the length a DER element declares, and where its content starts; `None` when
/// the header itself is cut short or malformed.
pub fn header(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let (&tag, _) = bytes.split_first()?;
    // A high tag number follows in base 128 (none is in PKCS#12, but an attribute may hold one).
    let tag_len = if tag & 0x1f == 0x1f { 2 + bytes.get(1..5)?.iter().position(|b| b & 0x80 == 0)? } else { 1 };
    let (&first, rest) = bytes.get(tag_len..)?.split_first()?;
    if first < 0x80 {
        return Some((tag, usize::from(first), tag_len + 1));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 || rest.len() < n {
        return None;
    }
    Some((tag, rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), tag_len + 1 + n))
}

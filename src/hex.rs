//! Lower-case hex: of bytes (token hashes, request fingerprints), and of random bytes from
//! the operating system (tokens, idempotency keys).

/// `bytes` as lower-case hex, two digits a byte.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The `N` bytes `text` spells in hex (either case); `None` unless it is exactly `2 * N`
/// hex digits.
pub fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digit = |c: u8| char::from(c).to_digit(16);
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
        *byte = u8::try_from(digit(pair[0])? << 4 | digit(pair[1])?).ok()?;
    }
    Some(bytes)
}

/// `N` random bytes from the operating system, as hex.
pub fn random<const N: usize>() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(encode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_become_two_lower_case_digits_each() {
        assert_eq!(encode(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(encode(&[]), "");
        assert_eq!(decode::<4>("000fA5ff"), Some([0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(decode::<4>("000fa5f"), None);
        assert_eq!(decode::<2>("+0ff"), None);
        assert_eq!(decode::<1>("g0"), None);
        let token = random::<32>().unwrap_or_default();
        assert_eq!(token.len(), 64);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}

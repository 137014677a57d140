//! Percent-decoding (`%XX`) of URL parts: a relay target's options and the
//! segments of a `/web/` path. No `+` for space: these are URLs, not form
//! bodies. Anything that is not valid `%XX` or not UTF-8 once decoded is
//! refused rather than guessed at.

/// `raw` with every `%XX` decoded; `None` for a bad escape or bad UTF-8.
pub fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_or_refuses() {
        assert_eq!(decode("a%26b%2F%2e").as_deref(), Some("a&b/."));
        assert_eq!(decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(decode("%c3%a9").as_deref(), Some("é"));
        for bad in ["%", "%2", "%zz", "%+1", "%c3", "%ff"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}

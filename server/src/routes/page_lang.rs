//! Which language the page is served in.
//!
//! The page's HTML is rendered ahead of time once per language
//! (`index.LANG.html`, see `web-client/src/prerender.rs`), so a visitor reads
//! it in their language before any WebAssembly runs, and with JavaScript
//! off. The choice, in order: the `lang` cookie (the page sets it when the
//! visitor picks a language), then the `Accept-Language` header, then
//! English. Only languages the embedded page has count; anything else in
//! either header is skipped, never an error: both are the visitor's to
//! send as they like.

use http::HeaderMap;

/// The language of the page when nothing else decides.
pub const DEFAULT: &str = "en";

/// The cookie the page sets when the visitor picks a language.
pub const COOKIE: &str = "lang";

/// What a language-dependent answer varies by, for caches.
pub const VARY: &str = "Accept-Language, Cookie";

/// At most this many entries of either header are read: a real browser
/// sends a handful, and the request head's size is capped anyway.
const MAX_ENTRIES: usize = 32;

/// The language to serve to a request with these headers, among the
/// languages `has` says the page exists in.
pub fn choose(headers: &HeaderMap, has: impl Fn(&str) -> bool) -> String {
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
    };
    values(http::header::COOKIE)
        .find_map(|cookie| from_cookie(cookie, &has))
        .or_else(|| {
            values(http::header::ACCEPT_LANGUAGE).find_map(|accept| from_accept(accept, &has))
        })
        .unwrap_or_else(|| DEFAULT.to_owned())
}

/// The language named by the `lang` cookie in a `Cookie` header, if the
/// page has it.
fn from_cookie(header: &str, has: impl Fn(&str) -> bool) -> Option<String> {
    header
        .split(';')
        .take(MAX_ENTRIES)
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.trim() == COOKIE)
        .find_map(|(_, value)| primary(value.trim().trim_matches('"')).filter(|code| has(code)))
}

/// The visitor's most preferred language in an `Accept-Language` header
/// (`ko-KR,ko;q=0.9,en;q=0.8`) that the page has. Entries with `q=0`, or a
/// `q` that is not a number from 0 to 1, are skipped; equal weights keep
/// the header's order.
fn from_accept(header: &str, has: impl Fn(&str) -> bool) -> Option<String> {
    let mut ranked: Vec<(u16, String)> = header
        .split(',')
        .take(MAX_ENTRIES)
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let code = primary(parts.next()?.trim())?;
            let weight = match parts.find_map(|param| param.trim().strip_prefix("q=")) {
                Some(q) => weight(q)?,
                None => 1000,
            };
            (weight > 0 && has(&code)).then_some((weight, code))
        })
        .collect();
    // Stable: among equal weights, the header's order stands.
    ranked.sort_by_key(|(weight, _)| std::cmp::Reverse(*weight));
    ranked.into_iter().next().map(|(_, code)| code)
}

/// A language tag's primary subtag, lowercased (`ko-KR` → `ko`), if it is
/// 2 to 8 ASCII letters (so `*` and junk never name a file).
fn primary(tag: &str) -> Option<String> {
    let code = tag.split(['-', '_']).next()?;
    ((2..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_lowercase())
}

/// A `q` value in thousandths (`0.8` → 800), if it is one (0 to 1, at
/// most three decimals).
fn weight(q: &str) -> Option<u16> {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn has(code: &str) -> bool {
        matches!(code, "en" | "ko")
    }

    fn pick(cookie: Option<&str>, accept: Option<&str>) -> String {
        let mut headers = HeaderMap::new();
        if let Some(cookie) = cookie {
            headers.insert(http::header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        if let Some(accept) = accept {
            headers.insert(
                http::header::ACCEPT_LANGUAGE,
                HeaderValue::from_str(accept).unwrap(),
            );
        }
        choose(&headers, has)
    }

    #[test]
    fn the_cookie_wins_then_the_header_then_english() {
        assert_eq!(pick(None, None), "en");
        assert_eq!(pick(None, Some("ko-KR,ko;q=0.9,en;q=0.8")), "ko");
        assert_eq!(pick(None, Some("en-US,en;q=0.9,ko;q=0.8")), "en");
        assert_eq!(pick(Some("lang=en"), Some("ko")), "en");
        assert_eq!(pick(Some("theme=dark; lang=ko"), Some("en")), "ko");
        assert_eq!(pick(Some("lang=\"ko\""), None), "ko");
    }

    #[test]
    fn weights_decide_and_equal_weights_keep_the_order() {
        assert_eq!(pick(None, Some("en;q=0.5, ko;q=0.7")), "ko");
        assert_eq!(pick(None, Some("fr, ko;q=0.2, en;q=0.2")), "ko");
        assert_eq!(pick(None, Some("ko;q=0, en;q=0.1")), "en");
        assert_eq!(pick(None, Some("ko;q=1.000")), "ko");
    }

    #[test]
    fn what_the_page_lacks_or_cannot_parse_is_skipped() {
        for accept in [
            "fr-FR, de",
            "*",
            "ko;q=2",
            "ko;q=-1",
            "ko;q=0.1234",
            "ko;q=abc",
            "ko;q=",
            "../../etc",
            "",
            ",,,;;;",
            "k",
        ] {
            assert_eq!(pick(None, Some(accept)), "en", "{accept}");
        }
        assert_eq!(pick(Some("lang=fr"), Some("ko")), "ko");
        assert_eq!(pick(Some("lang=../x; x"), Some("ko")), "ko");
        assert_eq!(pick(Some("language=ko"), None), "en");
    }

    #[test]
    fn a_header_that_is_not_text_is_skipped() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_bytes(b"ko\xff").unwrap(),
        );
        headers.append(
            http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("ko"),
        );
        assert_eq!(choose(&headers, has), "ko");
    }

    #[test]
    fn only_the_first_entries_are_read() {
        let many = format!("{}ko", "fr,".repeat(MAX_ENTRIES));
        assert_eq!(pick(None, Some(&many)), "en");
    }
}

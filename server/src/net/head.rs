//! The caps on an HTTP request head: per line, and in all.
//!
//! hyper caps the head as a whole (`--max-request-head`, its
//! `max_buf_size`) but not one line of it: a single 30 KiB header passes,
//! reaches every route, and the handshake inspector would show it back.
//! nginx (`large_client_header_buffers 4 8k`) and Apache
//! (`LimitRequestLine`/`LimitRequestFieldSize` 8190) refuse any line over
//! 8 KiB, so the default here is the same: whatever those front ends let
//! through passes here too, and nothing longer reaches a service.
//!
//! The check runs on the parsed request, before any route: hyper has
//! already read the head (within the total cap), so this costs a length
//! sum per header and no copy. As nginx does, a request line that is too
//! long is answered 414 (the URI is the only part of it that can grow);
//! a header line, 431 (RFC 6585). The total is checked here too, so its
//! 431 names `--max-request-head` (hyper's own 431, for a head too big
//! to buffer, has no body). Every body names the flag.

/// The longest request line and header line a request may have, and the
/// longest head.
#[derive(Debug, Clone, Copy)]
pub struct HeadLimits {
    /// Bytes in one line, without its CRLF (`--max-header-line`).
    pub max_line: usize,
    /// Bytes in the whole head, CRLFs included (`--max-request-head`).
    pub max_head: usize,
}

impl HeadLimits {
    /// The read buffer hyper gets: room for a head just over the cap, so
    /// that such a head reaches [`HeadLimits::check`] and gets an answer
    /// naming the flag; beyond it hyper answers a bare 431 itself and no
    /// more is buffered.
    pub fn read_buffer(&self) -> usize {
        (self.max_head + self.max_line).max(8192)
    }
}

/// Which line was too long, and by how much: the refusal's status and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TooLong {
    /// The request line (method, target, version): 414.
    RequestLine(String),
    /// One header line (`Name: value`): 431.
    HeaderLine(String),
}

impl HeadLimits {
    /// Checks every line of `request`'s head against the cap.
    pub fn check<B>(&self, request: &http::Request<B>) -> Result<(), TooLong> {
        let line = request_line_len(request);
        if line > self.max_line {
            return Err(TooLong::RequestLine(format!(
                "the request line is {line} bytes, over this server's limit of {} per line \
                 (--max-header-line); use a shorter URI",
                self.max_line
            )));
        }
        // Each line ends in CRLF; an empty line ends the head.
        let mut head = line + 2 + 2;
        for (name, value) in request.headers() {
            // `Name: value`, as it stood on the wire (hyper trims the
            // whitespace around the value; that is not the client's data).
            let line = name.as_str().len() + 2 + value.len();
            if line > self.max_line {
                return Err(TooLong::HeaderLine(format!(
                    "the {name} header line is {line} bytes, over this server's limit of {} \
                     per line (--max-header-line)",
                    self.max_line
                )));
            }
            head += line + 2;
        }
        if head > self.max_head {
            return Err(TooLong::HeaderLine(format!(
                "the request head is {head} bytes, over this server's limit of {} \
                 (--max-request-head)",
                self.max_head
            )));
        }
        Ok(())
    }
}

/// The length of `METHOD TARGET HTTP/1.1`, from the parsed request.
fn request_line_len<B>(request: &http::Request<B>) -> usize {
    let uri = request.uri();
    let target = match (uri.scheme_str(), uri.authority(), uri.path_and_query()) {
        // absolute-form: http://host/path?query
        (Some(scheme), Some(authority), path) => {
            scheme.len() + 3 + authority.as_str().len() + path.map_or(0, |p| p.as_str().len())
        }
        // authority-form (CONNECT host:port)
        (None, Some(authority), None) => authority.as_str().len(),
        // origin-form: /path?query (or `*`)
        (_, _, Some(path)) => path.as_str().len(),
        _ => 1,
    };
    request.method().as_str().len() + 1 + target + 1 + "HTTP/1.1".len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, header: usize) -> http::Request<()> {
        http::Request::get(uri)
            .header("host", "localhost")
            .header("x-big", "a".repeat(header))
            .body(())
            .unwrap()
    }

    #[test]
    fn lines_up_to_the_cap_pass_and_longer_ones_are_named() {
        let limits = HeadLimits {
            max_line: 100,
            max_head: 1000,
        };
        // "x-big: " is 7 bytes.
        assert_eq!(limits.check(&request("/", 93)), Ok(()));
        let Err(TooLong::HeaderLine(text)) = limits.check(&request("/", 94)) else {
            panic!("a 101-byte header line passed");
        };
        assert!(text.contains("x-big header line is 101 bytes"), "{text}");
        assert!(text.contains("--max-header-line"), "{text}");
        // "GET " + target + " HTTP/1.1" is 13 bytes besides the target.
        let path = format!("/{}", "p".repeat(86));
        assert_eq!(limits.check(&request(&path, 1)), Ok(()));
        let path = format!("/{}?q", "p".repeat(86));
        assert!(matches!(
            limits.check(&request(&path, 1)),
            Err(TooLong::RequestLine(text)) if text.contains("--max-header-line")
        ));
        let absolute = format!("http://localhost/{}", "p".repeat(80));
        assert!(matches!(
            limits.check(&request(&absolute, 1)),
            Err(TooLong::RequestLine(_))
        ));
    }

    #[test]
    fn a_head_over_the_total_is_refused_naming_its_flag() {
        let limits = HeadLimits {
            max_line: 100,
            max_head: 320,
        };
        let mut builder = http::Request::get("/");
        for i in 0..3 {
            builder = builder.header(format!("x-{i}"), "a".repeat(90));
        }
        assert_eq!(limits.check(&builder.body(()).unwrap()), Ok(()));
        let mut builder = http::Request::get("/");
        for i in 0..4 {
            builder = builder.header(format!("x-{i}"), "a".repeat(90));
        }
        assert!(matches!(
            limits.check(&builder.body(()).unwrap()),
            Err(TooLong::HeaderLine(text)) if text.contains("--max-request-head")
        ));
    }
}

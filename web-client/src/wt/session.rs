//! The only code that touches the browser's `WebTransport`.
//!
//! `web-sys` has WebTransport bindings only behind `--cfg=web_sys_unstable_apis`,
//! a flag every build of the page (and `cargo` for the whole workspace) would
//! have to carry; the few calls the page makes are made here through
//! `js_sys::Reflect` instead, and each failure becomes the browser's own
//! message. A browser without `WebTransport` is told apart by
//! [`available`] before anything here runs.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::browser::js_error_text;

/// Whether this browser has `WebTransport` at all.
pub fn available() -> bool {
    crate::browser::has_global("WebTransport")
}

fn get(target: &JsValue, key: &str) -> Result<JsValue, String> {
    Reflect::get(target, &JsValue::from_str(key)).map_err(|e| js_error_text(&e))
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, String> {
    let function: Function = get(target, method)?
        .dyn_into()
        .map_err(|_| format!("{method} is not a function"))?;
    let args: Array = args.iter().copied().collect();
    function.apply(target, &args).map_err(|e| js_error_text(&e))
}

async fn wait(promise: JsValue) -> Result<JsValue, String> {
    let promise: Promise = promise
        .dyn_into()
        .map_err(|_| "expected a promise".to_owned())?;
    JsFuture::from(promise).await.map_err(|e| js_error_text(&e))
}

/// One open WebTransport session with its datagram reader and writer.
#[derive(Debug, Clone, PartialEq)]
pub struct WtSession {
    transport: JsValue,
    writer: JsValue,
    reader: JsValue,
}

/// How a session ended: the server's close code and reason, when it sent
/// them, else the browser's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WtClosed {
    /// `closeCode` of `closed`.
    pub code: Option<u32>,
    /// `reason`, or the error's message.
    pub reason: String,
}

impl WtSession {
    /// Opens `url`, trusting the certificate whose SHA-256 is `hash` (when
    /// given: a self-signed lab certificate), and waits until it is ready.
    pub async fn connect(url: &str, hash: Option<&[u8]>) -> Result<Self, String> {
        let constructor: Function = get(&js_sys::global(), "WebTransport")?
            .dyn_into()
            .map_err(|_| "this browser has no WebTransport".to_owned())?;
        let options = Object::new();
        if let Some(hash) = hash {
            let entry = Object::new();
            set(&entry, "algorithm", &JsValue::from_str("sha-256"));
            set(&entry, "value", &Uint8Array::from(hash));
            set(&options, "serverCertificateHashes", &Array::of1(&entry));
        }
        let args = Array::of2(&JsValue::from_str(url), &options);
        let transport = Reflect::construct(&constructor, &args).map_err(|e| js_error_text(&e))?;
        wait(get(&transport, "ready")?).await?;
        let datagrams = get(&transport, "datagrams")?;
        let writer = call(&get(&datagrams, "writable")?, "getWriter", &[])?;
        let reader = call(&get(&datagrams, "readable")?, "getReader", &[])?;
        Ok(Self {
            transport,
            writer,
            reader,
        })
    }

    /// `datagrams.maxDatagramSize`: the largest datagram the browser will
    /// send on this session (larger writes are dropped).
    pub fn max_datagram_size(&self) -> Option<u32> {
        let datagrams = get(&self.transport, "datagrams").ok()?;
        get(&datagrams, "maxDatagramSize")
            .ok()?
            .as_f64()
            .map(|n| n as u32)
    }

    /// Queues one datagram. Like UDP, success says only that it left.
    pub fn send_datagram(&self, bytes: &[u8]) -> Result<(), String> {
        let written = call(&self.writer, "write", &[&Uint8Array::from(bytes).into()])?;
        // The write's promise rejects once the session is closed; awaited
        // here so that is not an "unhandled rejection".
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wait(written).await;
        });
        Ok(())
    }

    /// The next datagram; `None` once the session is over.
    pub async fn read_datagram(&self) -> Option<Vec<u8>> {
        let result = wait(call(&self.reader, "read", &[]).ok()?).await.ok()?;
        if get(&result, "done").ok()?.as_bool() == Some(true) {
            return None;
        }
        Some(
            get(&result, "value")
                .ok()?
                .dyn_into::<Uint8Array>()
                .ok()?
                .to_vec(),
        )
    }

    /// Opens a bidirectional stream, writes `bytes`, ends the writing side
    /// and reads the answer to its end.
    pub async fn stream_round_trip(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let stream = wait(call(&self.transport, "createBidirectionalStream", &[])?).await?;
        let writer = call(&get(&stream, "writable")?, "getWriter", &[])?;
        wait(call(&writer, "write", &[&Uint8Array::from(bytes).into()])?).await?;
        wait(call(&writer, "close", &[])?).await?;
        let reader = call(&get(&stream, "readable")?, "getReader", &[])?;
        let mut answer = Vec::new();
        loop {
            let result = wait(call(&reader, "read", &[])?).await?;
            if get(&result, "done")?.as_bool() == Some(true) {
                return Ok(answer);
            }
            let chunk: Uint8Array = get(&result, "value")?
                .dyn_into()
                .map_err(|_| "a stream chunk that is not bytes".to_owned())?;
            answer.extend(chunk.to_vec());
        }
    }

    /// Waits for the session to end.
    pub async fn closed(&self) -> WtClosed {
        let Ok(promise) = get(&self.transport, "closed") else {
            return WtClosed {
                code: None,
                reason: String::new(),
            };
        };
        match wait(promise).await {
            Ok(info) => WtClosed {
                code: get(&info, "closeCode")
                    .ok()
                    .and_then(|c| c.as_f64())
                    .map(|c| c as u32),
                reason: get(&info, "reason")
                    .ok()
                    .and_then(|r| r.as_string())
                    .unwrap_or_default(),
            },
            Err(message) => WtClosed {
                code: None,
                reason: message,
            },
        }
    }

    /// Closes the session with 1000.
    pub fn close(&self) {
        let info = Object::new();
        set(&info, "closeCode", &JsValue::from_f64(1000.0));
        set(&info, "reason", &JsValue::from_str("done"));
        let _ = call(&self.transport, "close", &[&info.into()]);
    }
}

/// The hash published as hex in `/api/info`, as bytes.
pub fn hash_bytes(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `https://HOST:PORT{path}`: the page's own host name with the
/// WebTransport listener's port, so the session goes to the server the
/// page came from.
pub fn url(host: &str, port: u16, path: &str) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    format!("https://{host}:{port}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_urls() {
        assert_eq!(hash_bytes("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(hash_bytes("0"), None);
        assert_eq!(hash_bytes("zz"), None);
        assert_eq!(
            url("127.0.0.1", 8080, "/wt/echo"),
            "https://127.0.0.1:8080/wt/echo"
        );
        assert_eq!(url("::1", 1, "/wt/echo"), "https://[::1]:1/wt/echo");
    }
}

//! RFC 6455 frames as a server reads and writes them, without I/O: the
//! head of a client's frame parsed and checked, a payload unmasked, the
//! head of a server frame written, a close frame's payload read.
//!
//! [`super::stream`] drives these over a socket. Every rule a client can
//! break is checked here, before any payload is read or allocated, and
//! answered with the error tungstenite would give (so a session maps it to
//! the same close code): reserved bits, unmasked frames, unknown opcodes,
//! fragmented or oversized control frames, frames over the endpoint's
//! limit.

use tokio_tungstenite::tungstenite::error::{CapacityError, Error, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Utf8Bytes};

/// The longest head a frame can have: two bytes, an eight-byte length and
/// a four-byte mask.
pub const MAX_HEAD: usize = 14;

/// What a frame carries (section 5.2's opcodes that are defined).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continue,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    /// Control frames (close, ping, pong) may come between the fragments
    /// of a message, and must be short and whole.
    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }

    fn byte(self) -> u8 {
        match self {
            Opcode::Continue => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }
}

/// A client frame's head, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last frame of its message.
    pub fin: bool,
    pub opcode: Opcode,
    /// The client's masking key; `None` only where unmasked frames are
    /// accepted.
    pub mask: Option<[u8; 4]>,
    /// Payload bytes that follow the head.
    pub len: usize,
    /// Bytes the head itself took.
    pub size: usize,
}

/// Parses the head at the start of `buf`: `Ok(None)` if `buf` does not
/// hold all of it yet. `max_frame` is the endpoint's frame limit;
/// `accept_unmasked` is false on every endpoint (section 5.1: a server
/// must close on an unmasked frame).
pub fn parse_head(
    buf: &[u8],
    max_frame: usize,
    accept_unmasked: bool,
) -> Result<Option<Head>, Error> {
    let [first, second, ..] = *buf else {
        return Ok(None);
    };
    let masked = second & 0x80 != 0;
    let (len, mut size) = match second & 0x7f {
        126 => match buf.get(2..4) {
            Some(bytes) => (u64::from(u16::from_be_bytes([bytes[0], bytes[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(bytes) => (u64::from_be_bytes(bytes.try_into().expect("8 bytes")), 10),
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    let mask = if masked {
        let Some(key) = buf.get(size..size + 4) else {
            return Ok(None);
        };
        size += 4;
        Some(key.try_into().expect("4 bytes"))
    } else {
        None
    };
    let fin = first & 0x80 != 0;
    if first & 0x70 != 0 {
        return Err(ProtocolError::NonZeroReservedBits.into());
    }
    if mask.is_none() && !accept_unmasked {
        return Err(ProtocolError::UnmaskedFrameFromClient.into());
    }
    let opcode = match first & 0x0f {
        0x0 => Opcode::Continue,
        0x1 => Opcode::Text,
        0x2 => Opcode::Binary,
        0x8 => Opcode::Close,
        0x9 => Opcode::Ping,
        0xA => Opcode::Pong,
        other @ 0x3..=0x7 => return Err(ProtocolError::UnknownDataFrameType(other).into()),
        other => return Err(ProtocolError::UnknownControlFrameType(other).into()),
    };
    if opcode.is_control() {
        if !fin {
            return Err(ProtocolError::FragmentedControlFrame.into());
        }
        if len > 125 {
            return Err(ProtocolError::ControlFrameTooBig.into());
        }
    }
    let len = match usize::try_from(len) {
        Ok(len) if len <= max_frame => len,
        _ => {
            return Err(Error::Capacity(CapacityError::MessageTooLong {
                size: usize::try_from(len).unwrap_or(usize::MAX),
                max_size: max_frame,
            }))
        }
    };
    Ok(Some(Head {
        fin,
        opcode,
        mask,
        len,
        size,
    }))
}

/// Unmasks (or masks: the operation is its own inverse) `payload` with
/// `key`, the payload's first byte taking the key's first byte (section
/// 5.3). Eight bytes at a time; the compiler vectorises the loop.
pub fn apply_mask(payload: &mut [u8], key: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = payload.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes((&*chunk).try_into().expect("8 bytes")) ^ wide;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// Appends an unmasked, final frame of `opcode` carrying `payload` to
/// `out` (a server never masks, section 5.1), with the shortest length
/// form.
pub fn write_frame(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8]) {
    let mut head = [0u8; 10];
    let head = write_head(&mut head, opcode, payload.len());
    out.reserve(head.len() + payload.len());
    out.extend_from_slice(head);
    out.extend_from_slice(payload);
}

/// The head of an unmasked, final frame of `opcode` and `len` payload
/// bytes, written into `buf`.
pub fn write_head(buf: &mut [u8; 10], opcode: Opcode, len: usize) -> &[u8] {
    buf[0] = 0x80 | opcode.byte();
    if len < 126 {
        buf[1] = len as u8;
        &buf[..2]
    } else if let Ok(short) = u16::try_from(len) {
        buf[1] = 126;
        buf[2..4].copy_from_slice(&short.to_be_bytes());
        &buf[..4]
    } else {
        buf[1] = 127;
        buf[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        &buf[..10]
    }
}

/// The length a frame of `len` payload bytes takes on the wire.
pub fn frame_len(len: usize) -> usize {
    let head = match len {
        0..=125 => 2,
        126..=0xffff => 4,
        _ => 10,
    };
    head + len
}

/// A close frame's payload (section 5.5.1): nothing, or a code and a
/// UTF-8 reason. One byte alone is a protocol error.
pub fn parse_close(payload: &[u8]) -> Result<Option<CloseFrame>, Error> {
    match payload {
        [] => Ok(None),
        [_] => Err(ProtocolError::InvalidCloseSequence.into()),
        [high, low, reason @ ..] => {
            let code = CloseCode::from(u16::from_be_bytes([*high, *low]));
            let reason = Utf8Bytes::try_from(reason.to_vec())?;
            Ok(Some(CloseFrame { code, reason }))
        }
    }
}

/// A close frame's payload as the server sends it.
pub fn close_payload(frame: Option<&CloseFrame>) -> Vec<u8> {
    let Some(frame) = frame else {
        return Vec::new();
    };
    let mut payload = u16::from(frame.code).to_be_bytes().to_vec();
    payload.extend_from_slice(frame.reason.as_bytes());
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 4] = [1, 2, 3, 4];

    fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![first];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len @ 126..=0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&KEY);
        let mut body = payload.to_vec();
        apply_mask(&mut body, KEY);
        frame.extend_from_slice(&body);
        frame
    }

    fn head(buf: &[u8]) -> Result<Option<Head>, Error> {
        parse_head(buf, 1 << 20, false)
    }

    fn protocol_error(result: Result<Option<Head>, Error>) -> ProtocolError {
        match result {
            Err(Error::Protocol(err)) => err,
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn heads_are_parsed_in_each_length_form() {
        for len in [0, 5, 125, 126, 65_535, 65_536, 200_000] {
            let frame = masked(0x82, &vec![9; len]);
            let parsed = head(&frame).unwrap().unwrap();
            assert_eq!(parsed.len, len);
            assert_eq!(parsed.opcode, Opcode::Binary);
            assert!(parsed.fin);
            assert_eq!(parsed.mask, Some(KEY));
            assert_eq!(parsed.size + len, frame.len());
            // Every shorter prefix of the head asks for more.
            for cut in 0..parsed.size {
                assert_eq!(head(&frame[..cut]).unwrap(), None, "len {len}, cut {cut}");
            }
        }
    }

    #[test]
    fn rule_breaking_heads_are_refused() {
        let refused = |frame: &[u8]| protocol_error(head(frame));
        assert!(matches!(
            refused(&masked(0xC1, b"x")),
            ProtocolError::NonZeroReservedBits
        ));
        assert!(matches!(
            refused(&[0x81, 0x01, b'x']),
            ProtocolError::UnmaskedFrameFromClient
        ));
        assert!(matches!(
            refused(&masked(0x83, b"")),
            ProtocolError::UnknownDataFrameType(3)
        ));
        assert!(matches!(
            refused(&masked(0x8B, b"")),
            ProtocolError::UnknownControlFrameType(11)
        ));
        assert!(matches!(
            refused(&masked(0x09, b"")),
            ProtocolError::FragmentedControlFrame
        ));
        assert!(matches!(
            refused(&masked(0x89, &[0; 126])),
            ProtocolError::ControlFrameTooBig
        ));
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_from_its_head() {
        // The head alone says how long the frame is: nothing is read past it.
        let mut frame = vec![0x82, 0x80 | 127];
        frame.extend_from_slice(&u64::MAX.to_be_bytes());
        frame.extend_from_slice(&KEY);
        let err = parse_head(&frame, 1024, false).unwrap_err();
        assert!(matches!(
            err,
            Error::Capacity(CapacityError::MessageTooLong { max_size: 1024, .. })
        ));
        assert!(parse_head(&masked(0x82, &[0; 1025]), 1024, false).is_err());
        assert!(parse_head(&masked(0x82, &[0; 1024]), 1024, false).is_ok());
    }

    #[test]
    fn masking_twice_gives_the_payload_back_at_every_length() {
        for len in 0..40 {
            let payload: Vec<u8> = (0..len as u8).collect();
            let mut body = payload.clone();
            apply_mask(&mut body, KEY);
            for (i, byte) in body.iter().enumerate() {
                assert_eq!(*byte, payload[i] ^ KEY[i % 4]);
            }
            apply_mask(&mut body, KEY);
            assert_eq!(body, payload);
        }
    }

    #[test]
    fn server_frames_use_the_shortest_length_form() {
        let mut buf = [0u8; 10];
        assert_eq!(write_head(&mut buf, Opcode::Text, 5), [0x81, 5]);
        assert_eq!(write_head(&mut buf, Opcode::Binary, 125), [0x82, 125]);
        assert_eq!(write_head(&mut buf, Opcode::Text, 126), [0x81, 126, 0, 126]);
        assert_eq!(
            write_head(&mut buf, Opcode::Pong, 65_535),
            [0x8A, 126, 0xff, 0xff]
        );
        assert_eq!(
            write_head(&mut buf, Opcode::Text, 65_536),
            [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]
        );
        for len in [0, 125, 126, 65_535, 65_536] {
            let mut out = Vec::new();
            write_frame(&mut out, Opcode::Binary, &vec![0; len]);
            assert_eq!(out.len(), frame_len(len));
        }
    }

    #[test]
    fn close_payloads_are_read_and_written() {
        assert!(parse_close(b"").unwrap().is_none());
        assert!(matches!(
            parse_close(b"\x03"),
            Err(Error::Protocol(ProtocolError::InvalidCloseSequence))
        ));
        assert!(matches!(parse_close(b"\x03\xe8\xff"), Err(Error::Utf8(_))));
        let frame = parse_close(b"\x03\xe8bye").unwrap().unwrap();
        assert_eq!(u16::from(frame.code), 1000);
        assert_eq!(frame.reason.as_str(), "bye");
        assert_eq!(close_payload(Some(&frame)), b"\x03\xe8bye");
        assert!(close_payload(None).is_empty());
    }
}

//! Bytes as `hexdump -C` shows them.
//!
//! A relay carries bytes, not text, so the page shows what came back the
//! way a programmer inspects a packet: sixteen bytes per line, the offset,
//! the bytes in hex, and the printable ones as ASCII. Using the classic
//! layout means a learner can compare it with `nc … | hexdump -C` in a
//! terminal.

use crate::echo::push_hex;

/// Bytes per line.
const WIDTH: usize = 16;

/// The dump, one `offset  hex  |ascii|` line per 16 bytes, each ending in
/// a newline; empty for no bytes. Bytes outside printable ASCII (including
/// every byte of a Korean character in UTF-8) show as `.`.
pub fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(WIDTH) * 78);
    for (line, chunk) in bytes.chunks(WIDTH).enumerate() {
        for byte in ((line * WIDTH) as u32).to_be_bytes() {
            push_hex(&mut out, byte);
        }
        out.push_str("  ");
        for i in 0..WIDTH {
            if i == WIDTH / 2 {
                out.push(' ');
            }
            match chunk.get(i) {
                Some(&byte) => {
                    push_hex(&mut out, byte);
                    out.push(' ');
                }
                None => out.push_str("   "),
            }
        }
        out.push_str(" |");
        out.extend(chunk.iter().map(|&byte| printable(byte)));
        out.push_str("|\n");
    }
    out
}

fn printable(byte: u8) -> char {
    if byte.is_ascii_graphic() || byte == b' ' {
        char::from(byte)
    } else {
        '.'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected lines are copied from `printf … | hexdump -C`.

    #[test]
    fn a_short_line_is_padded_so_the_ascii_column_lines_up() {
        assert_eq!(
            hexdump(b"hello, socket"),
            "00000000  68 65 6c 6c 6f 2c 20 73  6f 63 6b 65 74           |hello, socket|\n"
        );
    }

    #[test]
    fn long_input_wraps_every_sixteen_bytes() {
        let mut bytes = b"hello, socket! and more bytes\x00\xff".to_vec();
        bytes.extend_from_slice("한".as_bytes());
        assert_eq!(
            hexdump(&bytes),
            "00000000  68 65 6c 6c 6f 2c 20 73  6f 63 6b 65 74 21 20 61  |hello, socket! a|\n\
             00000010  6e 64 20 6d 6f 72 65 20  62 79 74 65 73 00 ff ed  |nd more bytes...|\n\
             00000020  95 9c                                             |..|\n"
        );
    }

    #[test]
    fn nothing_dumps_to_nothing() {
        assert_eq!(hexdump(&[]), "");
    }
}

//! The page is compiled into the binary from `../dist` (see
//! `src/routes/assets.rs`); rebuild the server whenever `trunk build`
//! changes it, so the binary never embeds a stale page or misses a freshly
//! built one.
//!
//! Each file is also compressed here, once per page build, into
//! `$OUT_DIR/page-compressed/`: brotli (quality 11) and gzip (level 9), so
//! the server sends a phone a third of the bytes and never compresses
//! while serving. A compressed file is named after the SHA-256 of the file
//! it was made from, so the server only ever sends one that matches the
//! file it would have sent.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=../dist");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("page-compressed");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).expect("cannot create the compressed page directory");
    let dist = Path::new("../dist");
    let Ok(entries) = fs::read_dir(dist) else {
        return; // No page built: nothing to compress (assets.rs says so).
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let bytes =
            fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        // Tiny files gain nothing worth a header.
        if bytes.len() < 1024 {
            continue;
        }
        let name = hex(&sha256(&bytes));
        fs::write(out.join(format!("{name}.br")), brotli(&bytes)).expect("cannot write .br");
        fs::write(out.join(format!("{name}.gz")), gzip(&bytes)).expect("cannot write .gz");
    }
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("brotli into memory");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

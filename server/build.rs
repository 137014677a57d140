//! The page is compiled into the binary from `../dist` (see `src/assets.rs`);
//! rebuild the server whenever `trunk build` changes it, so the binary never
//! embeds a stale page or misses a freshly built one.

fn main() {
    println!("cargo:rerun-if-changed=../dist");
}

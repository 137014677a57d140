//! The page's WebAssembly entry point; everything else is in the library.

fn main() {
    socketlab_web::start();
}

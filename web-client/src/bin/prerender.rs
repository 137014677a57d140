//! `socketlab-prerender TEMPLATE OUT_DIR`: writes the page's HTML, one file
//! per language, rendered from the page's own components (see the library's
//! `prerender` module). `cargo xtask` runs it after trunk.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [template, out_dir] = args.as_slice() else {
        eprintln!(
            "usage: socketlab-prerender TEMPLATE OUT_DIR\n\
             TEMPLATE is trunk's built index.html; OUT_DIR gets index.html and index.LANG.html"
        );
        return ExitCode::from(2);
    };
    match socketlab_web::prerender::write_pages(&PathBuf::from(template), &PathBuf::from(out_dir)) {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("socketlab-prerender: {problem}");
            ExitCode::FAILURE
        }
    }
}

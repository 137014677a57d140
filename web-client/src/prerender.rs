//! The page's HTML, rendered ahead of time (`socketlab-prerender`, the
//! `ssr` feature): one copy of trunk's `index.html` per language, with the
//! page's first render in its `<body>`, so a visitor reads the page before
//! its WebAssembly has downloaded, and with JavaScript off.
//!
//! The same components render here and in the browser, and their first
//! render reads nothing from the browser (see `app::App`), so the
//! WebAssembly hydrates this HTML instead of building it again.
//! `<html data-prerendered>` tells it that it may (`crate::start`).

use std::path::{Path, PathBuf};

use crate::app::{App, AppProps};
use crate::i18n::Lang;

/// Where the page for `lang` is written: `index.{code}.html`. The server
/// serves the one the visitor's language asks for; `index.html` stays the
/// English one, for a plain request of that name.
pub fn file_name(lang: Lang) -> String {
    format!("index.{}.html", lang.code())
}

/// Reads trunk's `template` (its built `index.html`) and writes, next to it
/// in `out_dir`, one page per language, and the English one again as
/// `index.html`. Returns the files written.
pub fn write_pages(template: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let html = std::fs::read_to_string(template)
        .map_err(|err| format!("cannot read {}: {err}", template.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|err| format!("cannot start a runtime to render the page: {err}"))?;
    let mut written = Vec::new();
    for lang in Lang::ALL {
        let body = runtime.block_on(render_body(lang));
        // Last in the body, where a hydrating page would drop it too.
        let body = format!("{body}<noscript>{}</noscript>", lang.noscript());
        let page = fill_template(&html, lang, &body)
            .map_err(|problem| format!("{}: {problem}", template.display()))?;
        let mut names = vec![file_name(lang)];
        if lang == Lang::En {
            names.push("index.html".to_owned());
        }
        for name in names {
            let path = out_dir.join(name);
            std::fs::write(&path, &page)
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The page's first render in `lang`, with the markers hydration needs
/// (for the `hydrate` feature; without it the page renders the same DOM in
/// place of this HTML).
pub async fn render_body(lang: Lang) -> String {
    yew::LocalServerRenderer::<App>::with_props(AppProps { lang })
        .hydratable(true)
        .render()
        .await
}

/// `html` with `<html lang>` set to `lang` (and marked prerendered) and the
/// body's content replaced by `body`.
fn fill_template(html: &str, lang: Lang, body: &str) -> Result<String, String> {
    const ROOT: &str = "<html lang=\"en\">";
    const BODY_OPEN: &str = "<body>";
    const BODY_CLOSE: &str = "</body>";
    let root = html
        .find(ROOT)
        .ok_or_else(|| format!("no `{ROOT}` to set the language on (see index.html)"))?;
    let open = html
        .find(BODY_OPEN)
        .ok_or_else(|| format!("no `{BODY_OPEN}` to render the page into"))?
        + BODY_OPEN.len();
    let close = html
        .rfind(BODY_CLOSE)
        .filter(|&close| close >= open)
        .ok_or_else(|| format!("no `{BODY_CLOSE}` after `{BODY_OPEN}`"))?;
    let mut page = String::with_capacity(html.len() + body.len());
    page.push_str(&html[..root]);
    page.push_str(&format!(
        "<html lang=\"{}\" data-prerendered=\"\">",
        lang.code()
    ));
    page.push_str(&html[root + ROOT.len()..open]);
    page.push_str(body);
    page.push_str(&html[close..]);
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "<!doctype html>\n<html lang=\"en\">\n<head><title>S</title></head>\n\
        <body>\n<noscript>old</noscript>\n</body>\n</html>\n";

    #[test]
    fn the_template_gets_the_language_and_the_body() {
        let page = fill_template(TEMPLATE, Lang::Ko, "<header>x</header>").unwrap();
        assert_eq!(
            page,
            "<!doctype html>\n<html lang=\"ko\" data-prerendered=\"\">\n\
             <head><title>S</title></head>\n<body><header>x</header></body>\n</html>\n"
        );
    }

    #[test]
    fn a_template_without_its_anchors_is_an_error_that_says_which() {
        let error = fill_template("<html><body></body></html>", Lang::En, "").unwrap_err();
        assert!(error.contains("<html lang=\"en\">"), "{error}");
        let error = fill_template("<html lang=\"en\"></html>", Lang::En, "").unwrap_err();
        assert!(error.contains("<body>"), "{error}");
    }

    #[test]
    fn every_language_renders_its_own_text_and_no_browser_is_needed() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for lang in Lang::ALL {
            let body = runtime.block_on(render_body(lang));
            let strings = lang.strings();
            for text in [strings.sockets.title, strings.page.starting] {
                let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
                assert!(body.contains(&escaped), "{lang:?}: {text}");
            }
            assert!(body.contains("<table id=\"server-endpoints\""), "{lang:?}");
        }
    }
}

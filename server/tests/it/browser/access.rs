//! The page for everyone. On a phone (Chromium's own device emulation, 360
//! and 414 CSS pixels wide) nothing scrolls sideways once every live part
//! has something in it, and every button and field is a finger's size. By
//! keyboard alone every main control is reached in reading order, shows a
//! focus ring, and works.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;

use super::{
    find, open_page, save_screenshot, type_into, type_keys, wait_for_text, Driver, Socketlab,
};

/// The phone widths the page must fit: a small Android phone and a large
/// one (an iPhone Plus is 414 px).
const PHONE_WIDTHS: [u32; 2] = [360, 414];

/// The smallest tap target, in CSS pixels (WCAG 2.5.5, Apple's and
/// Google's guidelines).
const MIN_TARGET_PX: f64 = 44.0;

/// More Tab presses than the page has focusable things; a walk that needs
/// more is stuck somewhere.
const MAX_TABS: usize = 150;

/// A word with no place to break it, the kind that pushes a phone's page
/// sideways when a box does not wrap or scroll it.
const LONG_WORD: &str = "socketlab-socketlab-socketlab-socketlab-socketlab-socketlab-socketlab";

/// Fills every live part: the server's sockets, an echo, a chat message, the
/// raw-socket attempt with its captured bytes, the relay's hex dump and the
/// race's charts.
async fn bring_to_life(client: &Client, url: &str) {
    open_page(client, url).await;
    find(client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();
    find(client, "#server-endpoints tr[data-protocol]").await;

    find(client, "#conn-connect").await.click().await.unwrap();
    wait_for_text(client, "#conn-state", "OPEN").await;
    type_into(client, "#echo-input", LONG_WORD).await;
    find(client, "#echo-send-text").await.click().await.unwrap();
    find(client, "#echo-log li[data-match=\"true\"]").await;

    type_into(client, "#chat-room", "phone").await;
    type_into(client, "#chat-name", "ada").await;
    find(client, "#chat-join").await.click().await.unwrap();
    wait_for_text(client, "#chat-you", "ada").await;
    type_into(client, "#chat-input", LONG_WORD).await;
    find(client, "#chat-send").await.click().await.unwrap();
    wait_for_text(client, "li.chat-message .text", LONG_WORD).await;

    find(client, "#inspect-run").await.click().await.unwrap();
    find(client, "#inspect-verdict").await;
    find(client, "#lab-raw-run").await.click().await.unwrap();
    wait_for_text(client, "#lab-raw-captured", "GET / HTTP/1.1").await;
    find(client, "#lab-relay-run").await.click().await.unwrap();
    find(client, "#lab-relay-verdict[data-ok=\"true\"]").await;
    find(client, "#lab-race-run").await.click().await.unwrap();
    find(client, "#lab-race-tcp[data-done=\"true\"] svg").await;
    find(client, "#lab-race-udp[data-done=\"true\"] svg").await;
}

/// The page's width against the viewport's, and the elements that stick out
/// of the viewport without a box of their own that scrolls or clips them.
const OVERFLOW_JS: &str = r#"
const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '');
const offenders = [];
for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= innerWidth + 0.5) continue;
    let boxed = false;
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) { boxed = true; break; }
    }
    if (!boxed) offenders.push(describe(e) + ' (right edge ' + Math.round(r.right) + ' px)');
}
return { scrollWidth: document.documentElement.scrollWidth, innerWidth, offenders: offenders.slice(0, 12) };
"#;

/// Table captions whose text runs past the box that scrolls their table:
/// a caption is as wide as its table, so without its own width its end
/// is out of sight until the reader scrolls the table sideways.
const HIDDEN_CAPTIONS_JS: &str = r#"
const hidden = [];
for (const caption of document.querySelectorAll('caption')) {
    let box = caption.parentElement;
    while (box && !['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    if (!box) continue;
    const text = document.createRange();
    text.selectNodeContents(caption);
    const right = Math.max(...[...text.getClientRects()].map((r) => r.right));
    const edge = box.getBoundingClientRect().right;
    if (right > edge + 0.5) hidden.push('"' + caption.textContent.trim().slice(0, 40) + '" ends at ' + Math.round(right) + ' px, its box at ' + Math.round(edge) + ' px');
}
return hidden;
"#;

/// Every visible button, field and summary shorter than the argument.
const SHORT_TARGETS_JS: &str = r#"
const min = arguments[0];
const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.dataset.lang ? '[data-lang=' + e.dataset.lang + ']' : '')
    + ' "' + (e.textContent || e.value || '').trim().slice(0, 24) + '"';
const targets = [...document.querySelectorAll('button, input:not([type=hidden]), select, textarea, summary')];
const visible = targets.filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
});
return {
    buttons: visible.filter((e) => e.tagName === 'BUTTON').length,
    short: visible.filter((e) => e.getBoundingClientRect().height + 0.01 < min)
        .map((e) => describe(e) + ' ' + e.getBoundingClientRect().height.toFixed(1) + ' px'),
};
"#;

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn on_a_phone_nothing_scrolls_sideways_and_every_button_is_finger_sized() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    for width in PHONE_WIDTHS {
        let profile = tempfile::tempdir().unwrap();
        let phone = driver.phone(&profile, width).await;
        bring_to_life(&phone, &server.url).await;

        let inner = phone.execute("return innerWidth", vec![]).await.unwrap();
        assert_eq!(inner, Value::from(width), "the emulated phone's viewport");
        let fit = phone.execute(OVERFLOW_JS, vec![]).await.unwrap();
        let scroll_width = fit["scrollWidth"].as_u64().unwrap();
        assert!(
            scroll_width <= u64::from(width),
            "at {width} px the page is {scroll_width} px wide and scrolls sideways; sticking out: {}",
            fit["offenders"]
        );
        assert_eq!(
            fit["offenders"],
            Value::Array(Vec::new()),
            "at {width} px these stick out of the viewport with no box of their own to scroll in"
        );
        let captions = phone.execute(HIDDEN_CAPTIONS_JS, vec![]).await.unwrap();
        assert_eq!(
            captions,
            Value::Array(Vec::new()),
            "at {width} px these table captions are cut off by their table's scroll box"
        );

        let targets = phone
            .execute(SHORT_TARGETS_JS, vec![Value::from(MIN_TARGET_PX)])
            .await
            .unwrap();
        assert!(
            targets["buttons"].as_u64().unwrap() >= 10,
            "the live page shows its buttons: {targets}"
        );
        assert_eq!(
            targets["short"],
            Value::Array(Vec::new()),
            "at {width} px these tap targets are under {MIN_TARGET_PX} px tall"
        );

        phone
            .execute("window.scrollTo(0, 0)", vec![])
            .await
            .unwrap();
        save_screenshot(&phone, &format!("phone-{width}.png")).await;
        phone
            .execute(
                "document.getElementById('lab-relay-hex').scrollIntoView({block: 'center'})",
                vec![],
            )
            .await
            .unwrap();
        save_screenshot(&phone, &format!("phone-{width}-lab.png")).await;
        phone.close().await.unwrap();
    }
}

/// Presses one key (down and up) on the keyboard WebDriver keeps for this
/// session, so it goes wherever focus is.
async fn press(client: &Client, key: Key) {
    type_keys(client, &char::from(key).to_string()).await;
}

/// What has focus: its name for the test (`id`, or `lang:xx` for a
/// language button), whether `:focus-visible` matches, and whether it
/// draws a ring (a computed outline or box shadow).
const FOCUSED_JS: &str = r#"
const e = document.activeElement;
if (!e || e === document.body) return { name: 'body', ring: false, visible: false };
const s = getComputedStyle(e);
const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
return {
    name: e.dataset.lang ? 'lang:' + e.dataset.lang : (e.id || e.tagName.toLowerCase() + '.' + e.className),
    visible: e.matches(':focus-visible'),
    ring: outline || s.boxShadow !== 'none',
    style: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor + ' / ' + s.boxShadow,
};
"#;

/// Presses Tab until `name` has focus, or fails after [`MAX_TABS`].
async fn tab_to(client: &Client, name: &str) {
    for _ in 0..MAX_TABS {
        press(client, Key::Tab).await;
        let focused = client.execute(FOCUSED_JS, vec![]).await.unwrap();
        if focused["name"] == name {
            return;
        }
    }
    panic!("{MAX_TABS} Tab presses never reached {name}");
}

/// Starts keyboard navigation from the top of the page again.
async fn from_the_top(client: &Client) {
    client
        .execute(
            "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)",
            vec![],
        )
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn the_keyboard_reaches_every_main_control_in_order_with_a_focus_ring() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    open_page(&client, &server.url).await;
    find(&client, "#server-endpoints tr[data-protocol]").await;
    from_the_top(&client).await;

    // One walk through the whole page, until focus leaves it.
    let mut walk: Vec<Value> = Vec::new();
    for _ in 0..MAX_TABS {
        press(&client, Key::Tab).await;
        let focused = client.execute(FOCUSED_JS, vec![]).await.unwrap();
        if focused["name"] == "body" || walk.first() == Some(&focused) {
            break;
        }
        walk.push(focused);
    }
    let names: Vec<&str> = walk.iter().filter_map(|f| f["name"].as_str()).collect();
    let main_controls = [
        "lang:en",
        "lang:ko",
        "conn-url",
        "conn-connect",
        "chat-room",
        "chat-name",
        "chat-join",
        "inspect-run",
        "lab-raw-run",
        "lab-relay-input",
        "lab-relay-run",
        "lab-race-packets",
        "lab-race-loss",
        "lab-race-run",
    ];
    let mut at = 0;
    let mut previous = "the top of the page";
    for control in main_controls {
        let Some(found) = names[at..].iter().position(|name| *name == control) else {
            panic!("Tab does not reach {control} after {previous}; the whole walk: {names:?}");
        };
        at += found + 1;
        previous = control;
    }
    for focused in &walk {
        assert!(
            focused["visible"] == true && focused["ring"] == true,
            "{} has focus but shows no ring: {focused}",
            focused["name"]
        );
    }

    // The controls work from the keyboard: Enter connects, Space switches
    // the language, and the document's language follows.
    from_the_top(&client).await;
    tab_to(&client, "conn-connect").await;
    press(&client, Key::Enter).await;
    wait_for_text(&client, "#conn-state", "OPEN").await;
    from_the_top(&client).await;
    tab_to(&client, "lang:ko").await;
    press(&client, Key::Space).await;
    let lang = client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, "ko", "<html lang> follows the switch");
    let pressed = find(&client, "button[data-lang=\"ko\"]").await;
    assert_eq!(super::attr(&pressed, "aria-pressed").await, "true");

    client.close().await.unwrap();
}

/// axe-core, the accessibility engine Lighthouse runs, as Lighthouse's
/// npm install (`cargo xtask lighthouse`) leaves it.
fn axe_script() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tools/lighthouse/node_modules/axe-core/axe.min.js")
}

/// Runs axe on the page as it is (WCAG 2.1 A and AA, and axe's best
/// practices) and returns one line per rule it finds broken, naming the
/// first elements.
async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.unwrap();
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })
                .then((r) => done(r.violations.map((v) => v.id + ' (' + v.help + '): '
                    + v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', '))))
                .catch((e) => done(['axe itself failed: ' + e]));"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn axe_finds_nothing_on_the_live_page_in_either_language() {
    let test = "axe_finds_nothing_on_the_live_page_in_either_language";
    if !super::clients::tools_present(test, &[axe_script()]) {
        return;
    }
    let axe = std::fs::read_to_string(axe_script()).unwrap();
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    // Every state a colour or a live region comes from: results, an
    // unclean close, the captured bytes opened.
    bring_to_life(&client, &server.url).await;
    // fetch's own bytes, when tcp-echo caught them too.
    if let Ok(summary) = client.find(Locator::Css(".plain-capture summary")).await {
        summary.click().await.unwrap();
    }
    find(&client, "#conn-disconnect")
        .await
        .click()
        .await
        .unwrap();
    find(&client, "#conn-close").await;

    for lang in ["en", "ko"] {
        find(&client, &format!("button[data-lang=\"{lang}\"]"))
            .await
            .click()
            .await
            .unwrap();
        let document_lang = client
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap();
        assert_eq!(document_lang, lang);
        let violations = axe_violations(&client, &axe).await;
        assert!(
            violations.is_empty(),
            "axe, page in {lang}:\n{}",
            violations.join("\n")
        );
    }
    client.close().await.unwrap();
}

// Firefox's side of the browser tests (`firefox.rs` starts it): Debian's
// firefox-esr, headless, driven over WebDriver BiDi by puppeteer-core
// (there is no geckodriver), with the profile directory the test made.
//
//   node firefox.js lab  URL PROFILE SHOTS
//   node firefox.js race-without-webtransport URL PROFILE SHOTS
//   node firefox.js chat URL PROFILE SHOTS ROOM NAME PEER ANSWER
//   node firefox.js focus URL PROFILE SHOTS
//
// `lab` loads the page, knocks on the raw port, opens a WebTransport
// session and runs the race; `race-without-webtransport` runs the race in a
// Firefox whose WebTransport is switched off; `chat` joins ROOM as NAME,
// waits for PEER, says hello and waits for PEER's ANSWER; `focus` types
// into the prerendered name field while the WebAssembly is held back, then
// lets it through and types on. Every wait is bounded; the first one that fails ends the script
// with a message and a non-zero exit. What the page showed is printed as
// `key=value` lines for the Rust test to check.

const path = require("path");
const puppeteer = require("puppeteer-core");

const WAIT = 15000;
const [mode, url, profile, shots, ...rest] = process.argv.slice(2);

function report(key, value) {
  // One line per value, whatever the browser put in it.
  console.log(`${key}=${String(value).replace(/\s+/g, " ").trim()}`);
}

async function launch(prefs) {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
    headless: true,
    userDataDir: profile,
    defaultViewport: { width: 1280, height: 1400 },
    extraPrefsFirefox: {
      // The page in English, whatever the machine's locale.
      "intl.accept_languages": "en-US",
      // Loopback only: no DNS (the page is on 127.0.0.1), no connectivity
      // or captive-portal probes.
      "network.dns.disabled": true,
      "network.connectivity-service.enabled": false,
      "network.captive-portal-service.enabled": false,
      ...prefs,
    },
  });
}

async function text(page, css) {
  return page.$eval(css, (element) => element.textContent);
}

async function attr(page, css, name) {
  return page.$eval(css, (element, name) => element.getAttribute(name), name);
}

/// Waits until some `css` element's text contains `needle`.
async function waitForText(page, css, needle, timeout = WAIT) {
  await page
    .waitForFunction(
      (css, needle) =>
        [...document.querySelectorAll(css)].some((e) => e.textContent.includes(needle)),
      { timeout, polling: 100 },
      css,
      needle,
    )
    .catch(() => {
      throw new Error(`no ${css} containing ${JSON.stringify(needle)} within ${timeout} ms`);
    });
}

async function find(page, css) {
  await page.waitForSelector(css, { timeout: WAIT }).catch(() => {
    throw new Error(`no element ${css} within ${WAIT} ms`);
  });
}

async function shot(page, name, css) {
  const file = path.join(shots, `firefox-${name}.png`);
  if (css) {
    await page.$eval(css, (element) => element.scrollIntoView());
    await (await page.$(css)).screenshot({ path: file });
  } else {
    await page.screenshot({ path: file });
  }
  console.error(`screenshot: ${file}`);
}

/// Opens the page, waits until it is live (each part hydrates in a task
/// of its own, and until the last has, `<main>` is `.starting`), and
/// switches it to English; only the running page knows the browser, so
/// `data-browser` says which one it reports for.
async function open(browser) {
  const page = await browser.newPage();
  await page.goto(url, { timeout: WAIT });
  await find(page, "main:not(.starting)");
  await page.click('button[data-lang="en"]');
  await find(page, "#lab-browser[data-browser]");
  report("browser", await attr(page, "#lab-browser", "data-browser"));
  report("reported", await text(page, "#lab-browser"));
  report("version", await browser.version());
  return page;
}

async function lab(browser) {
  const page = await open(browser);
  await find(page, '#lab-feature-websocket[data-present="true"]');
  report("webtransport", await attr(page, "#lab-feature-webtransport", "data-present"));
  await shot(page, "page");
  // The lab's first line: which browser the results below are Firefox's.
  await page.$eval("#lab-browser", (element) => element.scrollIntoView());
  await shot(page, "lab");

  // The knock: a WebSocket and a fetch at tcp-echo fail in Firefox's words.
  await find(page, "#lab-raw-run:not([disabled])");
  await page.click("#lab-raw-run");
  await find(page, "#lab-raw-ws[data-code]");
  await find(page, '#lab-raw-fetch[data-failed="true"]');
  await waitForText(page, "#lab-raw-captured", "Upgrade: websocket");
  report("raw_code", await attr(page, "#lab-raw-ws", "data-code"));
  report("raw_ws", await text(page, "#lab-raw-ws .outcome"));
  report("raw_fetch", await text(page, "#lab-raw-fetch code.bad"));
  await shot(page, "knock", ".lab-raw");

  // A WebTransport session to /wt/echo, if this Firefox has the API.
  if ((await attr(page, "#lab-feature-webtransport", "data-present")) === "true") {
    await find(page, "#lab-wt-run:not([disabled])");
    await page.click("#lab-wt-run");
    await find(page, '#lab-wt-stream:not([data-value=""])');
    for (const name of ["max", "datagram", "stream"]) {
      report(`wt_${name}`, await attr(page, `#lab-wt-${name}`, "data-value"));
    }
    await shot(page, "webtransport", ".lab-wt");
  }
  await race(page, "race");

  // The browser's name in Korean too.
  await page.click('button[data-lang="ko"]');
  await waitForText(page, "#lab-browser", "기준");
  report("reported_ko", await text(page, "#lab-browser"));
}

/// The race: TCP and UDP always finish; the WebTransport lane finishes too,
/// either with datagrams or with the reason it had none.
async function race(page, name) {
  await find(page, "#lab-race-run:not([disabled])");
  await page.click("#lab-race-run");
  for (const lane of ["tcp", "udp", "wt"]) {
    await find(page, `#lab-race-${lane}[data-done="true"]`);
    for (const name of ["sent", "received", "lost", "reordered"]) {
      report(`race_${lane}_${name}`, await attr(page, `#lab-race-${lane}`, `data-${name}`));
    }
  }
  const problem = await page.$("#lab-race-wt .problem");
  report("race_wt_problem", problem ? await text(page, "#lab-race-wt .problem") : "");
  await shot(page, name, ".lab-race");
}

async function raceWithoutWebTransport(browser) {
  const page = await open(browser);
  report("webtransport", await attr(page, "#lab-feature-webtransport", "data-present"));
  const unavailable = await page.$("#lab-wt-unavailable");
  report("wt_unavailable", unavailable ? await text(page, "#lab-wt-unavailable") : "");
  await race(page, "race-without-webtransport");
}

async function chat(browser) {
  const [room, name, peer, answer] = rest;
  const page = await open(browser);
  const type = async (css, value) => {
    await page.$eval(css, (element) => (element.value = ""));
    await page.type(css, value);
  };
  await type("#chat-room", room);
  await type("#chat-name", name);
  await page.click("#chat-join");
  await waitForText(page, "#chat-you", name);
  // The peer's browser may still be starting.
  await waitForText(page, "#chat-members li", peer, 4 * WAIT);
  await type("#chat-input", `hello from ${name} in firefox`);
  await page.click("#chat-send");
  await waitForText(page, "li.chat-message .text", `hello from ${name} in firefox`);
  // The peer answers once it has read the hello.
  await waitForText(page, "li.chat-message .text", answer);
  const got = await page.$$eval("li.chat-message", (items) =>
    items.map((item) => item.querySelector(".from")?.textContent + ": " +
      item.querySelector(".text")?.textContent),
  );
  for (const line of got) report("message", line);
  await shot(page, "chat", "#chat");
}

/// A visitor on a slow link types into the prerendered page before its
/// WebAssembly has arrived: the download is held (intercepted, not
/// refused, so the page's own loader goes on once it is let through),
/// the name field gets focus and keys, then the WebAssembly comes and
/// hydrates the part the caret is in.
async function focus(browser) {
  const page = await browser.newPage();
  await page.setRequestInterception(true);
  let release;
  const released = new Promise((resolve) => (release = resolve));
  let requested;
  const held = new Promise((resolve) => (requested = resolve));
  page.on("request", (request) => {
    if (request.url().endsWith(".wasm")) {
      requested(true);
      released.then(() => request.continue());
    } else {
      request.continue();
    }
  });
  await page.goto(url, { timeout: WAIT });
  await waitForText(page, ".live-status", "Starting the live parts");
  await find(page, "main.starting");
  const timeout = new Promise((resolve) => setTimeout(() => resolve(false), WAIT));
  report("held", await Promise.race([held, timeout]));
  await page.$eval("#chat-name", (element) => element.focus());
  await page.keyboard.type("ada");
  report("typed_before", await page.evaluate(() => document.activeElement?.value ?? ""));
  release();
  await find(page, "main:not(.starting)");
  await find(page, '#lab-feature-websocket[data-present="true"]');
  report("focused", await page.evaluate(() => document.activeElement?.id ?? ""));
  report("value", await page.evaluate(() => document.activeElement?.value ?? ""));
  // Typing goes on where the caret was.
  await page.keyboard.type("-lovelace");
  await page.click("#chat-join");
  // The room bar names the member once the server welcomed it.
  await find(page, "#chat-you");
  report("you", await text(page, "#chat-you"));
  await shot(page, "focus-kept", "#chat");
}

(async () => {
  const modes = { lab, chat, focus, "race-without-webtransport": raceWithoutWebTransport };
  if (!modes[mode] || !url || !profile || !shots) {
    throw new Error(`usage: firefox.js ${Object.keys(modes).join("|")} URL PROFILE SHOTS ...`);
  }
  // Firefox's own switch for the WebTransport API.
  const prefs = mode === "race-without-webtransport" ? { "network.webtransport.enabled": false } : {};
  const browser = await launch(prefs);
  try {
    await modes[mode](browser);
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(`firefox.js ${mode}: ${error.stack || error}`);
  process.exit(1);
});

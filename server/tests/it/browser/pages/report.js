// What every client page reports to the test, in one place: the page's
// state in <body data-state>, and a log of what happened, newest last.
// The tests read both over WebDriver; a person reads the same on screen.

// The WebSocket URL: `?ws=` when the page is served from elsewhere,
// otherwise the relay target `?target=` on the server that served it.
export function relayUrl() {
  const params = new URLSearchParams(location.search);
  const explicit = params.get("ws");
  if (explicit) return explicit;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/relay/${params.get("target")}`;
}

export function report(state, text) {
  document.body.dataset.state = state;
  document.getElementById("state").textContent = state;
  const entry = document.createElement("li");
  entry.textContent = `${state}: ${text}`;
  document.getElementById("log").append(entry);
}

// Uncaught errors are a failed state too, with the message the test shows.
window.addEventListener("error", (event) => report("error", event.message));
window.addEventListener("unhandledrejection", (event) =>
  report("error", String(event.reason)),
);

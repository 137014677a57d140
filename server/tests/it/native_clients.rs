//! The relay with the WebSocket clients people script with: Node's `ws` 8
//! and Python's `websockets`. Both fail a handshake in which they offered
//! subprotocols and the server selected none, so these tests are what
//! proves MQTT-style clients can use the relay.
//!
//! `#[ignore]`d: they need `node` with `ws` under `target/tools/npm` and
//! `python3` with `websockets`, which `cargo xtask install-tools` installs;
//! `cargo xtask test` runs them (`-- --ignored native_clients::`).

use std::path::PathBuf;
use std::process::Stdio;

use crate::common::{TestServer, WAIT};
use crate::gateway::echo_target;

/// `node_modules` of the clients' npm packages xtask installs
/// (`target/tools/npm`).
fn node_modules() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/npm/node_modules");
    assert!(
        dir.join("ws").exists(),
        "{} has no `ws`; run `cargo xtask install-tools`",
        dir.display()
    );
    dir
}

/// Runs `program args` with `NODE_PATH` set, and returns its stdout;
/// panics with its stderr when it fails or takes longer than [`WAIT`].
async fn run(program: &str, args: &[&str]) -> String {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("NODE_PATH", node_modules())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}; run `cargo xtask install-tools`"));
    let output = tokio::time::timeout(WAIT * 2, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{program} did not finish in time"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{program} failed: {}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Connects with `ws`, offering `protocols` (comma-separated), sends
/// `message` (binary, or text with `as_text`) and prints what it learned.
const NODE_CLIENT: &str = r#"
const WebSocket = require("ws");
const [url, protocols, message, asText] = process.argv.slice(1);
const ws = new WebSocket(url, protocols.split(","));
ws.on("unexpected-response", (req, res) => {
  let body = "";
  res.on("data", (d) => (body += d));
  res.on("end", () => { console.log(`refused ${res.statusCode} ${body.trim()}`); process.exit(0); });
});
ws.on("error", (e) => { console.error(`error: ${e.message}`); process.exit(1); });
ws.on("open", () => ws.send(asText === "text" ? message : Buffer.from(message)));
ws.on("message", (data, isBinary) => {
  console.log(`protocol=${ws.protocol} binary=${isBinary} got=${data.toString()}`);
  ws.close(1000);
});
ws.on("close", () => process.exit(0));
"#;

/// The same with Python's `websockets` (any version Debian or pip has).
const PYTHON_CLIENT: &str = r#"
import asyncio, sys
import websockets

async def main(url, protocols, message):
    try:
        async with websockets.connect(url, subprotocols=protocols.split(",")) as ws:
            await ws.send(message.encode())
            reply = await ws.recv()
            print(f"protocol={ws.subprotocol} got={reply.decode()}")
    except websockets.exceptions.InvalidHandshake as e:
        print(f"refused {e}")

asyncio.run(asyncio.wait_for(main(*sys.argv[1:4]), 5))
"#;

async fn mqtt_server() -> TestServer {
    let echo = echo_target().await;
    TestServer::start_with(|c| {
        c.relay_targets = vec![format!("mqtt=tcp://{echo}?protocols=mqtt").parse().unwrap()];
    })
    .await
}

#[tokio::test]
#[ignore = "needs node and ws from `cargo xtask install-tools`"]
async fn node_ws_gets_the_mqtt_subprotocol_and_relays() {
    let server = mqtt_server().await;
    let url = server.ws_url("/ws/relay/mqtt");
    let out = run("node", &["-e", NODE_CLIENT, &url, "mqtt", "hello from ws"]).await;
    assert_eq!(out.trim(), "protocol=mqtt binary=true got=hello from ws");
    // A text frame is relayed as bytes (text=bytes is the default); the
    // reply is a binary frame.
    let out = run("node", &["-e", NODE_CLIENT, &url, "mqtt", "typed", "text"]).await;
    assert_eq!(out.trim(), "protocol=mqtt binary=true got=typed");
    let out = run("node", &["-e", NODE_CLIENT, &url, "mqttv5", "x"]).await;
    assert!(out.starts_with("refused 400 "), "{out}");
    assert!(out.contains("mqtt, binary"), "{out}");
    server.stop().await;
}

#[tokio::test]
#[ignore = "needs python3 with websockets from `cargo xtask install-tools`"]
async fn python_websockets_gets_the_mqtt_subprotocol_and_relays() {
    let server = mqtt_server().await;
    let url = server.ws_url("/ws/relay/mqtt");
    let out = run(
        "python3",
        &["-c", PYTHON_CLIENT, &url, "mqtt", "hello from python"],
    )
    .await;
    assert_eq!(out.trim(), "protocol=mqtt got=hello from python");
    let out = run("python3", &["-c", PYTHON_CLIENT, &url, "mqttv5", "x"]).await;
    assert!(out.starts_with("refused ") && out.contains("400"), "{out}");
    server.stop().await;
}

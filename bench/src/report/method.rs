//! How the numbers were made ("Method") and how to make them again
//! ("Reproduce").

use std::fmt::Write as _;

use super::format::{fmt_count, fmt_size};
use super::machine::Machine;
use crate::plan::{Plan, Section, GROWTH_SIZE, LOAD_CORE, RTT_SIZE, SERVER_CORE};
use crate::relay::RTT_WARMUP;
use crate::sink::MIN_BATCH;

/// The line before the server commands under "Reproduce".
pub const SERVERS_STARTED_AS: &str = "The servers of this run were started as:";

/// How the numbers were made, and on what.
pub fn render(doc: &mut String, machine: &Machine, scale_out: bool) {
    let scale_out = if scale_out {
        "- **Scale-out.** The same fan-out against one room spread over socketlab instances \
         that share it through NATS JetStream (`--bus`, nats-server with `-js` on loopback): \
         subscribers are dealt round-robin over the instances, the publisher joins the first. \
         All instances and nats-server run on the server's core, so the comparison shows what \
         crossing instances costs in latency, not what more machines add in capacity.\n"
    } else {
        ""
    };
    let _ = writeln!(
        doc,
        "## Method\n\n\
         - **Two cores, two roles.** The server under test runs on core {SERVER_CORE} (`taskset -c \
           {SERVER_CORE}`), the load generator and the TCP sink/echo targets on core {LOAD_CORE} \
           (`taskset -c {LOAD_CORE}`); each side's \
           CPU use is read from `/proc/PID/stat` (user + system time, including forked \
           children) at the start and end of exactly the measured window and reported as % of \
           one core.\n\
         - **Peers.** `socketlab` (release build, `--log warn`, raised connection and chat-rate \
           limits); `bun`, Bun 1.4 (npm `@oven/bun-linux-x64`, uWebSockets underneath) running \
           the echo and the chat room in `bench/peers/` (about 30 lines each; the chat room \
           speaks socketlab's wire format, one pub/sub topic per room, joins and leaves \
           coalesced into one `presence` frame per 100 ms); `bare`, the straightforward tokio-tungstenite echo and relay in \
           `bench/src/bare.rs` (no HTTP framework); `websocat` 1.x (`ws-l:` to `mirror:` or \
           `tcp:`); `websockify` (Python, from PyPI, forks a process per connection); `raw-tcp`, \
           the same loops over plain loopback TCP: the ceiling (both of its ends run on the load core, \
           so it gets one core where a relay gets two).\n\
         - **Echo.** N connections, opened before the clock starts; each keeps K binary \
           messages in flight. One second of warm-up (less in a quick run), then replies are \
           counted and round trips recorded in an HDR histogram (3 significant digits). The \
           echo and fan-out clients are the lean WebSocket client in `bench/src/wire.rs` (a \
           real handshake and masked frames, but each connection masks its payload once and \
           parses replies in place, many per read): a tungstenite client cost as much per \
           message as the servers it measured, and the load core saturated first.\n\
         - **Growth.** The echo at {growth} connections, {GROWTH_SIZE} B, one in \
           flight; the server's CPU time over the window divided by the messages answered is \
           its cost per message.\n\
         - **Relay throughput.** One connection. `sink`: the TCP target counts what it reads and \
           acknowledges every ≥ {batch}; the sender stops on a batch boundary and the clock stops \
           when the sink has acknowledged the last byte. `echo`: the clock stops when the last \
           byte has come back. MB = 10^6 bytes.\n\
         - **Relay round trip.** One connection, one {RTT_SIZE}-byte message at a time through the \
           relay to a TCP echo and back; the first {RTT_WARMUP} are not recorded.\n\
         - **Fan-out.** One publisher and N subscribers in a fresh chat room; each message's \
           text carries its send time, so every delivery's latency is known. \"Slowest\" is, per \
           message, the latency of the last subscriber to get it. Every subscriber must receive \
           every message; a loss fails the run. Each room is measured against socketlab and \
           Bun, with the lean client and with a standard one (tokio-tungstenite read with \
           `next().await` one message at a time, as an application reads), so that no result \
           depends on a reader faster than real clients; subscribers are spread over loopback \
           source addresses (127.0.0.1, 127.0.0.2, ...) in rooms of thousands. Every frame \
           other than a room message counts as presence, whatever its shape.\n\
         - **Storms.** N members join one fresh room, evenly spread over one second (each at \
           its own instant, no handshake cap: the server meets the burst its users would send), \
           stay, then leave with a close handshake spread over one second, while a publisher \
           sends 20 messages/s from before the first join to after the last leave. Each storm \
           starts a fresh server, so that its `VmHWM` is the storm's peak memory; the server's \
           CPU time is read before the publisher joins and one second after the last member \
           left. Members read with the standard client unless the table says `lean`, from \
           loopback source addresses (one per 2,500 members); every member task ends by its \
           leave time whatever the server does.\n\
         {scale_out}\
         - **Idle.** Connections to `/ws/echo` opened in steps and left silent; after each step \
           settles ({settle} s; {quick_settle} s in a quick run), the server's `VmRSS` is compared with its value before the first \
           connection. Each run starts a fresh server.\n\
         - **Bounds.** Every loop is bounded in count and in time, and the harness refuses any \
           address that is not loopback.\n\n\
         ### Machine\n\n\
         | | |\n| --- | --- |\n\
         | CPU | {} |\n| Logical CPUs | {} |\n| Memory | {:.1} GiB |\n| Kernel | {} |\n| Compiler | {} |\n\n\
         Both sides share this one machine, so the load generator competes with nothing but \
         itself for its core, yet anything else running on the machine (such as a compile) \
         competes with both: results from a shared machine are noisy, and the load averages \
         under Notes tell how busy it was.\n",
        machine.cpu,
        machine.cores,
        machine.memory_gib,
        machine.kernel,
        machine.rustc,
        growth = growth_counts(),
        batch = fmt_size(MIN_BATCH),
        settle = Plan::new(false).idle_settle,
        quick_settle = Plan::new(true).idle_settle,
    );
}

/// The full plan's growth series for a sentence: `1, 10, 100, 1,000 and
/// 10,000`.
fn growth_counts() -> String {
    let counts: Vec<String> = Plan::new(false)
        .growth
        .iter()
        .map(|&conns| fmt_count(u64::from(conns)))
        .collect();
    match counts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => counts.concat(),
    }
}

/// The commands that reproduce the run.
pub fn render_reproduce(doc: &mut String, commands: &[String]) {
    let _ = writeln!(
        doc,
        "## Reproduce\n\n\
         ```sh\n\
         cargo xtask bench          # full run, writes target/bench/results.jsonl and this file\n\
         cargo xtask bench --quick  # under a minute, writes target/bench/quick/\n\
         cargo xtask bench --only {}  # measures the scale-out section again, keeps the rest\n\
         ```\n\n\
         One measurement by hand (start a server first):\n\n\
         ```sh\n\
         socketlab-bench echo --url ws://127.0.0.1:PORT/ws/echo --conns 64 --size 32 --inflight 1 --seconds 5\n\
         socketlab-bench sink --listen 127.0.0.1:0      # prints `listening 127.0.0.1:SINK`\n\
         socketlab --relay-target sink=tcp://127.0.0.1:SINK ...\n\
         socketlab-bench relay --url ws://127.0.0.1:PORT/ws/relay/sink --size 65536 --seconds 5 --mode sink\n\
         socketlab-bench page --url http://127.0.0.1:PORT/ --runs 5   # starts chromedriver itself\n\
         ```\n",
        Section::ScaleOut.name()
    );
    if !commands.is_empty() {
        let _ = writeln!(doc, "{SERVERS_STARTED_AS}\n\n```sh");
        for command in commands {
            let _ = writeln!(doc, "{command}");
        }
        let _ = writeln!(doc, "```\n");
    }
}

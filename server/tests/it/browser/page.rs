//! The page itself in a real browser: chat between two browsers, the
//! handshake inspector and echo, the lab's raw-socket and relay proofs.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;

use super::{
    attr, find, open_page, save_screenshot, screenshot_dir, type_into, wait_for_text, Driver,
    Socketlab, WAIT,
};

async fn join_chat(client: &Client, url: &str, room: &str, name: &str) {
    open_page(client, url).await;
    find(client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();
    type_into(client, "#chat-room", room).await;
    type_into(client, "#chat-name", name).await;
    find(client, "#chat-join").await.click().await.unwrap();
    wait_for_text(client, "#chat-you", name).await;
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn two_browsers_chat_in_one_room() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let (p1, p2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ada = driver.browser(&p1).await;
    let bob = driver.browser(&p2).await;

    join_chat(&ada, &server.url, "e2e", "ada").await;
    join_chat(&bob, &server.url, "e2e", "bob").await;
    wait_for_text(&ada, "#chat-members li", "bob").await;
    wait_for_text(&bob, "#chat-members li", "ada").await;

    type_into(&ada, "#chat-input", "hello from ada").await;
    find(&ada, "#chat-send").await.click().await.unwrap();
    wait_for_text(&bob, "li.chat-message .text", "hello from ada").await;
    wait_for_text(&ada, "li.chat-message .text", "hello from ada").await;

    type_into(&bob, "#chat-input", "hi ada, bob here").await;
    find(&bob, "#chat-send").await.click().await.unwrap();
    wait_for_text(&ada, "li.chat-message .text", "hi ada, bob here").await;
    wait_for_text(&ada, "li.chat-message .from", "bob").await;

    // Live RTT from the application-level ping shows up.
    let rtt = find(&ada, "#chat-rtt").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !rtt
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .any(|c| c.is_ascii_digit())
    {
        assert!(tokio::time::Instant::now() < deadline, "no RTT shown");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    save_screenshot(&ada, "chat-ada.png").await;
    save_screenshot(&bob, "chat-bob.png").await;

    // When bob leaves, ada sees him go.
    find(&bob, "#chat-leave").await.click().await.unwrap();
    wait_for_text(&ada, "#chat-messages li.chat-notice", "bob").await;

    ada.close().await.unwrap();
    bob.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn inspector_verifies_the_accept_key_and_echo_round_trips() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    open_page(&client, &server.url).await;
    find(&client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();

    find(&client, "#inspect-run").await.click().await.unwrap();
    find(&client, "#inspect-verdict[data-ok=\"true\"]").await;
    wait_for_text(&client, "#inspect-request", "sec-websocket-key").await;
    wait_for_text(&client, "#inspect-response", "101").await;
    let computed = find(&client, "#inspect-computed")
        .await
        .text()
        .await
        .unwrap();
    let answered = find(&client, "#inspect-server-accept")
        .await
        .text()
        .await
        .unwrap();
    assert!(!computed.trim().is_empty());
    assert_eq!(computed.trim(), answered.trim());

    // Echo through the connection panel.
    find(&client, "#conn-connect").await.click().await.unwrap();
    wait_for_text(&client, "#conn-state", "OPEN").await;
    type_into(&client, "#echo-input", "ping 소켓").await;
    find(&client, "#echo-send-text")
        .await
        .click()
        .await
        .unwrap();
    find(&client, "#echo-send-binary")
        .await
        .click()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let matched = client
            .find_all(Locator::Css("#echo-log li.echo-entry[data-match=\"true\"]"))
            .await
            .unwrap()
            .len();
        if matched >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "echo round trips not shown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    find(&client, "#conn-disconnect")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#conn-close", "1000").await;

    // The Korean switch changes the page's language.
    find(&client, "button[data-lang=\"ko\"]")
        .await
        .click()
        .await
        .unwrap();
    let lang = client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("ko"));
    wait_for_text(&client, ".lab-clients h3", "실제 클라이언트").await;
    save_screenshot(&client, "inspector-ko.png").await;
    client
        .execute(
            "document.querySelector('.lab-clients').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    save_screenshot(&client, "lab-clients-ko.png").await;
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn the_lab_proves_raw_sockets_fail_and_the_relay_works() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    open_page(&client, &server.url).await;
    find(&client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();

    // 1. The browser offers no raw socket API to this page, but WebSocket.
    find(&client, "#lab-feature-tcp[data-present=\"false\"]").await;
    find(&client, "#lab-feature-udp[data-present=\"false\"]").await;
    find(&client, "#lab-feature-websocket[data-present=\"true\"]").await;

    // 2. A WebSocket and a fetch aimed at the raw TCP port fail, and the raw
    //    socket shows it received an HTTP upgrade request.
    find(&client, "#lab-raw-run").await.click().await.unwrap();
    find(&client, "#lab-raw-ws[data-code=\"1006\"]").await;
    find(&client, "#lab-raw-fetch[data-failed=\"true\"]").await;
    wait_for_text(&client, "#lab-raw-captured", "GET / HTTP/1.1").await;
    wait_for_text(&client, "#lab-raw-captured", "Upgrade: websocket").await;
    wait_for_text(&client, "#lab-raw-captured", "Sec-WebSocket-Key").await;

    // 3. The same bytes through the relay come back intact.
    find(&client, "#lab-relay-run").await.click().await.unwrap();
    find(&client, "#lab-relay-verdict[data-ok=\"true\"]").await;
    wait_for_text(&client, "#lab-relay-hex", "|hello, socket|").await;

    // 4. The race: TCP delivers everything in order; both charts render.
    find(&client, "#lab-race-run").await.click().await.unwrap();
    let tcp = find(&client, "#lab-race-tcp[data-done=\"true\"]").await;
    let udp = find(&client, "#lab-race-udp[data-done=\"true\"]").await;
    let sent = attr(&tcp, "data-sent").await;
    assert!(!sent.is_empty() && sent != "0");
    assert_eq!(attr(&tcp, "data-received").await, sent, "TCP loses nothing");
    assert_eq!(attr(&tcp, "data-reordered").await, "0", "TCP keeps order");
    assert_eq!(attr(&tcp, "data-lost").await, "0");
    assert_eq!(attr(&udp, "data-sent").await, sent);
    find(&client, "#lab-race-tcp svg").await;
    find(&client, "#lab-race-udp svg").await;

    // 5/6. The comparison table holds measurements; nc instructions are real.
    wait_for_text(&client, "#compare-table", "ms").await;
    let nc = find(&client, "#lab-nc-chat").await.text().await.unwrap();
    assert!(nc.starts_with("nc 127.0.0.1 "), "{nc}");

    // 7. The real clients panel spells out each protocol's target options.
    wait_for_text(&client, "#lab-clients-vnc", "noVNC").await;
    wait_for_text(&client, "#lab-clients-mqtt", "protocols=mqtt").await;
    wait_for_text(&client, "#lab-clients-terminal", "text=bytes").await;

    let section = find(&client, "#lab-race-tcp").await;
    section.click().await.ok();
    save_screenshot(&client, "lab.png").await;
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn the_page_opens_webtransport_and_races_its_datagrams() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    // A fresh profile: Chromium caches certificate decisions.
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    open_page(&client, &server.url).await;
    find(&client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();
    find(&client, "#lab-feature-webtransport[data-present=\"true\"]").await;

    // A session to /wt/echo, trusted by the hash /api/info published: a
    // datagram and a stream come back, and the browser says how large a
    // datagram it will send.
    find(&client, "#lab-wt-run").await.click().await.unwrap();
    let stream = find(&client, "#lab-wt-stream:not([data-value=\"\"])").await;
    assert!(attr(&stream, "data-value").await.parse::<f64>().is_ok());
    let datagram = find(&client, "#lab-wt-datagram").await;
    assert!(
        attr(&datagram, "data-value").await.parse::<f64>().is_ok(),
        "datagram RTT shown"
    );
    let max = find(&client, "#lab-wt-max").await;
    let max: u32 = attr(&max, "data-value")
        .await
        .parse()
        .expect("maxDatagramSize");
    assert!(max >= 1000, "maxDatagramSize {max}");
    wait_for_text(&client, "#lab-wt-session", "/wt/echo").await;

    // The comparison table's WebTransport column: until the race ran, its
    // ordering cell waits; the session's numbers are in already.
    let order = client
        .find(Locator::Css(
            "#compare-table td[data-label=\"WebTransport\"] .not-measured",
        ))
        .await;
    assert!(order.is_ok(), "the race has not run: a cell says so");
    let cell_max = find(&client, "#compare-wt-max").await;
    assert_eq!(attr(&cell_max, "data-value").await, max.to_string());
    let cell_stream = find(&client, "#compare-wt-stream").await;
    assert!(attr(&cell_stream, "data-value")
        .await
        .parse::<f64>()
        .is_ok());
    find(&client, "#compare-wt-ready").await;
    find(&client, "#compare-wt-support[data-present=\"true\"]").await;

    // The race's third lane: WebTransport datagrams through the same
    // simulated network to udp-echo; it completes like the other two.
    find(&client, "#lab-race-run").await.click().await.unwrap();
    let wt = find(&client, "#lab-race-wt[data-done=\"true\"]").await;
    let tcp = find(&client, "#lab-race-tcp[data-done=\"true\"]").await;
    let sent = attr(&tcp, "data-sent").await;
    assert_eq!(
        attr(&wt, "data-sent").await,
        sent,
        "every packet went out as a datagram"
    );
    let received: u32 = attr(&wt, "data-received").await.parse().unwrap();
    assert!(
        received > 0,
        "datagrams came back through /wt/relay/udp-echo"
    );
    find(&client, "#lab-race-wt svg").await;
    assert!(client
        .find(Locator::Css("#lab-race-wt .problem"))
        .await
        .is_err());
    // ...and the table's ordering cell reads the lane's numbers.
    let order = find(&client, "#compare-wt-order").await;
    assert_eq!(attr(&order, "data-sent").await, sent);
    for name in ["lost", "reordered", "duplicated"] {
        assert_eq!(
            attr(&order, &format!("data-{name}")).await,
            attr(&wt, &format!("data-{name}")).await,
            "{name}"
        );
    }

    for lane in ["tcp", "udp", "wt"] {
        let lane_element = find(&client, &format!("#lab-race-{lane}")).await;
        let mut line = format!("race lane {lane}:");
        for name in ["sent", "received", "lost", "duplicated", "reordered"] {
            line += &format!(
                " {name}={}",
                attr(&lane_element, &format!("data-{name}")).await
            );
        }
        eprintln!("{line}");
    }
    for (css, name) in [
        (".lab-wt", "webtransport-session.png"),
        (".lab-race .lanes", "webtransport-race.png"),
    ] {
        let script = format!("document.querySelector('{css}').scrollIntoView()");
        client.execute(&script, vec![]).await.unwrap();
        let panel = find(&client, css).await;
        let png = panel.screenshot().await.unwrap();
        let path = screenshot_dir().join(name);
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn without_webtransport_the_page_says_why_and_races_on() {
    let server = Socketlab::start_with(&["--no-webtransport".to_owned()]).await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    open_page(&client, &server.url).await;
    find(&client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#lab-wt-unavailable", "--no-webtransport").await;
    find(&client, "#lab-race-run").await.click().await.unwrap();
    let tcp = find(&client, "#lab-race-tcp[data-done=\"true\"]").await;
    assert_ne!(attr(&tcp, "data-received").await, "0");
    let wt = find(&client, "#lab-race-wt[data-done=\"true\"]").await;
    assert_eq!(attr(&wt, "data-sent").await, "0");
    wait_for_text(&client, "#lab-race-wt .problem", "--no-webtransport").await;
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn a_large_rooms_members_are_fetched_a_page_at_a_time() {
    use futures_util::StreamExt;
    let server = Socketlab::start().await;
    // 150 members (one more page than the welcome carries) join with a
    // native client; each reads its welcome so it is in the room.
    let ws_base = server.url.replacen("http://", "ws://", 1);
    let mut crowd = Vec::new();
    for i in 0..150 {
        let url = format!("{ws_base}ws/chat?room=hall&name=m{i:03}");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let welcome = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
        assert!(welcome
            .unwrap()
            .unwrap()
            .to_text()
            .unwrap()
            .contains("welcome"));
        crowd.push(ws);
    }
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    join_chat(&client, &server.url, "hall", "zz-browser").await;
    wait_for_text(&client, "#chat-members-count", "151").await;
    let shown = || async {
        client
            .find_all(Locator::Css("#chat-members li"))
            .await
            .unwrap()
            .len()
    };
    // The welcome's first page, and you (from your own join's presence).
    let first = shown().await;
    assert!((100..=101).contains(&first), "{first} members shown");
    find(&client, "#chat-members-more")
        .await
        .click()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while shown().await < 151 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second page never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for_text(&client, "#chat-members", "zz-browser").await;
    // Every member shows where it is connected, those of the second page
    // too (each answer says, as the welcome does).
    let unplaced = client
        .find_all(Locator::Css("#chat-members li:not([data-instance])"))
        .await
        .unwrap()
        .len();
    assert_eq!(unplaced, 0, "members shown without their instance");
    assert!(
        client
            .find(Locator::Css("#chat-members-more"))
            .await
            .is_err(),
        "nothing more to fetch"
    );
    save_screenshot(&client, "chat-members-paged.png").await;
    client.close().await.unwrap();
    drop(crowd);
}

//! The room-bus contract: what every `RoomBus` implementation must do.
//!
//! Chat sessions rely only on these properties, so any implementation that
//! passes them can replace the in-process bus without the WebSocket code
//! noticing. Each check is a function over `&dyn RoomBus`.

use std::time::Duration;

use crate::nats;

use socketlab_server::instance::InstanceId;
use socketlab_server::service::chat::fanout::Next;
use socketlab_server::service::chat::local::{LocalBus, LocalBusConfig};
use socketlab_server::service::chat::nats::{NatsBus, NatsOptions};
use socketlab_server::service::chat::{Membership, RoomBus, RoomLimits};
use socketlab_shared::chat::HISTORY_LEN;
use socketlab_shared::{DisplayName, RoomName, ServerMessage};

fn room(name: &str) -> RoomName {
    RoomName::parse(name).unwrap()
}

fn name(name: &str) -> Option<DisplayName> {
    Some(DisplayName::parse(name).unwrap())
}

async fn next(member: &mut Membership) -> ServerMessage {
    let event = tokio::time::timeout(Duration::from_secs(5), member.events.recv())
        .await
        .expect("an event within 5 s")
        .expect("the member keeps up");
    // No transport is attached: every event comes through the backlog.
    let Next::Write(event) = event else {
        panic!("a flush owed to a member with no transport")
    };
    let parsed = ServerMessage::parse(event.frame.as_str()).expect("frame is valid JSON");
    assert_eq!(&parsed, event.message.as_ref(), "frame and message agree");
    parsed
}

/// The next event that is not presence.
async fn next_message(member: &mut Membership) -> ServerMessage {
    loop {
        let event = next(member).await;
        if !matches!(event, ServerMessage::Presence { .. }) {
            return event;
        }
    }
}

/// Waits for the `presence` that names `who` as joined (or left).
async fn until_presence(member: &mut Membership, who: &str, joined: bool) -> ServerMessage {
    loop {
        let event = next(member).await;
        if let ServerMessage::Presence {
            joined: came,
            left: went,
            ..
        } = &event
        {
            let names = if joined { came } else { went };
            if names.iter().any(|n| n.as_str() == who) {
                return event;
            }
        }
    }
}

/// Joining gives a snapshot (the first page and the count); others hear of
/// it in the next `presence`.
async fn join_and_snapshot(bus: &dyn RoomBus) {
    let mut ada = bus.join(room("c1"), name("ada")).await.unwrap();
    assert_eq!(ada.you.as_str(), "ada");
    let bob = bus.join(room("c1"), name("bob")).await.unwrap();
    assert_eq!(
        bob.snapshot
            .members
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>(),
        ["ada", "bob"]
    );
    assert_eq!(bob.snapshot.count, 2);
    let presence = until_presence(&mut ada, "bob", true).await;
    assert!(
        matches!(presence, ServerMessage::Presence { count: 2, .. }),
        "{presence:?}"
    );
    // Every member is placed on an instance.
    assert_eq!(
        bob.snapshot.member_instances.keys().collect::<Vec<_>>(),
        bob.snapshot.members.iter().collect::<Vec<_>>()
    );
}

/// A crowd joining at once is announced in a few `presence` events, not
/// one per newcomer; the member list comes in pages.
async fn presence_is_coalesced_and_members_paged(bus: &dyn RoomBus) {
    let mut ada = bus.join(room("c6"), name("ada")).await.unwrap();
    let crowd = futures_util::future::join_all(
        (0..150).map(|i| bus.join(room("c6"), name(&format!("m{i:03}")))),
    )
    .await;
    let crowd: Vec<Membership> = crowd.into_iter().map(Result::unwrap).collect();
    let mut announced = std::collections::BTreeSet::new();
    let mut presences = 0;
    while announced.len() < 150 {
        if let ServerMessage::Presence { joined, .. } = next(&mut ada).await {
            presences += 1;
            announced.extend(joined.into_iter().filter(|n| n.as_str() != "ada"));
        }
    }
    assert!(
        presences < 50,
        "150 joins took {presences} presence events: one per tick, not per join"
    );
    let last = bus.join(room("c6"), name("zed")).await.unwrap();
    assert_eq!(last.snapshot.count, 152);
    assert_eq!(
        last.snapshot.members.len(),
        socketlab_shared::chat::MEMBERS_PAGE
    );
    let mut seen: Vec<DisplayName> = last.snapshot.members.clone();
    let mut after = last.snapshot.members.last().cloned();
    while let Some(start) = after {
        let page = last.seat.members(Some(&start));
        assert_eq!(page.count, 152);
        seen.extend(page.members);
        after = page.next;
    }
    let mut expected: Vec<DisplayName> = crowd.iter().map(|m| m.you.clone()).collect();
    expected.extend([ada.you.clone(), last.you.clone()]);
    expected.sort();
    assert_eq!(seen, expected);
}

/// Names are unique per room, by suffix.
async fn names_are_unique(bus: &dyn RoomBus) {
    let a = bus.join(room("c2"), name("ada")).await.unwrap();
    let mut b = bus.join(room("c2"), name("ada")).await.unwrap();
    assert_eq!((a.you.as_str(), b.you.as_str()), ("ada", "ada-2"));
    // A name is free again once its `left` has been seen (a join and a
    // leave within one tick cancel out: let the join be announced first).
    until_presence(&mut b, "ada-2", true).await;
    drop(a);
    until_presence(&mut b, "ada", false).await;
    let c = bus.join(room("c2"), name("ada")).await.unwrap();
    assert_eq!(c.you.as_str(), "ada");
    let guest = bus.join(room("c2"), None).await.unwrap();
    assert!(guest.you.as_str().starts_with("guest-"));
}

/// Everyone, sender included, sees messages in one order with increasing seq.
async fn one_order_for_all(bus: &dyn RoomBus) {
    let mut ada = bus.join(room("c3"), name("ada")).await.unwrap();
    let mut bob = bus.join(room("c3"), name("bob")).await.unwrap();
    until_presence(&mut ada, "bob", true).await;
    for i in 0..10 {
        let speaker = if i % 2 == 0 { &ada } else { &bob };
        speaker.seat.say(format!("m{i}")).await.unwrap();
    }
    let mut seen = [Vec::new(), Vec::new()];
    for (member, seen) in [&mut ada, &mut bob].into_iter().zip(seen.iter_mut()) {
        for _ in 0..10 {
            match next_message(member).await {
                ServerMessage::Message(m) => seen.push((m.seq, m.text)),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(seen[0], seen[1]);
    assert!(seen[0].windows(2).all(|w| w[0].0 < w[1].0));
}

/// History holds the last HISTORY_LEN messages, oldest first: once a
/// member has seen a message, a newcomer's history has it.
async fn history_is_bounded(bus: &dyn RoomBus) {
    let mut ada = bus.join(room("c4"), name("ada")).await.unwrap();
    for i in 0..HISTORY_LEN + 3 {
        ada.seat.say(format!("m{i}")).await.unwrap();
    }
    for _ in 0..HISTORY_LEN + 3 {
        assert!(matches!(
            next_message(&mut ada).await,
            ServerMessage::Message(_)
        ));
    }
    let bob = bus.join(room("c4"), name("bob")).await.unwrap();
    assert_eq!(bob.snapshot.history.len(), HISTORY_LEN);
    assert_eq!(bob.snapshot.history[0].text, "m3");
    assert!(bob.snapshot.history.windows(2).all(|w| w[0].seq < w[1].seq));
}

/// Dropping a membership leaves the room.
async fn dropping_leaves(bus: &dyn RoomBus) {
    let mut ada = bus.join(room("c5"), name("ada")).await.unwrap();
    let bob = bus.join(room("c5"), name("bob")).await.unwrap();
    until_presence(&mut ada, "bob", true).await;
    drop(bob);
    until_presence(&mut ada, "bob", false).await;
    let carol = bus.join(room("c5"), name("carol")).await.unwrap();
    assert_eq!(
        carol
            .snapshot
            .members
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>(),
        ["ada", "carol"]
    );
}

/// Runs every check of the contract against `bus`.
async fn contract(bus: &dyn RoomBus) {
    join_and_snapshot(bus).await;
    names_are_unique(bus).await;
    one_order_for_all(bus).await;
    history_is_bounded(bus).await;
    dropping_leaves(bus).await;
    presence_is_coalesced_and_members_paged(bus).await;
}

#[tokio::test]
async fn local_bus_meets_the_contract() {
    let bus = LocalBus::new(LocalBusConfig {
        limits: RoomLimits::default(),
        max_rooms: 100,
        instance: "test".to_owned(),
    });
    contract(&bus).await;
}

#[tokio::test]
async fn nats_bus_meets_the_same_contract() {
    let server = nats::NatsServer::start();
    let options = NatsOptions {
        urls: vec![server.url()],
        ..Default::default()
    };
    let me = InstanceId {
        id: "test-a".to_owned(),
        listen: "127.0.0.1:0".to_owned(),
    };
    let bus = NatsBus::connect(&options, me, RoomLimits::default(), 100)
        .await
        .expect("connect to nats-server");
    contract(&bus).await;
    bus.close();
}

#[tokio::test]
async fn nats_bus_forgets_rooms_without_local_members() {
    let server = nats::NatsServer::start();
    let options = NatsOptions {
        urls: vec![server.url()],
        ..Default::default()
    };
    let me = InstanceId {
        id: "test-rooms".to_owned(),
        listen: "127.0.0.1:0".to_owned(),
    };
    let bus = NatsBus::connect(&options, me, RoomLimits::default(), 2)
        .await
        .expect("connect to nats-server");
    // Far more distinct rooms than --max-rooms, one after another.
    for i in 0..8 {
        let mut joined = None;
        for _ in 0..100 {
            match bus.join(room(&format!("passing-{i}")), name("ada")).await {
                Ok(membership) => {
                    joined = Some(membership);
                    break;
                }
                // The previous room is retired just after its member leaves.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let membership =
            joined.unwrap_or_else(|| panic!("room {i} refused: rooms are never forgotten"));
        membership.seat.say(format!("hello {i}")).await.unwrap();
        drop(membership);
    }
    // History outlives the instance's interest in a room.
    let back = bus.join(room("passing-0"), name("bob")).await;
    let back = match back {
        Ok(back) => back,
        Err(_) => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            bus.join(room("passing-0"), name("bob")).await.unwrap()
        }
    };
    assert_eq!(
        back.snapshot.history.last().map(|m| m.text.as_str()),
        Some("hello 0")
    );
    bus.close();
}

async fn nats_bus(server: &nats::NatsServer, id: &str) -> NatsBus {
    let options = NatsOptions {
        urls: vec![server.url()],
        ..Default::default()
    };
    let me = InstanceId {
        id: id.to_owned(),
        listen: "127.0.0.1:0".to_owned(),
    };
    NatsBus::connect(&options, me, RoomLimits::default(), 1000)
        .await
        .expect("connect to nats-server")
}

/// A join reads the members of its own room only: filling the bucket with
/// other rooms' members (and leavers) does not add to the work of a join,
/// which is counted, not timed.
#[tokio::test]
async fn nats_join_reads_only_its_rooms_members() {
    let server = nats::NatsServer::start();
    let bus = nats_bus(&server, "test-cost").await;
    let mut others = Vec::new();
    for i in 0..300 {
        others.push(
            bus.join(room(&format!("other-{}", i % 30)), name(&format!("u{i}")))
                .await
                .unwrap(),
        );
    }
    // Some leave, which must leave nothing behind in the bucket.
    others.truncate(250);
    let mut target = Vec::new();
    for who in ["ada", "bob", "carol"] {
        target.push(bus.join(room("target"), name(who)).await.unwrap());
    }
    let before = bus.debug_counts().member_entries_read;
    let dave = bus.join(room("target"), name("dave")).await.unwrap();
    let read = bus.debug_counts().member_entries_read - before;
    assert_eq!(
        dave.snapshot
            .members
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>(),
        ["ada", "bob", "carol", "dave"]
    );
    assert!(
        read <= 4,
        "a join into a room of 4 read {read} member entries (bucket holds 250 others)"
    );
    assert!(dave
        .snapshot
        .member_instances
        .values()
        .all(|i| i == "test-cost"));
    // Leaves purge their keys: only the present members' keys remain.
    drop(dave);
    drop(target);
    let mut len = 0;
    for _ in 0..100 {
        len = bus.debug_member_bucket_len().await.unwrap();
        if len == 250 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        len, 250,
        "leaving left delete markers in the members bucket"
    );
    drop(others);
    bus.close();
}

/// Concurrent first joins of one room on one instance share one reader of
/// the room, rather than each creating an ordered consumer.
#[tokio::test]
async fn nats_concurrent_first_joins_open_one_room_reader() {
    let server = nats::NatsServer::start();
    let bus = nats_bus(&server, "test-race").await;
    let before = bus.debug_counts().room_readers;
    let joins: Vec<_> = ["ada", "bob", "carol", "dave"]
        .into_iter()
        .map(|who| bus.join(room("busy"), name(who)))
        .collect();
    let joined = futures_util::future::join_all(joins).await;
    let joined: Vec<Membership> = joined.into_iter().map(Result::unwrap).collect();
    assert_eq!(bus.debug_counts().room_readers - before, 1);
    let mut names: Vec<&str> = joined.iter().map(|m| m.you.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["ada", "bob", "carol", "dave"]);
    bus.close();
}

#[tokio::test]
async fn local_bus_caps_rooms_and_reuses_empty_ones() {
    let bus = LocalBus::new(LocalBusConfig {
        limits: RoomLimits::default(),
        max_rooms: 2,
        instance: "test".to_owned(),
    });
    let a = bus.join(room("r1"), name("ada")).await.unwrap();
    let b = bus.join(room("r2"), name("ada")).await.unwrap();
    assert!(
        bus.join(room("r3"), name("ada")).await.is_err(),
        "cap reached, no empty room"
    );
    drop(a);
    let c = bus
        .join(room("r3"), name("ada"))
        .await
        .expect("r1 is empty and evicted");
    drop((b, c));
}

#[tokio::test]
async fn a_member_that_does_not_read_overflows_its_byte_budget_instead_of_growing_memory() {
    let bus = LocalBus::new(LocalBusConfig {
        limits: RoomLimits {
            backlog_bytes: 8192,
            ..RoomLimits::default()
        },
        max_rooms: 10,
        instance: "test".to_owned(),
    });
    let mut slow = bus.join(room("lag"), name("slow")).await.unwrap();
    let talker = bus.join(room("lag"), name("talker")).await.unwrap();
    for i in 0..100 {
        talker
            .seat
            .say(format!("m{i} {}", "x".repeat(500)))
            .await
            .unwrap();
    }
    match slow.events.recv().await {
        Err(socketlab_server::service::chat::fanout::Ended::TooSlow(overflow)) => {
            assert!(overflow.bytes > 8192, "{overflow:?}")
        }
        Err(other) => panic!("expected an overflow, got {other:?}"),
        Ok(next) => panic!("expected an overflow, got {next:?}"),
    }
}

#[tokio::test]
async fn nats_chat_stream_gets_the_age_and_size_limits_even_when_it_exists() {
    // Without limits the stream kept 50 messages of every room ever used,
    // forever. An instance started with limits updates a stream made
    // before them.
    let server = nats::NatsServer::start();
    let me = |id: &str| InstanceId {
        id: id.to_owned(),
        listen: "127.0.0.1:0".to_owned(),
    };
    let unlimited = NatsOptions {
        urls: vec![server.url()],
        ..Default::default()
    };
    let old = NatsBus::connect(&unlimited, me("old"), RoomLimits::default(), 10)
        .await
        .unwrap();
    old.close();
    let limited = NatsOptions {
        urls: vec![server.url()],
        max_age: Some(Duration::from_secs(3 * 24 * 60 * 60)),
        max_bytes: Some(8 << 20),
        ..Default::default()
    };
    let bus = NatsBus::connect(&limited, me("new"), RoomLimits::default(), 10)
        .await
        .unwrap();
    let client = async_nats::connect(server.url()).await.unwrap();
    let mut stream = async_nats::jetstream::new(client)
        .get_stream("SOCKETLAB_CHAT")
        .await
        .unwrap();
    let config = &stream.info().await.unwrap().config;
    assert_eq!(config.max_age, Duration::from_secs(3 * 24 * 60 * 60));
    assert_eq!(config.max_bytes, 8 << 20);
    assert_eq!(config.max_messages_per_subject, 50);
    bus.close();
}

/// A heartbeat stays one small message whatever the number of members:
/// listing them all went over the server's `max_payload` at a few thousand
/// long names, the heartbeat was refused, and the others reaped a live
/// instance. Here the limit is small, so a few hundred names would do it.
#[tokio::test]
async fn nats_heartbeats_fit_whatever_the_number_of_members() {
    let server = nats::NatsServer::start_with_config("max_payload: 4096\n");
    let crowded = nats_bus(&server, "crowded").await;
    let other = nats_bus(&server, "other").await;
    let mut watcher = other.join(room("hall"), name("watcher")).await.unwrap();
    let mut crowd = Vec::new();
    for i in 0..150 {
        let long = format!("a-rather-long-name-{i:05}");
        crowd.push(crowded.join(room("hall"), name(&long)).await.unwrap());
    }
    // Long enough for a silent instance to be reaped, counted in heartbeats
    // heard rather than timed (bounded all the same).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while other.debug_counts().heartbeats_heard < 6 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the crowded instance's heartbeats were not heard: {:?}",
            other.debug_counts()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(other.debug_counts().peers_reaped, 0);
    while let Some(event) = watcher.events.try_recv() {
        let event = event.expect("the watcher keeps up");
        assert!(
            !matches!(event.message.as_ref(), ServerMessage::Presence { left, .. } if !left.is_empty()),
            "a live instance's member was announced gone: {:?}",
            event.message
        );
    }
    let late = other.join(room("hall"), name("late")).await.unwrap();
    assert_eq!(late.snapshot.count, 152);
    drop((crowd, late, watcher));
    crowded.close();
    other.close();
}

/// The work members leave behind (freeing their names) is tracked: once
/// `finish` returns, it is done, so a shutdown cannot cut it off.
#[tokio::test]
async fn nats_finish_waits_for_the_names_of_leavers_to_be_freed() {
    let server = nats::NatsServer::start();
    let bus = nats_bus(&server, "leaving").await;
    let mut members = Vec::new();
    for i in 0..50 {
        members.push(
            bus.join(room("exit"), name(&format!("m{i}")))
                .await
                .unwrap(),
        );
    }
    assert_eq!(bus.debug_member_bucket_len().await.unwrap(), 50);
    drop(members);
    RoomBus::finish(&bus, Duration::from_secs(10)).await;
    assert_eq!(
        bus.debug_member_bucket_len().await.unwrap(),
        0,
        "names were still claimed when finish returned"
    );
    bus.close();
}

/// Presence crosses instances coalesced too: a crowd joining on one
/// instance reaches a member on another in a few `presence` events, and a
/// later join there sees the whole room (count and pages) without reading
/// the member list again.
#[tokio::test]
async fn nats_presence_between_instances_is_coalesced_and_the_room_is_known() {
    let server = nats::NatsServer::start();
    let busy = nats_bus(&server, "busy").await;
    let quiet = nats_bus(&server, "quiet").await;
    let mut watcher = quiet.join(room("aula"), name("watcher")).await.unwrap();
    let crowd = futures_util::future::join_all(
        (0..120).map(|i| busy.join(room("aula"), name(&format!("s{i:03}")))),
    )
    .await;
    let crowd: Vec<Membership> = crowd.into_iter().map(Result::unwrap).collect();
    let mut announced = std::collections::BTreeSet::new();
    let mut presences = 0;
    while announced.len() < 120 {
        if let ServerMessage::Presence { joined, count, .. } = next(&mut watcher).await {
            presences += 1;
            assert!(count as usize <= 121, "{count}");
            announced.extend(joined.into_iter().filter(|n| n.as_str() != "watcher"));
        }
    }
    assert!(
        presences < 40,
        "120 joins on another instance took {presences} presence events"
    );
    let read_before = quiet.debug_counts().member_entries_read;
    let late = quiet.join(room("aula"), name("late")).await.unwrap();
    assert_eq!(late.snapshot.count, 122);
    assert_eq!(quiet.debug_counts().member_entries_read, read_before);
    let page = late.seat.members(late.snapshot.members.last());
    assert_eq!(page.members.len(), 22);
    assert!(page.instances.values().all(|i| i == "busy" || i == "quiet"));
    // And leaving crosses over the same way.
    drop(crowd);
    loop {
        if let ServerMessage::Presence { count: 2, .. } = next(&mut watcher).await {
            break;
        }
    }
    busy.close();
    quiet.close();
}

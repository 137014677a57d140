//! The fan-out's own tests: backlogs, merging, closing, waking, and the
//! publisher's direct writes.

use super::*;
use socketlab_shared::{DisplayName, ServerMessage};
use std::future::Future;

fn pong(id: u64) -> RoomEvent {
    RoomEvent::new(ServerMessage::Pong { id })
}

fn count(count: u64) -> RoomEvent {
    RoomEvent::replaceable(ServerMessage::Presence {
        joined: vec![],
        left: vec![],
        count,
        member_instances: Default::default(),
    })
}

#[test]
fn many_small_events_fit_a_budget_that_one_big_backlog_does_not() {
    let fanout = Fanout::new(64 * 1024);
    let mut member = fanout.subscribe();
    // 2,000 small events: far more than any event count limit allowed.
    for id in 0..2000 {
        fanout.send(&pong(id));
    }
    for id in 0..2000 {
        assert_eq!(
            member.try_recv().unwrap().unwrap().message.as_ref(),
            &ServerMessage::Pong { id }
        );
    }
    assert!(member.is_empty());
    // A backlog over the budget is an overflow, reported with its size.
    let big = RoomEvent::new(ServerMessage::Left {
        name: DisplayName::parse(&"x".repeat(24)).unwrap(),
    });
    for _ in 0..10_000 {
        fanout.send(&big);
    }
    let Ended::TooSlow(overflow) = member.try_recv().unwrap().unwrap_err() else {
        panic!("expected an overflow");
    };
    assert!(overflow.bytes > 64 * 1024, "{overflow:?}");
}

#[test]
fn a_newer_count_replaces_an_unsent_one_but_not_messages() {
    let fanout = Fanout::new(1 << 20);
    let mut member = fanout.subscribe();
    fanout.send(&count(1));
    fanout.send(&count(2));
    fanout.send(&pong(7));
    fanout.send(&count(3));
    fanout.send(&count(4));
    let got: Vec<ServerMessage> = std::iter::from_fn(|| member.try_recv())
        .map(|e| e.unwrap().message.as_ref().clone())
        .collect();
    let presence = |count| ServerMessage::Presence {
        joined: vec![],
        left: vec![],
        count,
        member_instances: Default::default(),
    };
    assert_eq!(
        got,
        [presence(2), ServerMessage::Pong { id: 7 }, presence(4)]
    );
}

#[test]
fn a_closed_room_tells_every_member_and_every_later_one_why() {
    let fanout = Fanout::new(1 << 20);
    let mut before = fanout.subscribe();
    fanout.send(&pong(1));
    let closed = Closed {
        code: 1013,
        reason: "the room was lost".into(),
    };
    fanout.close(closed.clone());
    fanout.send(&pong(2));
    let ended = |inbox: &mut Inbox| inbox.try_recv().map(|e| e.map(|_| ()));
    assert_eq!(ended(&mut before), Some(Err(Ended::Closed(closed.clone()))));
    // And it stays closed.
    assert_eq!(ended(&mut before), Some(Err(Ended::Closed(closed.clone()))));
    let mut after = fanout.subscribe();
    assert_eq!(ended(&mut after), Some(Err(Ended::Closed(closed))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_member_is_woken_by_the_next_event_after_it_emptied_its_backlog() {
    let fanout = Fanout::new(1 << 20);
    let mut member = fanout.subscribe();
    let sender = fanout.clone();
    // Bursts of events, each sent while the member waits or reads.
    let sending = tokio::spawn(async move {
        for id in 0..1000 {
            sender.send(&pong(id));
            if id % 7 == 0 {
                tokio::task::yield_now().await;
            }
        }
    });
    for id in 0..1000 {
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), member.recv())
            .await
            .unwrap_or_else(|_| panic!("event {id} never woke the member"));
        let Next::Write(got) = got.unwrap() else {
            panic!("a flush owed with no direct way in");
        };
        assert_eq!(got.message.as_ref(), &ServerMessage::Pong { id });
    }
    sending.await.unwrap();
    assert!(member.is_empty());
}

/// A transport's direct way in that takes what `answer` says, and
/// keeps the texts it took.
#[derive(Default)]
struct Socket {
    taken: Mutex<Vec<String>>,
    answer: Mutex<VecDeque<Written>>,
}

impl Direct for Socket {
    fn framing(&self) -> &'static str {
        "test"
    }

    fn frame(&self, text: &str) -> Bytes {
        Bytes::copy_from_slice(text.as_bytes())
    }

    fn try_write(&self, framed: &Bytes) -> Written {
        let answer = lock(&self.answer).pop_front().unwrap_or(Written::All);
        if answer != Written::Nothing {
            let text = std::str::from_utf8(framed).unwrap();
            lock(&self.taken).push(text.to_owned());
        }
        answer
    }
}

fn attached(fanout: &Fanout) -> (Inbox, Arc<Socket>, Counter) {
    let mut member = fanout.subscribe();
    let socket = Arc::new(Socket::default());
    let sent = Counter::default();
    member.attach(socket.clone(), sent.clone());
    (member, socket, sent)
}

fn ids(texts: &[String]) -> Vec<u64> {
    texts
        .iter()
        .map(|text| match ServerMessage::from_json(text).unwrap() {
            ServerMessage::Pong { id } => id,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn drain(member: &mut Inbox) -> Vec<u64> {
    std::iter::from_fn(|| member.try_recv())
        .map(|e| match e.unwrap().message.as_ref() {
            ServerMessage::Pong { id } => *id,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn an_idle_member_gets_events_straight_from_the_publisher_and_is_never_woken() {
    let fanout = Fanout::new(1 << 20);
    let (mut member, socket, sent) = attached(&fanout);
    for id in 0..3 {
        fanout.send(&pong(id));
    }
    assert_eq!(ids(&lock(&socket.taken)), [0, 1, 2]);
    assert_eq!(sent.get(), 3);
    assert!(member.is_empty());
    // Nothing to do: the task would wait.
    let recv = member.recv();
    futures_util::pin_mut!(recv);
    let waker = futures_util::task::noop_waker();
    let polled = recv.poll(&mut std::task::Context::from_waker(&waker));
    assert!(polled.is_pending());
}

#[test]
fn once_an_event_waits_in_the_backlog_later_ones_wait_behind_it() {
    let fanout = Fanout::new(1 << 20);
    let (mut member, socket, _) = attached(&fanout);
    fanout.send(&pong(0));
    // The socket is full for event 1; then it takes anything again.
    lock(&socket.answer).push_back(Written::Nothing);
    fanout.send(&pong(1));
    fanout.send(&pong(2));
    // 2 did not overtake 1: both wait for the member's task.
    assert_eq!(ids(&lock(&socket.taken)), [0]);
    assert_eq!(drain(&mut member), [1, 2]);
    // Taken but not yet written: the publisher still keeps off.
    fanout.send(&pong(3));
    assert_eq!(ids(&lock(&socket.taken)), [0]);
    assert_eq!(drain(&mut member), [3]);
    member.written();
    fanout.send(&pong(4));
    assert_eq!(ids(&lock(&socket.taken)), [0, 4]);
    assert!(member.is_empty());
}

/// Sends `event` and waits until the runtime's delivery task is done.
async fn send_and_settle(fanout: &Fanout, event: &RoomEvent) {
    fanout.send(event);
    while lock(&fanout.inner.outbox).delivering {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_frame_written_in_part_asks_the_member_to_flush_and_holds_the_rest_back() {
    let fanout = Fanout::new(1 << 20);
    let (mut member, socket, _) = attached(&fanout);
    lock(&socket.answer).push_back(Written::Part);
    send_and_settle(&fanout, &pong(0)).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), member.recv()).await;
    assert!(matches!(next, Ok(Ok(Next::Flush))), "{next:?}");
    // Until the member flushed, event 1 waits behind the rest of 0.
    send_and_settle(&fanout, &pong(1)).await;
    assert_eq!(ids(&lock(&socket.taken)), [0]);
    assert_eq!(drain(&mut member), [1]);
    member.written();
    send_and_settle(&fanout, &pong(2)).await;
    assert_eq!(ids(&lock(&socket.taken)), [0, 2]);
}

#[tokio::test]
async fn with_a_runtime_a_large_room_is_delivered_by_a_task_that_lets_others_run() {
    let fanout = Fanout::new(1 << 20);
    let mut members: Vec<Inbox> = (0..2000).map(|_| fanout.subscribe()).collect();
    fanout.send(&pong(1));
    // The sender did not deliver it itself...
    assert!(members.iter().all(Inbox::is_empty));
    // ...and the delivering task gave way before it was done.
    tokio::task::yield_now().await;
    let reached = members.iter().filter(|m| !m.is_empty()).count();
    assert!(
        reached > 0 && reached < 2000,
        "{reached} reached at the first turn"
    );
    while lock(&fanout.inner.outbox).delivering {
        tokio::task::yield_now().await;
    }
    for member in &mut members {
        assert_eq!(drain(member), [1]);
    }
}

#[test]
fn a_member_gets_only_events_sent_after_it_subscribed_even_if_delivered_later() {
    let fanout = Fanout::new(1 << 20);
    let mut before = fanout.subscribe();
    let sending = fanout.queue(&pong(1));
    let mut after = fanout.subscribe();
    sending.deliver();
    fanout.send(&pong(2));
    assert_eq!(drain(&mut before), [1, 2]);
    assert_eq!(drain(&mut after), [2]);
}

#[test]
fn a_sender_that_finds_someone_delivering_leaves_its_event_to_them() {
    let fanout = Fanout::new(1 << 20);
    let mut member = fanout.subscribe();
    // Delivering (as if another sender were in the middle of it).
    lock(&fanout.inner.outbox).delivering = true;
    fanout.send(&pong(1));
    assert!(member.is_empty());
    lock(&fanout.inner.outbox).delivering = false;
    fanout.send(&pong(2));
    assert_eq!(drain(&mut member), [1, 2]);
}

#[test]
fn events_that_piled_up_go_to_an_idle_member_in_one_write() {
    let fanout = Fanout::new(1 << 20);
    let (member, socket, sent) = attached(&fanout);
    let first = fanout.queue(&pong(1));
    let second = fanout.queue(&pong(2));
    let third = fanout.queue(&pong(3));
    drop(first); // delivers all three
    drop((second, third));
    let taken = lock(&socket.taken).clone();
    let one = |id| pong(id).frame.to_string();
    assert_eq!(taken, [format!("{}{}{}", one(1), one(2), one(3))]);
    assert_eq!(sent.get(), 3);
    assert!(member.is_empty());
}

#[test]
fn dropping_an_inbox_unsubscribes() {
    let fanout = Fanout::new(1024);
    let a = fanout.subscribe();
    let _b = fanout.subscribe();
    assert_eq!(fanout.len(), 2);
    drop(a);
    assert_eq!(fanout.len(), 1);
}

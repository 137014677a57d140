//! Fan-out of a room's events to its members, each with its own backlog
//! measured in bytes.
//!
//! A member is "too slow" when what it has not yet taken from its backlog
//! passes a byte budget (`--chat-backlog-bytes`), not when a burst of small
//! events overran a fixed number of slots: 999 `left` events in a burst are
//! a few kilobytes, and a member reading as an application reads keeps up
//! with them. (A member whose socket accepts nothing is caught by the send
//! deadline instead.) The events themselves are shared: a room event is
//! serialized once ([`RoomEvent`]) and every backlog holds the same bytes.
//!
//! Replaceable events (count-only presence) are merged while a member
//! catches up: a newer one replaces an unsent older one at the end of the
//! backlog, so a member that fell behind gets the latest count, once.
//!
//! A member whose transport can take a message from outside its task (a
//! [`Direct`] way in, attached once its welcome is out) and that has
//! nothing waiting gets each event written straight to its socket by the
//! publisher, and its task is not woken at all. Anything else (a full
//! socket, a member still writing) goes through the backlog, and the
//! publisher never writes past events waiting there: every member sees the
//! room's events in order.
//!
//! Events are delivered outside the bus's locks. A bus queues an event
//! under its room's lock ([`Fanout::queue`], which fixes the order) and
//! delivers once it let go ([`Sending::deliver`]). Whoever finds nobody
//! delivering delivers; a sender that finds someone at it leaves its event
//! to them. So writing to 5,000 sockets never holds a lock that a joining
//! member waits for.
//!
//! A bus that can no longer keep a room up to date closes the fan-out
//! ([`Fanout::close`]): every member is then told why, with a close code,
//! instead of being left in a room that has gone silent.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use bytes::{Bytes, BytesMut};
use futures_util::task::AtomicWaker;
use prometheus_client::metrics::counter::Counter;

use super::bus::RoomEvent;
use crate::service::session::{Direct, Written};
use crate::sync::lock;

/// Members a delivery writes to before it lets other tasks run: about a
/// millisecond of `send(2)`s.
const YIELD_EVERY: usize = 512;

/// Most events one delivery takes from the queue: when deliveries fall
/// behind (a join storm), an idle member gets the events that piled up in
/// one write rather than one write each.
const BATCH: usize = 64;

/// The members of one room, as places to put its events. Clones share the
/// members.
#[derive(Clone)]
pub struct Fanout {
    inner: Arc<Inner>,
}

struct Inner {
    slots: Mutex<Slots>,
    next: AtomicU64,
    budget: usize,
    /// Set once the room was closed; later members start closed.
    closed: Mutex<Option<Closed>>,
    /// Events sent and not yet delivered.
    outbox: Mutex<Outbox>,
}

/// The members, by subscription id, and a list of them for whoever
/// delivers: made again only after a join or a leave, so that an event to
/// a room that did not change touches no member's reference count.
///
/// The list is in the order members joined. Their slots and sockets were
/// allocated in that order too, and a delivery that walks them so (rather
/// than in a hash map's order) goes through memory, ours and the
/// kernel's, about as it was laid out: with 2,000 members the server
/// spent about 15 % less CPU per delivery.
#[derive(Default)]
struct Slots {
    by_id: BTreeMap<u64, Arc<Slot>>,
    list: Option<Arc<[Arc<Slot>]>>,
}

impl Slots {
    fn insert(&mut self, id: u64, slot: Arc<Slot>) {
        self.by_id.insert(id, slot);
        self.list = None;
    }

    fn remove(&mut self, id: u64) {
        self.by_id.remove(&id);
        self.list = None;
    }

    /// Every member, as of now.
    fn list(&mut self) -> Arc<[Arc<Slot>]> {
        let by_id = &self.by_id;
        self.list
            .get_or_insert_with(|| by_id.values().cloned().collect())
            .clone()
    }
}

/// Events in the order they were sent, each with its number.
#[derive(Default)]
struct Outbox {
    events: VecDeque<(u64, RoomEvent)>,
    /// The number the next event sent gets.
    next: u64,
    /// Someone is delivering: a sender leaves its event to them.
    delivering: bool,
}

/// One member's backlog.
struct Slot {
    state: Mutex<Backlog>,
    /// The member's task, woken when its backlog stops being empty (or it
    /// ends): a member that has not yet taken its last event will still
    /// find the next one, so a burst costs one wake-up, not one per event.
    ready: AtomicWaker,
    /// The number of the first event sent after the member subscribed.
    from: u64,
}

#[derive(Default)]
struct Backlog {
    events: VecDeque<RoomEvent>,
    bytes: usize,
    /// Set once the member is cut off (too slow, or the room closed); its
    /// backlog is freed.
    ended: Option<Ended>,
    /// The member's transport's way in from outside its task.
    direct: Option<Attached>,
    /// The member's task took events it has not yet written (or owes a
    /// flush): the publisher must not write past them.
    busy: bool,
    /// The publisher's last write went out in part: the task must flush.
    flush_owed: bool,
}

/// A [`Direct`] way in, and the counter of messages sent to clients.
struct Attached {
    direct: Arc<dyn Direct>,
    sent: Counter,
}

/// What a member's task has to do next.
#[derive(Debug)]
pub enum Next {
    /// Write this event.
    Write(RoomEvent),
    /// Flush: the transport holds the rest of an event the publisher
    /// wrote.
    Flush,
}

/// Why a member receives no more events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Its backlog went over the budget: it is too slow.
    TooSlow(Overflow),
    /// The room was closed for everyone ([`Fanout::close`]).
    Closed(Closed),
}

/// A member's backlog went over the budget: it is too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    /// Bytes the member had not taken when it went over.
    pub bytes: usize,
}

/// A room closed for all its members, with the close code and reason to
/// give each of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The WebSocket close code (see `socketlab_shared::close`).
    pub code: u16,
    /// Why, for the person reading it.
    pub reason: Arc<str>,
}

/// An event queued ([`Fanout::queue`]) and not yet delivered; dropping it
/// delivers too.
#[must_use = "a queued event goes out when this is delivered; deliver it once the room's lock is released"]
pub struct Sending<'a> {
    fanout: &'a Fanout,
}

impl Sending<'_> {
    /// Delivers the event (and any queued behind it), unless someone is
    /// delivering already: then they do.
    pub fn deliver(self) {}
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        self.fanout.pump();
    }
}

impl Fanout {
    /// A room with no members yet; each member may have up to `budget`
    /// bytes of events it has not taken.
    pub fn new(budget: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                slots: Mutex::default(),
                next: AtomicU64::new(0),
                budget,
                closed: Mutex::new(None),
                outbox: Mutex::default(),
            }),
        }
    }

    /// A new member's inbox: it receives every event sent from now on.
    pub fn subscribe(&self) -> Inbox {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        // Numbered and listed at one instant: whoever delivers a later
        // event finds this member among the slots.
        let outbox = lock(&self.inner.outbox);
        let slot = Arc::new(Slot {
            state: Mutex::new(Backlog {
                ended: lock(&self.inner.closed).clone().map(Ended::Closed),
                ..Backlog::default()
            }),
            ready: AtomicWaker::new(),
            from: outbox.next,
        });
        lock(&self.inner.slots).insert(id, slot.clone());
        drop(outbox);
        Inbox {
            slot,
            id,
            fanout: Arc::downgrade(&self.inner),
        }
    }

    /// Sends `event` to every member (the same bytes for all).
    pub fn send(&self, event: &RoomEvent) {
        self.queue(event).deliver();
    }

    /// Puts `event` after every event sent before it; it goes out when the
    /// returned [`Sending`] is delivered.
    pub fn queue(&self, event: &RoomEvent) -> Sending<'_> {
        let mut outbox = lock(&self.inner.outbox);
        let number = outbox.next;
        outbox.next += 1;
        outbox.events.push_back((number, event.clone()));
        Sending { fanout: self }
    }

    /// Starts delivering the queued events, unless someone is at it
    /// already. Where there is a runtime, in a task of its own that lets
    /// other tasks run between writes: a delivery to 10,000 members takes
    /// tens of milliseconds, which neither the sender nor a runtime worker
    /// may spend at once while connections wait to be accepted. (Without
    /// a runtime, as in a plain test, right here.)
    fn pump(&self) {
        {
            let mut outbox = lock(&self.inner.outbox);
            if outbox.delivering {
                return;
            }
            outbox.delivering = true;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let fanout = self.clone();
                runtime.spawn(async move {
                    while let Some(mut delivery) = fanout.next_delivery() {
                        for (at, slot) in delivery.members.clone().iter().enumerate() {
                            fanout.deliver(slot, &mut delivery);
                            if at % YIELD_EVERY == YIELD_EVERY - 1 {
                                tokio::task::yield_now().await;
                            }
                        }
                    }
                });
            }
            Err(_) => {
                while let Some(mut delivery) = self.next_delivery() {
                    for slot in delivery.members.clone().iter() {
                        self.deliver(slot, &mut delivery);
                    }
                }
            }
        }
    }

    /// The next queued event and the members to give it to; `None` (and
    /// nobody delivering) once the queue is empty.
    fn next_delivery(&self) -> Option<Delivery> {
        let (number, events) = {
            let mut outbox = lock(&self.inner.outbox);
            let number = outbox.events.front().map(|(number, _)| *number);
            outbox.delivering = number.is_some();
            let batch = outbox.events.len().min(BATCH);
            let events: Vec<RoomEvent> = outbox.events.drain(..batch).map(|(_, e)| e).collect();
            (number?, events)
        };
        // A list of its own: joins and leaves do not wait for the writes.
        // One who left meanwhile is skipped (see `Inbox::drop`).
        let members = lock(&self.inner.slots).list();
        Some(Delivery {
            number,
            events,
            members,
            framed: Framed::default(),
        })
    }

    /// Gives `slot` those of `delivery`'s events sent after the member
    /// subscribed.
    fn deliver(&self, slot: &Slot, delivery: &mut Delivery) {
        let skip = slot.from.saturating_sub(delivery.number);
        let Some(events) = usize::try_from(skip)
            .ok()
            .and_then(|skip| delivery.events.get(skip..))
            .filter(|events| !events.is_empty())
        else {
            return;
        };
        // All of them, the usual case, may go out in one write.
        let framed = (skip == 0).then_some(&mut delivery.framed);
        slot.deliver(events, self.inner.budget, framed);
    }

    /// Ends the room for every member, now and to come: each receives
    /// `closed` instead of further events (what was queued is dropped: the
    /// room can no longer say what comes after it).
    pub fn close(&self, closed: Closed) {
        *lock(&self.inner.closed) = Some(closed.clone());
        for slot in lock(&self.inner.slots).by_id.values() {
            let mut backlog = lock(&slot.state);
            if backlog.ended.is_none() {
                backlog.ended = Some(Ended::Closed(closed.clone()));
                backlog.events = VecDeque::new();
                backlog.bytes = 0;
            }
            drop(backlog);
            slot.ready.wake();
        }
    }

    /// Members subscribed.
    pub fn len(&self) -> usize {
        lock(&self.inner.slots).by_id.len()
    }

    /// Whether nobody is subscribed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One event on its way to the members it was sent to.
struct Delivery {
    /// The number of the first event.
    number: u64,
    events: Vec<RoomEvent>,
    members: Arc<[Arc<Slot>]>,
    framed: Framed,
}

/// A delivery's events as transports framed them for their direct writes,
/// one after the other: framed once per way of framing (in practice one,
/// WebSocket text frames).
#[derive(Default)]
struct Framed(Vec<(&'static str, Bytes)>);

impl Framed {
    /// `events` framed for `direct`, framing them on first use.
    fn get(&mut self, direct: &dyn Direct, events: &[RoomEvent]) -> &Bytes {
        let framing = direct.framing();
        let at = match self.0.iter().position(|(kind, _)| *kind == framing) {
            Some(at) => at,
            None => {
                let framed = match events {
                    [one] => direct.frame(one.frame.as_str()),
                    many => many
                        .iter()
                        .map(|event| direct.frame(event.frame.as_str()))
                        .fold(BytesMut::new(), |mut all, frame| {
                            all.extend_from_slice(&frame);
                            all
                        })
                        .freeze(),
                };
                self.0.push((framing, framed));
                self.0.len() - 1
            }
        };
        &self.0[at].1
    }
}

impl Slot {
    /// Gives `events` to this member: straight to its socket, in one
    /// write, when it is idle and the socket takes them (and `framed` is
    /// there to frame them), else into its backlog.
    fn deliver(&self, events: &[RoomEvent], budget: usize, framed: Option<&mut Framed>) {
        let mut guard = lock(&self.state);
        let backlog = &mut *guard;
        if backlog.ended.is_some() {
            return;
        }
        let was_empty = backlog.events.is_empty();
        let written = match (&backlog.direct, framed) {
            (Some(attached), Some(framed)) if was_empty && !backlog.busy => {
                let direct = attached.direct.as_ref();
                let written = direct.try_write(framed.get(direct, events));
                if written != Written::Nothing {
                    attached.sent.inc_by(events.len() as u64);
                }
                written
            }
            _ => Written::Nothing,
        };
        match written {
            Written::All => return,
            Written::Part => {
                backlog.busy = true;
                backlog.flush_owed = true;
                drop(guard);
                self.ready.wake();
                return;
            }
            Written::Nothing => {}
        }
        for event in events {
            backlog.queue(event, budget);
        }
        let ended = backlog.ended.is_some();
        drop(guard);
        if was_empty || ended {
            self.ready.wake();
        }
    }
}

impl Backlog {
    /// Puts `event` at the end, merging it into a replaceable one there,
    /// or ends the member if it would go over `budget`.
    fn queue(&mut self, event: &RoomEvent, budget: usize) {
        if self.ended.is_some() {
            return;
        }
        let size = event.frame.len();
        if event.replaceable {
            if let Some(last) = self.events.back_mut().filter(|e| e.replaceable) {
                self.bytes -= last.frame.len();
                *last = event.clone();
                self.bytes += size;
                return;
            }
        }
        if self.bytes + size > budget && !self.events.is_empty() {
            self.ended = Some(Ended::TooSlow(Overflow {
                bytes: self.bytes + size,
            }));
            self.events = VecDeque::new();
            self.bytes = 0;
        } else {
            self.events.push_back(event.clone());
            self.bytes += size;
        }
    }
}

/// Where one member's events arrive; dropping it unsubscribes.
pub struct Inbox {
    slot: Arc<Slot>,
    id: u64,
    fanout: Weak<Inner>,
}

impl Inbox {
    /// From now on, the publisher writes events straight to `direct` while
    /// this member has nothing waiting, counting each in `sent`. Attach
    /// once the member's first message (its welcome) is out.
    pub fn attach(&mut self, direct: Arc<dyn Direct>, sent: Counter) {
        lock(&self.slot.state).direct = Some(Attached { direct, sent });
    }

    /// What to do next, waiting until there is something; `Err` once the
    /// member's backlog went over the budget or the room was closed.
    pub async fn recv(&mut self) -> Result<Next, Ended> {
        std::future::poll_fn(|cx| {
            // Registered before the backlog is checked: an event sent after
            // the check found it empty wakes this task.
            self.slot.ready.register(cx.waker());
            if let Some(next) = self.try_recv() {
                return std::task::Poll::Ready(next.map(Next::Write));
            }
            let mut backlog = lock(&self.slot.state);
            if std::mem::take(&mut backlog.flush_owed) {
                return std::task::Poll::Ready(Ok(Next::Flush));
            }
            std::task::Poll::Pending
        })
        .await
    }

    /// The next event if one is waiting. The member's task owns what it
    /// took: the publisher writes nothing until it calls
    /// [`Inbox::written`].
    pub fn try_recv(&mut self) -> Option<Result<RoomEvent, Ended>> {
        let mut backlog = lock(&self.slot.state);
        if let Some(ended) = &backlog.ended {
            return Some(Err(ended.clone()));
        }
        let event = backlog.events.pop_front()?;
        backlog.bytes -= event.frame.len();
        backlog.busy = true;
        Some(Ok(event))
    }

    /// What the task took is written and flushed: the publisher may write
    /// to this member again.
    pub fn written(&mut self) {
        let mut backlog = lock(&self.slot.state);
        backlog.busy = false;
        backlog.flush_owed = false;
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        let backlog = lock(&self.slot.state);
        backlog.events.is_empty() && backlog.ended.is_none()
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        // First: whoever is delivering from a copy of the list must not
        // write to this member once it has left (its close frame follows).
        lock(&self.slot.state).direct = None;
        if let Some(fanout) = self.fanout.upgrade() {
            lock(&fanout.slots).remove(self.id);
        }
    }
}

#[cfg(test)]
mod tests;

//! A room's reader: the room's messages from the chat stream, in order and
//! each once, through the loss of the consumer that delivers them.
//!
//! The reader owns its consumer (an ephemeral push consumer, one replica,
//! with flow control and idle heartbeats) rather than leaving it to the
//! client library's ordered consumer. That one reopens itself under the
//! same name each time and waits on each attempt without a deadline: when a
//! JetStream stream leader is killed, the server may place the new
//! consumer on the dead node, never answers its creation, and every retry
//! under that name asks the dead node again. The room then heard nothing,
//! for good, and nobody was told.
//!
//! Here a lapse is noticed on three signs: silence (no message and no
//! heartbeat for [`SILENCE`]), a gap in the consumer's sequence (a message
//! lost between the server and this client, e.g. while reconnecting), or a
//! heartbeat that says more was sent than arrived. The reader then opens a
//! fresh consumer (a new name each time, so the server places it anew) from
//! the stream sequence after the last message it delivered, so nothing is
//! lost or repeated, with a deadline on each attempt and a bounded backoff
//! between them. If it cannot within `--bus-recover-secs`, it gives up:
//! the room is closed for its local members with 1013 and a reason (their
//! clients reconnect) rather than left silent.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_nats::jetstream::consumer::{push, AckPolicy, DeliverPolicy};
use async_nats::jetstream::{self, stream};
use async_nats::{StatusCode, Subscriber};
use futures_util::StreamExt;
use socketlab_shared::close;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::service::chat::fanout::Closed;

use super::room::Room;
use super::wire::{Said, CHAT_SUBJECT};
use super::{unavailable, BusError, Inner, PUBLISH_TIMEOUT};

/// How often the server sends a heartbeat while the room is quiet.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Silence after which the consumer counts as gone: three heartbeats.
const SILENCE: Duration = Duration::from_secs(6);
/// The first pause between attempts to reopen; it doubles up to
/// [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between attempts to reopen.
const MAX_PAUSE: Duration = Duration::from_secs(3);
/// How long the server keeps a consumer nobody listens to (one whose
/// creation this reader stopped waiting for).
const INACTIVE: Duration = Duration::from_secs(30);
/// The header of a heartbeat that says the server waits for a flow
/// control reply it missed.
const STALLED: &str = "Nats-Consumer-Stalled";

/// Reads one room of the chat stream into the room.
pub(super) struct Reader {
    inner: Weak<Inner>,
    room: Weak<Room>,
    stream: stream::Stream,
    client: async_nats::Client,
    js: jetstream::Context,
    subject: String,
    /// The stream sequence of the last message given to the room (0: none
    /// yet).
    last: u64,
    /// How long it may try to reopen before it gives the room up.
    recover_within: Duration,
}

/// One consumer being read.
pub(super) struct Feed {
    name: String,
    messages: Subscriber,
    /// The consumer sequence of the last message received from it.
    delivered: u64,
    /// Messages the consumer had to deliver when it was created.
    pub(super) pending: u64,
}

/// Why a consumer stopped being read.
#[derive(Debug)]
enum Lapse {
    Silent,
    Gap {
        expected: u64,
        got: u64,
    },
    Behind {
        sent: u64,
        received: u64,
    },
    Status(StatusCode),
    Ended,
    /// The room itself is gone: nothing to recover.
    RoomGone,
}

impl std::fmt::Display for Lapse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Silent => write!(f, "no message and no heartbeat for {SILENCE:?}"),
            Self::Gap { expected, got } => write!(
                f,
                "consumer message {got} arrived when {expected} was due (some were lost on the way)"
            ),
            Self::Behind { sent, received } => {
                write!(f, "the server sent {sent} messages, {received} arrived")
            }
            Self::Status(status) => write!(f, "the server ended the consumer ({status})"),
            Self::Ended => write!(f, "the subscription ended"),
            Self::RoomGone => write!(f, "the room was retired"),
        }
    }
}

impl Reader {
    pub(super) fn new(inner: &Arc<Inner>, room: &Arc<Room>) -> Self {
        Self {
            inner: Arc::downgrade(inner),
            room: Arc::downgrade(room),
            stream: inner.chat_stream.clone(),
            client: inner.client.clone(),
            js: inner.js.clone(),
            subject: format!("{CHAT_SUBJECT}.{}", room.name),
            last: 0,
            recover_within: inner.recover_within,
        }
    }

    /// Opens a consumer from the message after the last one delivered (the
    /// start of the room's history at first).
    pub(super) async fn open(&self) -> Result<Feed, BusError> {
        let inbox = self.client.new_inbox();
        // Listening before the consumer exists: its first push is not lost.
        let messages = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(unavailable)?;
        let deliver_policy = match self.last {
            0 => DeliverPolicy::All,
            last => DeliverPolicy::ByStartSequence {
                start_sequence: last + 1,
            },
        };
        let consumer = self
            .stream
            .create_consumer(push::Config {
                deliver_subject: inbox,
                filter_subject: self.subject.clone(),
                deliver_policy,
                ack_policy: AckPolicy::None,
                max_deliver: 1,
                flow_control: true,
                idle_heartbeat: HEARTBEAT,
                inactive_threshold: INACTIVE,
                num_replicas: 1,
                memory_storage: true,
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        let info = consumer.cached_info();
        Ok(Feed {
            name: info.name.clone(),
            messages,
            delivered: 0,
            pending: info.num_pending,
        })
    }

    /// Reads `feed`, reopening it whenever it lapses, until the room is
    /// retired or cannot be recovered. `caught_up` fires once the history
    /// has been read.
    pub(super) async fn run(mut self, mut feed: Feed, mut caught_up: Option<oneshot::Sender<()>>) {
        if feed.pending == 0 {
            if let Some(signal) = caught_up.take() {
                let _ = signal.send(());
            }
        }
        loop {
            let lapse = self.read(&mut feed, &mut caught_up).await;
            if matches!(lapse, Lapse::RoomGone) {
                return;
            }
            self.forget(&feed);
            let Some(inner) = self.inner.upgrade() else {
                return;
            };
            inner.counts.reader_restarts.fetch_add(1, Ordering::Relaxed);
            drop(inner);
            tracing::warn!(
                subject = %self.subject,
                last_seq = self.last,
                "the room's reader lost its consumer ({lapse}); reopening it from the next message"
            );
            match self.reopen().await {
                Ok(fresh) => {
                    tracing::info!(subject = %self.subject, last_seq = self.last, "the room's reader is back");
                    feed = fresh;
                }
                Err(err) => {
                    self.give_up(&lapse, &err);
                    return;
                }
            }
        }
    }

    /// Delivers what `feed` brings until it lapses.
    async fn read(
        &mut self,
        feed: &mut Feed,
        caught_up: &mut Option<oneshot::Sender<()>>,
    ) -> Lapse {
        loop {
            let message = match tokio::time::timeout(SILENCE, feed.messages.next()).await {
                Err(_) => return Lapse::Silent,
                Ok(None) => return Lapse::Ended,
                Ok(Some(message)) => message,
            };
            match message.status {
                Some(StatusCode::IDLE_HEARTBEAT) => {
                    // A flow-control request carries a reply subject; a
                    // heartbeat carries where the consumer is.
                    if let Some(reply) = &message.reply {
                        self.answer(reply.to_string()).await;
                        continue;
                    }
                    let headers = message.headers.as_ref();
                    if let Some(stalled) = headers.and_then(|h| h.get(STALLED)) {
                        self.answer(stalled.to_string()).await;
                    }
                    let sent = headers
                        .and_then(|h| h.get(async_nats::header::NATS_LAST_CONSUMER))
                        .and_then(|v| v.as_str().parse::<u64>().ok());
                    if let Some(sent) = sent.filter(|sent| *sent != feed.delivered) {
                        return Lapse::Behind {
                            sent,
                            received: feed.delivered,
                        };
                    }
                    continue;
                }
                Some(status) => return Lapse::Status(status),
                None => {}
            }
            let message = jetstream::Message {
                message,
                context: self.js.clone(),
            };
            let Ok(info) = message.info() else {
                continue; // not from a consumer: nothing to place
            };
            let (consumer_seq, seq, pending) =
                (info.consumer_sequence, info.stream_sequence, info.pending);
            if consumer_seq != feed.delivered + 1 {
                return Lapse::Gap {
                    expected: feed.delivered + 1,
                    got: consumer_seq,
                };
            }
            feed.delivered = consumer_seq;
            // A fresh consumer starts after `last`; this only guards the
            // promise that nothing is given twice.
            if seq > self.last {
                self.last = seq;
                let Some(room) = self.room.upgrade() else {
                    return Lapse::RoomGone;
                };
                if let Ok(said) = serde_json::from_slice::<Said>(&message.payload) {
                    room.deliver(seq, said);
                }
            }
            if pending == 0 {
                if let Some(signal) = caught_up.take() {
                    let _ = signal.send(());
                }
            }
        }
    }

    /// Opens a fresh consumer, each attempt within [`PUBLISH_TIMEOUT`], with
    /// a growing pause between attempts, for at most `recover_within`.
    async fn reopen(&self) -> Result<Feed, BusError> {
        let deadline = Instant::now() + self.recover_within;
        let mut pause = FIRST_PAUSE;
        loop {
            if self.room.strong_count() == 0 {
                return Err(BusError::Unavailable("the room was retired".to_owned()));
            }
            let attempt = tokio::time::timeout(PUBLISH_TIMEOUT, self.open()).await;
            let err = match attempt {
                Ok(Ok(feed)) => return Ok(feed),
                Ok(Err(err)) => err,
                Err(_) => BusError::Unavailable(format!(
                    "JetStream did not create the consumer within {PUBLISH_TIMEOUT:?}"
                )),
            };
            if Instant::now() + pause >= deadline {
                return Err(err);
            }
            tracing::debug!(subject = %self.subject, "reopening the room's reader failed, trying again in {pause:?}: {err}");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// Answers a flow-control request (or a stall notice), within the
    /// publish deadline.
    async fn answer(&self, subject: String) {
        let publish = self.client.publish(subject, bytes::Bytes::new());
        let _ = tokio::time::timeout(PUBLISH_TIMEOUT, publish).await;
    }

    /// Deletes a consumer that lapsed, in the background: if it still
    /// exists (e.g. it pushes to a subscription this client lost), it
    /// should not wait for the server's inactivity timeout.
    fn forget(&self, feed: &Feed) {
        let stream = self.stream.clone();
        let name = feed.name.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(PUBLISH_TIMEOUT, stream.delete_consumer(&name)).await;
        });
    }

    /// The room could not be recovered: its local members are closed, so
    /// that their clients reconnect, rather than left in a silent room.
    fn give_up(&self, lapse: &Lapse, err: &BusError) {
        let (Some(inner), Some(room)) = (self.inner.upgrade(), self.room.upgrade()) else {
            return;
        };
        tracing::error!(
            room = %room.name,
            last_seq = self.last,
            "the room's reader could not be reopened within {:?} (--bus-recover-secs) after \
             {lapse}: {err}; closing the room's members here with 1013 so that they reconnect. \
             Check that NATS (--bus) is reachable and that the stream SOCKETLAB_CHAT has a leader \
             (`nats stream info SOCKETLAB_CHAT`)",
            self.recover_within,
        );
        inner.lose_room(
            &room,
            Closed {
                code: close::TRY_AGAIN_LATER,
                reason: "the chat bus lost this room; reconnect in a moment".into(),
            },
        );
    }
}

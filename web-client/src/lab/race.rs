//! The TCP vs UDP race, as plain data.
//!
//! The page sends numbered 8-byte packets through the relay to `tcp-echo`
//! and to `udp-echo` (behind a simulated network) and records what comes
//! back. Everything that turns those arrivals into a verdict lives here,
//! free of browser types, so it is tested natively: the packet format,
//! cutting TCP's byte stream back into packets, and counting what was lost,
//! duplicated or overtaken.

use std::rc::Rc;

use yew::Reducible;

/// Bytes per packet: the sequence number and four bytes of padding.
pub const PACKET_LEN: usize = 8;
/// Milliseconds between two sends (on each transport).
pub const SEND_INTERVAL_MS: u32 = 10;
/// How long the race waits for stragglers after the last send.
pub const DRAIN_MS: u32 = 1_500;
/// Packets per transport unless the learner picks another number.
pub const DEFAULT_PACKETS: u32 = 50;
/// The most packets per transport: enough to see patterns, few enough that
/// the chart stays readable and the server's rate limits stay far away.
pub const MAX_PACKETS: u32 = 200;

/// Packet number `seq`: the number as a big-endian `u32` (network byte
/// order, as on the wire everywhere), then four zero bytes of padding.
pub fn packet(seq: u32) -> [u8; PACKET_LEN] {
    let [a, b, c, d] = seq.to_be_bytes();
    [a, b, c, d, 0, 0, 0, 0]
}

/// The sequence number of one whole packet; `None` for anything that is
/// not exactly [`PACKET_LEN`] bytes.
pub fn seq_of(bytes: &[u8]) -> Option<u32> {
    match *bytes {
        [a, b, c, d, _, _, _, _] => Some(u32::from_be_bytes([a, b, c, d])),
        _ => None,
    }
}

/// Cuts a TCP byte stream back into packets.
///
/// TCP keeps no message boundaries: one read may hold half a packet, or
/// three and a half. The incomplete tail is kept until the next chunk
/// completes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Records {
    pending: Vec<u8>,
}

impl Records {
    /// Adds a chunk and returns the sequence numbers of every packet it
    /// completed, in stream order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u32> {
        self.pending.extend_from_slice(chunk);
        let whole = self.pending.len() - self.pending.len() % PACKET_LEN;
        let seqs = self.pending[..whole]
            .chunks_exact(PACKET_LEN)
            .filter_map(seq_of)
            .collect();
        self.pending.drain(..whole);
        seqs
    }
}

/// The three contestants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Through `/ws/relay/tcp-echo`: a byte stream.
    Tcp,
    /// Through `/ws/relay/udp-echo`: one message per datagram, over a
    /// WebSocket (TCP) from the browser to the server.
    Udp,
    /// Through `/wt/relay/udp-echo`: one WebTransport datagram per UDP
    /// datagram, UDP all the way from the browser.
    Wt,
}

/// How one arrival relates to the ones before it, which is what the chart
/// colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalKind {
    /// The first copy, and no higher number came before it.
    InOrder,
    /// The first copy, but a higher number overtook it.
    Late,
    /// A copy of a packet that had already arrived.
    Duplicate,
}

/// One packet that came back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Its sequence number.
    pub seq: u32,
    /// Milliseconds from sending it to receiving it.
    pub rtt_ms: f64,
    /// In order, late or a duplicate.
    pub kind: ArrivalKind,
}

/// Smallest, middle and largest of a set of round-trip times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The fastest.
    pub min: f64,
    /// The median (half were faster).
    pub median: f64,
    /// The slowest.
    pub max: f64,
}

/// The verdict on one transport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneStats {
    /// Packets sent.
    pub sent: u32,
    /// Different packets received (a duplicate counts once, so `received
    /// + lost == sent`).
    pub received: u32,
    /// Sent packets that never came back.
    pub lost: u32,
    /// Extra copies received, beyond the first of each packet.
    pub duplicated: u32,
    /// First copies that arrived after a higher-numbered packet.
    pub reordered: u32,
    /// Round trips of the first copies; `None` before any arrived.
    pub rtt: Option<Spread>,
}

/// One transport's side of the race.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    transport: Transport,
    /// `performance.now()` of each send, indexed by sequence number.
    sent_at: Vec<f64>,
    /// Every packet that came back, in arrival order.
    pub arrivals: Vec<Arrival>,
    /// WebSocket messages received: for TCP, how the stream happened to be
    /// cut; for UDP, one per datagram.
    pub chunks: u32,
    /// Messages or records that were not a packet this page sent.
    pub malformed: u32,
    records: Records,
    highest: Option<u32>,
    seen: Vec<bool>,
}

impl Lane {
    /// An empty lane.
    pub fn new(transport: Transport) -> Self {
        Self {
            transport,
            sent_at: Vec::new(),
            arrivals: Vec::new(),
            chunks: 0,
            malformed: 0,
            records: Records::default(),
            highest: None,
            seen: Vec::new(),
        }
    }

    /// How many packets were sent; they are numbered `0..sent`.
    pub fn sent(&self) -> u32 {
        self.sent_at.len() as u32
    }

    /// Notes that packet `seq` was sent at `at`. Packets are sent in
    /// order, so anything but the next number is a stale or repeated report
    /// and ignored.
    fn record_send(&mut self, seq: u32, at: f64) {
        if seq == self.sent() {
            self.sent_at.push(at);
            self.seen.push(false);
        }
    }

    /// Takes one WebSocket message that arrived at `at`.
    fn receive(&mut self, bytes: &[u8], at: f64) {
        self.chunks += 1;
        match self.transport {
            Transport::Tcp => {
                for seq in self.records.push(bytes) {
                    self.arrive(seq, at);
                }
            }
            Transport::Udp | Transport::Wt => match seq_of(bytes) {
                Some(seq) => self.arrive(seq, at),
                None => self.malformed += 1,
            },
        }
    }

    fn arrive(&mut self, seq: u32, at: f64) {
        let index = seq as usize;
        let (Some(&sent_at), Some(seen)) = (self.sent_at.get(index), self.seen.get_mut(index))
        else {
            self.malformed += 1;
            return;
        };
        let kind = if *seen {
            ArrivalKind::Duplicate
        } else if self.highest.is_some_and(|highest| seq < highest) {
            ArrivalKind::Late
        } else {
            ArrivalKind::InOrder
        };
        *seen = true;
        self.highest = self.highest.max(Some(seq));
        self.arrivals.push(Arrival {
            seq,
            rtt_ms: at - sent_at,
            kind,
        });
    }

    /// The sequence numbers that have not (yet) come back.
    pub fn missing(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.sent()).filter(|&seq| !self.seen[seq as usize])
    }

    /// Counts everything the chart shows.
    pub fn stats(&self) -> LaneStats {
        let count = |kind| {
            self.arrivals
                .iter()
                .filter(|arrival| arrival.kind == kind)
                .count() as u32
        };
        let duplicated = count(ArrivalKind::Duplicate);
        let received = self.arrivals.len() as u32 - duplicated;
        // Sorted by inserting in place: at most a few hundred values, and a
        // sort routine would cost the page kilobytes of code.
        let mut rtts: Vec<f64> = Vec::with_capacity(self.arrivals.len());
        for arrival in &self.arrivals {
            if arrival.kind != ArrivalKind::Duplicate {
                let at = rtts.partition_point(|rtt| rtt.total_cmp(&arrival.rtt_ms).is_le());
                rtts.insert(at, arrival.rtt_ms);
            }
        }
        LaneStats {
            sent: self.sent(),
            received,
            lost: self.sent() - received,
            duplicated,
            reordered: count(ArrivalKind::Late),
            rtt: spread(&rtts),
        }
    }
}

/// The value below which a fraction `p` (0–1) of `sorted` lies,
/// interpolating linearly between neighbours; `None` for no values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p.clamp(0.0, 1.0) * last as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    let weight = rank - below as f64;
    Some(sorted[below] + (sorted[above] - sorted[below]) * weight)
}

fn spread(sorted: &[f64]) -> Option<Spread> {
    Some(Spread {
        min: *sorted.first()?,
        median: percentile(sorted, 0.5)?,
        max: *sorted.last()?,
    })
}

/// Where a race stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing has run yet.
    Idle,
    /// Both relay WebSockets are opening.
    Connecting,
    /// A packet goes out on each open lane every [`SEND_INTERVAL_MS`].
    Sending,
    /// All sent; waiting [`DRAIN_MS`] for the last replies.
    Draining,
    /// Over: the numbers are final.
    Done,
}

/// The whole race: settings, phase and both lanes.
#[derive(Debug, Clone, PartialEq)]
pub struct Race {
    /// Which run this is; `0` before the first.
    pub run: u32,
    /// Where the run stands.
    pub phase: Phase,
    /// Packets to send on each lane.
    pub planned: u32,
    /// The TCP lane.
    pub tcp: Lane,
    /// The UDP lane (WebSocket to the server).
    pub udp: Lane,
    /// The WebTransport datagram lane.
    pub wt: Lane,
}

impl Default for Race {
    fn default() -> Self {
        Self {
            run: 0,
            phase: Phase::Idle,
            planned: DEFAULT_PACKETS,
            tcp: Lane::new(Transport::Tcp),
            udp: Lane::new(Transport::Udp),
            wt: Lane::new(Transport::Wt),
        }
    }
}

impl Race {
    fn lane_mut(&mut self, transport: Transport) -> &mut Lane {
        match transport {
            Transport::Tcp => &mut self.tcp,
            Transport::Udp => &mut self.udp,
            Transport::Wt => &mut self.wt,
        }
    }

    /// Whether a run is under way.
    pub fn is_running(&self) -> bool {
        matches!(
            self.phase,
            Phase::Connecting | Phase::Sending | Phase::Draining
        )
    }
}

/// What happened during a race.
#[derive(Debug, Clone, PartialEq)]
pub enum RaceAction {
    /// A new run with `planned` packets per lane: both lanes start empty.
    Start {
        /// Packets per lane, clamped to `1..=MAX_PACKETS`.
        planned: u32,
    },
    /// Both sockets have opened (or failed): sending begins.
    Go,
    /// Packet `seq` went out on `transport` at `at`.
    Sent {
        /// Which lane.
        transport: Transport,
        /// The packet's number.
        seq: u32,
        /// `performance.now()` just before sending.
        at: f64,
    },
    /// The last packet went out: wait for stragglers.
    AllSent,
    /// A message arrived on `transport`.
    Received {
        /// Which lane.
        transport: Transport,
        /// The message's bytes.
        bytes: Vec<u8>,
        /// `performance.now()` when it arrived.
        at: f64,
    },
    /// The run is over.
    Finish,
}

impl Reducible for Race {
    type Action = RaceAction;

    fn reduce(self: Rc<Self>, action: RaceAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            RaceAction::Start { planned } => {
                next = Race {
                    run: self.run + 1,
                    phase: Phase::Connecting,
                    planned: planned.clamp(1, MAX_PACKETS),
                    ..Race::default()
                };
            }
            RaceAction::Go if self.phase == Phase::Connecting => next.phase = Phase::Sending,
            RaceAction::Sent { transport, seq, at }
                if self.phase == Phase::Sending && seq < self.planned =>
            {
                next.lane_mut(transport).record_send(seq, at);
            }
            RaceAction::AllSent if self.phase == Phase::Sending => next.phase = Phase::Draining,
            RaceAction::Received {
                transport,
                bytes,
                at,
            } if matches!(self.phase, Phase::Sending | Phase::Draining) => {
                next.lane_mut(transport).receive(&bytes, at);
            }
            RaceAction::Finish if self.is_running() => next.phase = Phase::Done,
            // Anything else is a late event from a phase that is over.
            _ => return self,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(actions: impl IntoIterator<Item = RaceAction>) -> Race {
        let mut race = Rc::new(Race::default());
        for action in actions {
            race = race.reduce(action);
        }
        (*race).clone()
    }

    /// A race with `n` packets sent on both lanes, 10 ms apart from t=0.
    fn sent(n: u32) -> Vec<RaceAction> {
        let mut actions = vec![RaceAction::Start { planned: n }, RaceAction::Go];
        for seq in 0..n {
            for transport in [Transport::Tcp, Transport::Udp] {
                actions.push(RaceAction::Sent {
                    transport,
                    seq,
                    at: f64::from(seq) * 10.0,
                });
            }
        }
        actions
    }

    fn udp(seq: u32, at: f64) -> RaceAction {
        RaceAction::Received {
            transport: Transport::Udp,
            bytes: packet(seq).to_vec(),
            at,
        }
    }

    #[test]
    fn packets_carry_a_big_endian_sequence_number() {
        assert_eq!(packet(0x0102_0304), [1, 2, 3, 4, 0, 0, 0, 0]);
        assert_eq!(seq_of(&packet(77)), Some(77));
        assert_eq!(seq_of(&[0; 7]), None);
        assert_eq!(seq_of(&[0; 9]), None);
    }

    #[test]
    fn the_tcp_stream_is_cut_back_into_packets() {
        let stream: Vec<u8> = (0..4).flat_map(packet).collect();
        let mut records = Records::default();
        assert_eq!(records.push(&stream[..3]), Vec::<u32>::new());
        assert_eq!(records.push(&stream[3..20]), [0, 1]);
        assert_eq!(records.push(&stream[20..]), [2, 3]);
        assert_eq!(records, Records::default());
    }

    #[test]
    fn tcp_in_one_chunk_is_all_there_in_order() {
        let mut actions = sent(5);
        actions.push(RaceAction::Received {
            transport: Transport::Tcp,
            bytes: (0..5).flat_map(packet).collect(),
            at: 60.0,
        });
        let race = run(actions);
        let stats = race.tcp.stats();
        assert_eq!(race.tcp.chunks, 1);
        assert_eq!((stats.sent, stats.received, stats.lost), (5, 5, 0));
        assert_eq!((stats.duplicated, stats.reordered), (0, 0));
        let rtt = stats.rtt.unwrap();
        assert_eq!((rtt.min, rtt.median, rtt.max), (20.0, 40.0, 60.0));
    }

    #[test]
    fn udp_loss_duplicates_and_reordering_are_counted() {
        // Sent 0..6; 3 is lost, 1 arrives twice, 2 is overtaken by 4.
        let mut actions = sent(6);
        for (seq, at) in [
            (0, 1.0),
            (1, 12.0),
            (1, 13.0),
            (4, 42.0),
            (2, 45.0),
            (5, 52.0),
        ] {
            actions.push(udp(seq, at));
        }
        let race = run(actions);
        let stats = race.udp.stats();
        assert_eq!(stats.sent, 6);
        assert_eq!(stats.received, 5);
        assert_eq!(stats.lost, 1);
        assert_eq!(stats.duplicated, 1);
        assert_eq!(stats.reordered, 1);
        assert_eq!(race.udp.missing().collect::<Vec<_>>(), [3]);
        let kinds: Vec<ArrivalKind> = race.udp.arrivals.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                ArrivalKind::InOrder,
                ArrivalKind::InOrder,
                ArrivalKind::Duplicate,
                ArrivalKind::InOrder,
                ArrivalKind::Late,
                ArrivalKind::InOrder,
            ]
        );
        // Duplicates do not count towards the RTT: 1, 2, 2, 25, 2.
        let rtt = stats.rtt.unwrap();
        assert_eq!((rtt.min, rtt.median, rtt.max), (1.0, 2.0, 25.0));
    }

    #[test]
    fn packets_nobody_sent_are_malformed_not_counted() {
        let mut actions = sent(2);
        actions.push(udp(9, 5.0));
        actions.push(RaceAction::Received {
            transport: Transport::Udp,
            bytes: vec![1, 2, 3],
            at: 6.0,
        });
        let race = run(actions);
        assert_eq!(race.udp.malformed, 2);
        assert_eq!(race.udp.stats().received, 0);
        assert_eq!(race.udp.stats().lost, 2);
        assert_eq!(race.udp.stats().rtt, None);
    }

    #[test]
    fn phases_go_forward_and_late_events_are_ignored() {
        let mut race = run(sent(2));
        assert_eq!(race.phase, Phase::Sending);
        race = run(sent(2).into_iter().chain([
            RaceAction::Sent {
                transport: Transport::Tcp,
                seq: 2,
                at: 99.0,
            },
            RaceAction::Sent {
                transport: Transport::Udp,
                seq: 0,
                at: 99.0,
            },
            RaceAction::AllSent,
            udp(0, 30.0),
            RaceAction::Finish,
            udp(1, 40.0),
            RaceAction::Go,
        ]));
        assert_eq!(race.phase, Phase::Done);
        // No send beyond the plan or twice, no arrival after the finish.
        assert_eq!(race.tcp.sent(), 2);
        assert_eq!(race.udp.sent(), 2);
        assert_eq!(race.udp.stats().received, 1);
        assert!(!race.is_running());
    }

    #[test]
    fn a_new_start_clears_the_last_run() {
        let race = run(sent(3)
            .into_iter()
            .chain([udp(0, 1.0), RaceAction::Start { planned: 1000 }]));
        assert_eq!(race.run, 2);
        assert_eq!(race.phase, Phase::Connecting);
        assert_eq!(race.planned, MAX_PACKETS);
        assert!(race.udp.arrivals.is_empty());
    }

    #[test]
    fn the_webtransport_lane_counts_one_datagram_as_one_packet() {
        let mut race = Rc::new(Race::default()).reduce(RaceAction::Start { planned: 3 });
        race = race.reduce(RaceAction::Go);
        for seq in 0..3 {
            let transport = Transport::Wt;
            race = race.reduce(RaceAction::Sent {
                transport,
                seq,
                at: 0.0,
            });
        }
        for (seq, at) in [(1, 5.0), (0, 6.0)] {
            race = race.reduce(RaceAction::Received {
                transport: Transport::Wt,
                bytes: packet(seq).to_vec(),
                at,
            });
        }
        // Half a packet is not a packet: datagrams are never joined.
        race = race.reduce(RaceAction::Received {
            transport: Transport::Wt,
            bytes: packet(2)[..4].to_vec(),
            at: 7.0,
        });
        let stats = race.wt.stats();
        assert_eq!((stats.sent, stats.received, stats.reordered), (3, 2, 1));
        assert_eq!((race.wt.chunks, race.wt.malformed), (3, 1));
        assert_eq!(race.udp.sent(), 0, "the lanes are apart");
    }

    #[test]
    fn percentiles_interpolate() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[3.0], 0.5), Some(3.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 10.0], 0.5), Some(2.5));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 0.0), Some(1.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 1.0), Some(3.0));
        assert_eq!(percentile(&[0.0, 10.0], 0.25), Some(2.5));
    }
}

//! The race panel's driver: the effects that move a TCP-vs-UDP race
//! (and its WebTransport lane) through its phases.

use gloo_timers::callback::{Interval, Timeout};
use yew::prelude::*;

use crate::browser::now_ms;
use crate::lab::race::{packet, Phase, Race, RaceAction, Transport, DRAIN_MS, SEND_INTERVAL_MS};

/// How long the race waits for its WebTransport session before running
/// without it: a network that drops UDP would otherwise hold every lane.
const WT_CONNECT_MS: u32 = 5_000;
use crate::lab::{Chunking, Measured, Measurements, RaceResult};
use crate::ws::{SocketStatus, UseWebSocketHandle};
use crate::wt::UseWtHandle;

/// The race panel's phases' side effects, one effect per phase, each keyed on the run
/// so a new race restarts them and an unmount cancels their timers.
#[hook]
pub fn use_race_driver(
    race: &UseReducerHandle<Race>,
    tcp: &UseWebSocketHandle,
    udp: &UseWebSocketHandle,
    wt: &UseWtHandle,
    report: UseReducerDispatcher<Measurements>,
) {
    let settled = |status: &SocketStatus| status.is_open() || status.is_finished();
    let ready = race.phase == Phase::Connecting
        && settled(tcp.status())
        && settled(udp.status())
        && wt.state().settled();
    let wt_open = matches!(wt.state(), crate::wt::WtState::Open { .. });
    let any_open = tcp.status().is_open() || udp.status().is_open() || wt_open;
    {
        let race = race.dispatcher();
        use_effect_with(ready, move |&ready| {
            if ready {
                race.dispatch(if any_open {
                    RaceAction::Go
                } else {
                    RaceAction::Finish
                });
            }
        });
    }

    {
        let connecting = race.phase == Phase::Connecting;
        let wt = wt.clone();
        use_effect_with((connecting, race.run), move |&(connecting, _)| {
            let timeout = connecting.then(|| {
                Timeout::new(WT_CONNECT_MS, move || {
                    wt.give_up("no WebTransport answer within 5 s (is UDP blocked on the way?)")
                })
            });
            move || drop(timeout)
        });
    }

    {
        let sending = race.phase == Phase::Sending;
        let (dispatch, planned) = (race.dispatcher(), race.planned);
        let (tcp, udp, wt) = (tcp.clone(), udp.clone(), wt.clone());
        use_effect_with((sending, race.run), move |&(sending, _)| {
            let interval = sending.then(|| {
                let mut seq = 0;
                let mut tick = move || {
                    if seq >= planned {
                        return;
                    }
                    for (ws, transport) in [(&tcp, Transport::Tcp), (&udp, Transport::Udp)] {
                        let at = now_ms();
                        if ws.send_binary(&packet(seq)).is_ok() {
                            dispatch.dispatch(RaceAction::Sent { transport, seq, at });
                        }
                    }
                    let at = now_ms();
                    if wt.send_datagram(&packet(seq)).is_ok() {
                        let transport = Transport::Wt;
                        dispatch.dispatch(RaceAction::Sent { transport, seq, at });
                    }
                    seq += 1;
                    if seq == planned {
                        dispatch.dispatch(RaceAction::AllSent);
                    }
                };
                tick();
                Interval::new(SEND_INTERVAL_MS, tick)
            });
            move || drop(interval)
        });
    }

    {
        let draining = race.phase == Phase::Draining;
        let dispatch = race.dispatcher();
        use_effect_with((draining, race.run), move |&(draining, _)| {
            let timeout = draining
                .then(|| Timeout::new(DRAIN_MS, move || dispatch.dispatch(RaceAction::Finish)));
            move || drop(timeout)
        });
    }

    {
        // A race in which nothing could be sent measured nothing.
        let done =
            race.phase == Phase::Done && race.tcp.sent() + race.udp.sent() + race.wt.sent() > 0;
        let measured = Measured::Race {
            connect_ms: tcp.status().open_ms(),
            tcp_chunking: Chunking {
                messages: race.tcp.sent(),
                chunks: race.tcp.chunks,
            },
            result: RaceResult {
                tcp: race.tcp.stats(),
                udp: race.udp.stats(),
                udp_messages: race.udp.chunks,
                wt: race.wt.stats(),
            },
        };
        let (tcp, udp, wt) = (tcp.clone(), udp.clone(), wt.clone());
        use_effect_with((done, race.run), move |&(done, _)| {
            if done {
                tcp.disconnect();
                udp.disconnect();
                wt.disconnect();
                report.dispatch(measured);
            }
        });
    }
}

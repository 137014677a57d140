//! Accept loops for the raw TCP sockets (the demo sockets and the door):
//! at most `max` connections at a time, each a task the shutdown waits for.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::shutdown::Shutdown;

/// Accepts TCP connections on `listener` until shutdown, at most `max` at a time (more
/// wait in the kernel's backlog), each handled by `handle` as a task the
/// shutdown waits for.
pub async fn accept_loop<F, Fut>(
    name: &'static str,
    listener: TcpListener,
    max: usize,
    shutdown: Shutdown,
    handle: F,
) where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    let mut begun = shutdown.begun();
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = tokio::select! {
            () = &mut begun => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Usually EMFILE: back off instead of spinning.
                    tracing::warn!("{name}: accept failed: {err}; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let connection = handle(stream, peer);
        shutdown.spawn(async move {
            connection.await;
            drop(permit);
        });
    }
}

//! Listening TCP sockets with room for a crowd that arrives at once.
//!
//! tokio's `TcpListener::bind` asks the kernel for a backlog of 1,024
//! connections completed but not yet accepted. A class of 10,000 joining
//! within a second overflowed it while the runtime was busy fanning out a
//! room's messages (`TcpExtListenOverflows` in `nstat`: 22 to 923 per
//! storm), and every connection the kernel dropped waited a second or more
//! for its SYN to be sent again. [`listen`] asks for [`BACKLOG`] instead;
//! the kernel caps it at `net.core.somaxconn` (4,096 by default since
//! Linux 5.4; raise that sysctl for a larger one).

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// Connections the kernel may hold completed but not yet accepted.
pub const BACKLOG: u32 = 4096;

/// A listener on `addr` with [`BACKLOG`], reusing the address as
/// `TcpListener::bind` does (a restart does not wait out `TIME_WAIT`).
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// More connections than tokio's default backlog, none accepted yet:
    /// with a backlog of 1,024 the kernel drops the SYNs after the queue
    /// is full, and those connects wait at least a second for a retry.
    #[tokio::test]
    async fn a_crowd_connects_before_anyone_is_accepted() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let crowd = 2000;
        let connects = (0..crowd).map(|_| tokio::net::TcpStream::connect(addr));
        let all = futures_util::future::try_join_all(connects);
        let streams = tokio::time::timeout(Duration::from_millis(900), all)
            .await
            .expect("every connect completes without a SYN retry")
            .unwrap();
        assert_eq!(streams.len(), crowd);
        // And they are real connections, accepted in turn.
        for _ in 0..crowd {
            listener.accept().await.unwrap();
        }
    }
}

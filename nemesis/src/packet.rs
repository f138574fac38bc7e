//! Raw link-layer sockets (`AF_PACKET`) bound to one interface: the link switch's ports.
//!
//! Neighbours: `switch.rs` owns one per bridge port it carries frames for; `link.rs` opens
//! them. An unprivileged user has `CAP_NET_RAW` in the sandbox's user namespace, which owns the
//! network namespace the veths live in, so these work rootless too (checked: OS-FACTS.md).
//!
//! Design: a socket that only sends is bound with protocol 0, which registers no tap, so the
//! kernel does not copy every frame of that port to it. Sockets are non-blocking: the switch
//! polls them all from one thread.

use crate::error::{Error, Result};
use nix::errno::Errno;
use nix::sys::socket::{
    bind, recvfrom, send, socket, AddressFamily, LinkAddr, MsgFlags, SockFlag, SockType,
    SockaddrLike,
};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// `ETH_P_ALL`: every protocol, in network byte order as `sockaddr_ll` wants it.
const ETH_P_ALL: u16 = (libc::ETH_P_ALL as u16).to_be();
/// What `sll_pkttype` says of a frame this host sent out of the interface.
const PACKET_OUTGOING: u8 = libc::PACKET_OUTGOING;

/// One `AF_PACKET` socket bound to one interface.
pub(crate) struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    /// A socket on interface `name` that receives every frame arriving there (`listen`) or
    /// none (a socket only to send out of it).
    pub fn open(name: &str, listen: bool) -> Result<PacketSocket> {
        let what = |e: Errno| Error::os(format!("opening a packet socket on {name}"), e.into());
        let index = nix::net::if_::if_nametoindex(name).map_err(what)?;
        let proto = if listen { ETH_P_ALL } else { 0 };
        let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
        let fd = socket(AddressFamily::Packet, SockType::Raw, flags, None).map_err(what)?;
        bind(fd.as_raw_fd(), &link_addr(index, proto)).map_err(what)?;
        Ok(PacketSocket { fd })
    }

    /// The next frame that arrived on the interface (frames it sent are skipped), its length;
    /// `None` when there is none now.
    pub fn recv(&self, buf: &mut [u8]) -> Option<usize> {
        loop {
            match recvfrom::<LinkAddr>(self.fd.as_raw_fd(), buf) {
                Ok((_, Some(a))) if a.pkttype() == PACKET_OUTGOING => continue,
                Ok((n, _)) => return Some(n.min(buf.len())),
                Err(Errno::EINTR) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Sends `frame` out of the interface; false when the kernel refused it (queue full, too
    /// long): the frame is lost, as on a congested link.
    pub fn send(&self, frame: &[u8]) -> bool {
        send(self.fd.as_raw_fd(), frame, MsgFlags::MSG_DONTWAIT).is_ok()
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A `sockaddr_ll` naming interface `index` and protocol `proto` (network order).
fn link_addr(index: u32, proto: u16) -> LinkAddr {
    // SAFETY: nix has no safe constructor for `sockaddr_ll` (its `LinkAddr` only comes from the
    // kernel); `from_raw` reads exactly `size_of::<sockaddr_ll>()` bytes of a fully initialised
    // local value that outlives the call, with the family set as it checks.
    let raw = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: proto,
        sll_ifindex: index as i32,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
    unsafe { LinkAddr::from_raw(std::ptr::addr_of!(raw).cast(), Some(len)) }
        .expect("a sockaddr_ll of the right family and length")
}

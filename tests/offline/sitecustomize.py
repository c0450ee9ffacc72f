"""Offline guard: Python imports this at start-up when `tests/offline` is on PYTHONPATH.

It refuses every network connection that does not stay on this machine, *before* anything is
sent: host names other than `localhost` are not even looked up (no DNS query leaves), and
sockets may only connect to loopback addresses or Unix sockets. Kernels keep working (Jupyter
talks to them over 127.0.0.1); a notebook that tries to download something fails loudly.
"""

from __future__ import annotations

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkBlocked(OSError):
    """A connection to another machine was attempted while the tests run offline."""


def _is_local(host: object) -> bool:
    if host is None:  # getaddrinfo(None, port) means this machine
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: refusing it keeps the DNS query from leaving


def _refuse(what: str, target: object) -> NetworkBlocked:
    return NetworkBlocked(f"offline test run: refused to {what} {target!r} (only loopback allowed)")


_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        raise _refuse("look up", host)
    return _getaddrinfo(host, *args, **kwargs)


def _check_address(sock: socket.socket, address: object, what: str) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise _refuse(what, address)


def _guarded_connect(self, address):
    _check_address(self, address, "connect to")
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(self, address, "connect to")
    return _connect_ex(self, address)


def _guarded_sendto(self, data, *args):
    _check_address(self, args[-1], "send to")
    return _sendto(self, data, *args)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.socket.sendto = _guarded_sendto
socket.NetworkBlocked = NetworkBlocked  # so a probe can recognise the guard's error

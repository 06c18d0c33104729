"""Where a webhook may go: an http(s) URL on the internet.

A URL naming a private, loopback, link-local or otherwise non-public address is refused when
it is registered, and again when each delivery is sent, after the name is resolved: the
connection goes to the very address that was checked, so a name that resolves elsewhere between
the check and the connection (DNS rebinding) reaches nothing it should not. Tests and private
installations allow such addresses with WEBHOOKS_ALLOW_PRIVATE. Redirects are not followed.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# User-facing messages; tests reuse them.
URL_NOT_HTTP = "The URL must start with http:// or https://."
URL_NO_HOST = "The URL must name a host, e.g. https://example.com/hooks."
URL_WITH_CREDENTIALS = "Put no user name or password in the URL; the signature proves the sender."
URL_BAD_PORT = "The URL's port is not a number between 1 and 65535."
URL_PRIVATE = (
    "The URL points to a private, loopback or link-local address ({address}); webhooks are "
    "sent to addresses on the internet only."
)
URL_UNRESOLVED = "The host {host} could not be found."

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The URL cannot be used; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse(url: str) -> Target:
    """The URL's parts, or AddressRefused when it is not an http(s) URL with a host."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise AddressRefused(URL_BAD_PORT) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise AddressRefused(URL_NOT_HTTP)
    if not parts.hostname:
        raise AddressRefused(URL_NO_HOST)
    if parts.username or parts.password:
        raise AddressRefused(URL_WITH_CREDENTIALS)
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default = 443 if scheme == "https" else 80
    return Target(scheme=scheme, host=parts.hostname, port=port or default, path=path)


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _allowed(address: Address) -> bool:
    return settings.WEBHOOKS_ALLOW_PRIVATE or is_public(address)


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (an address given as such is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(URL_UNRESOLVED.format(host=host)) from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


def check_url(url: str) -> Target:
    """For registration: refuse what is not http(s) or what names a non-public address. A name
    that does not resolve now is accepted (it is checked again at each delivery)."""
    target = parse(url)
    try:
        addresses = resolve(target.host, target.port)
    except AddressRefused:
        return target
    for address in addresses:
        if not _allowed(address):
            raise AddressRefused(URL_PRIVATE.format(address=address))
    return target


def connect_address(target: Target) -> Address:
    """For a delivery: the address to connect to, every address of the name checked first."""
    addresses = resolve(target.host, target.port)
    for address in addresses:
        if not _allowed(address):
            raise AddressRefused(URL_PRIVATE.format(address=address))
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: Address, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: Address, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = str(address)

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, not the address connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Answer:
    status: int


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url`` at the checked address; raises AddressRefused or OSError."""
    target = parse(url)
    address = connect_address(target)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, address, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        # What the endpoint says is not kept; a little is read so the connection ends cleanly.
        response.read(4096)
        return Answer(status=response.status)
    finally:
        connection.close()

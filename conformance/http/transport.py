"""How requests reach a staging target: TLS material, a proxy, and the headers a gateway wants.

These are the user's words about the network between the suite and the target. They are
checked once here (a missing file or a malformed header is a one-line error before any
request), and applied in one place: :class:`conformance.http.adapter.TargetAdapter`, which uses
them for every request whatever its caller passed, schemathesis' requests included.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import getproxies

import requests
from requests.utils import get_environ_proxies

from conformance.contract.facts import KEY_HEADER
from conformance.errors import TransportError

ENV_CA_BUNDLE = "AUDIENCE_CA_BUNDLE"
# The variables other HTTP clients honour for an internal CA, in the order they are consulted.
STANDARD_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")
ENV_CLIENT_CERT = "AUDIENCE_CLIENT_CERT"
ENV_CLIENT_KEY = "AUDIENCE_CLIENT_KEY"
ENV_PROXY = "AUDIENCE_PROXY"
ENV_HEADERS = "AUDIENCE_HEADERS"

# Headers the suite itself must control: the key has its own option (and is tested with and
# without it), and the others describe the request's own body or destination.
RESERVED_HEADERS = frozenset(
    {
        KEY_HEADER.lower(),
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
    }
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class Transport:
    """What every request of a run carries besides what its test decides."""

    verify: bool | str = True  # False with --insecure; a path: the CA bundle that signs the target
    client_cert: tuple[str, str] | str | None = (
        None  # mutual TLS: (certificate, key) or one PEM with both
    )
    proxy: str | None = None
    trust_env: bool = False  # HTTPS_PROXY / HTTP_PROXY / NO_PROXY, only when the user opts in
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def insecure(self) -> bool:
        return self.verify is False

    def proxies_for(self, url: str) -> dict[str, str]:
        """The proxy for requests to ``url``, resolved once: the target's origin never changes."""
        if self.proxy:
            return {"http": self.proxy, "https": self.proxy}
        if self.trust_env:
            return dict(get_environ_proxies(url))  # honours NO_PROXY for this URL
        return {}

    def secrets(self) -> list[str]:
        """What must be masked in every output: header values, and a proxy's password."""
        found = [value for _, value in self.headers]
        proxies = (
            [self.proxy] if self.proxy else list(getproxies().values()) if self.trust_env else []
        )
        found += [
            password for password in (urlsplit(proxy).password for proxy in proxies) if password
        ]
        return found

    def describe(self) -> dict[str, str]:
        """The run's network settings as a certificate states them (no secret among them)."""
        proxy = urlsplit(self.proxy) if self.proxy else None
        return {
            "tls_verify": "false" if self.insecure else "true",
            "client_certificate": str(self.client_cert is not None).lower(),
            "proxy": f"{proxy.scheme}://{proxy.hostname}:{proxy.port}"
            if proxy
            else ("environment" if self.trust_env else "none"),
            "extra_headers": ", ".join(name for name, _ in self.headers),
        }


@dataclass(frozen=True)
class ConnectionOptions:
    """The connection options as the user wrote them, on either front, before the environment is merged."""

    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    proxy: str | None = None
    trust_env: bool = False
    headers: tuple[str, ...] = ()


def build_transport(
    options: ConnectionOptions, environ: Mapping[str, str] | None = None
) -> Transport:
    """Merge options with the environment and check them; raise TransportError on a mistake."""
    env = os.environ if environ is None else environ
    if options.insecure and options.ca_bundle:
        raise TransportError(
            "--insecure and --ca-bundle contradict each other: give the CA bundle, or turn verification off."
        )
    ca_bundle = options.ca_bundle or env.get(ENV_CA_BUNDLE) or _standard_ca_bundle(env)
    return Transport(
        verify=False if options.insecure else _ca_bundle(ca_bundle),
        client_cert=_client_cert(
            options.client_cert or env.get(ENV_CLIENT_CERT) or None,
            options.client_key or env.get(ENV_CLIENT_KEY) or None,
        ),
        proxy=_proxy(options.proxy or env.get(ENV_PROXY) or None),
        trust_env=options.trust_env,
        headers=parse_headers([*env.get(ENV_HEADERS, "").splitlines(), *options.headers]),
    )


def _standard_ca_bundle(env: Mapping[str, str]) -> str | None:
    return next((env[name] for name in STANDARD_CA_VARIABLES if env.get(name)), None)


def _ca_bundle(path: str | None) -> bool | str:
    if path is None:
        return True
    if not os.path.exists(path):
        raise TransportError(f"CA bundle '{path}' does not exist.")
    found = os.stat(path)
    refusal = _unloadable(path, found.st_mtime_ns, found.st_size)
    if refusal is not None:
        raise TransportError(f"CA bundle '{path}' holds no PEM certificate ({refusal}).")
    return path


@functools.cache
def _unloadable(path: str, mtime_ns: int, size: int) -> str | None:
    """Why the bundle cannot be loaded, or None. Loading a system bundle takes tens of
    milliseconds; the settings are built several times in each process of a run, so a bundle is
    loaded once for as long as it is the same file (its time and size are the key)."""
    try:
        if os.path.isdir(path):
            ssl.create_default_context(capath=path)
        else:
            ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError) as error:
        return _reason(error)
    return None


def _client_cert(cert: str | None, key: str | None) -> tuple[str, str] | str | None:
    if cert is None:
        if key is not None:
            raise TransportError("--client-key needs --client-cert: the key alone proves nothing.")
        return None
    for path, what in ((cert, "Client certificate"), (key, "Client key")):
        if path is not None and not os.path.isfile(path):
            raise TransportError(f"{what} '{path}' does not exist.")

    def no_passphrase() -> str:
        # A run in CI cannot answer a prompt: an encrypted key is refused, not asked about.
        raise TransportError(
            f"Client key '{key or cert}' is encrypted; give an unencrypted key (keep it in a CI secret file)."
        )

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key, password=no_passphrase)
    except ssl.SSLError as error:
        raise TransportError(
            f"Client certificate '{cert}' and key '{key or cert}' cannot be used together ({_reason(error)})."
        ) from None
    return (cert, key) if key else cert


def _proxy(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise TransportError(
            "Proxy must be an http(s) URL with a host and a port, e.g. http://proxy.internal:3128."
        )
    return url.strip()


def parse_headers(lines: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines (blank ones ignored); a later line with the same name wins."""
    found: dict[str, tuple[str, str]] = {}
    for line in lines:
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not _TOKEN.fullmatch(name):
            raise TransportError(
                f"Header '{name or line.strip()[:40]}' is not 'Name: value' with a valid header name."
            )
        if name.lower() in RESERVED_HEADERS:
            raise TransportError(
                f"Header '{name}' is set by the suite itself and cannot be given with --header"
                + (
                    " (pass the key with AUDIENCE_API_KEY)."
                    if name.lower() == KEY_HEADER.lower()
                    else "."
                )
            )
        if any(character in value for character in "\r\n\0"):
            raise TransportError(f"Header '{name}' has a line break in its value.")
        found[name.lower()] = (name, value)
    return tuple(found.values())


def _reason(error: BaseException) -> str:
    return getattr(error, "reason", None) or type(error).__name__


def describe_connection_failure(error: BaseException, transport: Transport, *, https: bool) -> str:
    """One line on why a connection failed, naming the option that fixes it when TLS is the cause
    (requests buries the reason three exceptions deep)."""
    text = str(error)
    match = re.search(r"\[SSL: [A-Z0-9_]+\] ([^(]+?)\s*\(_ssl", text) or re.search(
        r"\[SSL: [A-Z0-9_]+\] ([^'\")]+)", text
    )
    reason = match.group(1).strip() if match else describe_connection_error(error)
    if "verify failed" in reason:
        return f"the TLS handshake failed ({reason}): pass --ca-bundle with the CA that signs the target (or set {ENV_CA_BUNDLE} or REQUESTS_CA_BUNDLE)."
    if (
        "certificate required" in reason
        or "handshake failure" in reason
        or (https and transport.client_cert is None and "aborted" in text)
    ):
        # With TLS 1.3 a server that wants a client certificate often just closes the connection.
        return f"the TLS connection was refused or closed ({reason}): the target may want a client certificate (--client-cert and --client-key)."
    if match:
        return f"the TLS handshake failed ({reason}); check --ca-bundle, --client-cert and --client-key."
    return f"{describe_connection_error(error)}."


def describe_connection_error(error: BaseException) -> str:
    """What went wrong on the wire, in words (no library class names)."""
    if isinstance(error, requests.exceptions.SSLError):
        return "the TLS handshake failed"
    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy did not pass the request on"
    text = str(error).lower()
    for marker, words in (
        ("refused", "connection refused"),
        ("name or service not known", "its host name does not resolve"),
        ("nodename nor servname", "its host name does not resolve"),
        ("failed to resolve", "its host name does not resolve"),
        ("temporary failure in name resolution", "its host name does not resolve"),
        ("remotedisconnected", "the connection was closed without an answer"),
        ("connection aborted", "the connection was closed without an answer"),
        ("connection reset", "the connection was reset"),
        ("network is unreachable", "the network is unreachable"),
        ("no route to host", "no route to the host"),
        ("badstatusline", "the answer is not HTTP"),
        ("invalid", "the answer is not HTTP"),
    ):
        if marker in text:
            return words
    return "the connection failed"

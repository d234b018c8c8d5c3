"""The requests a run of the suite sends, in order, with every per-run random value masked.

Two checkouts that send the same requests for a profile and seed write the same logs, so a
restructuring that claims to change no behaviour can be shown to: record the logs before,
record them after, and ``--compare`` the two folders.

    python bench/request_log.py --profiles quick,default --seeds 1,2,3 --out DIR
    python bench/request_log.py --compare OLD_DIR NEW_DIR

Each run is ``python -m conformance run --profile P --seed N`` (one worker) of the venv's
installed suite, against the reference served by ``bench/serve_child.py`` with two keys of two
accounts. The server logs what reaches it (:class:`RequestLog`, an ASGI wrapper): the suite is
not touched. A line is ``ACCOUNT<TAB>METHOD<TAB>PATH<TAB>QUERY<TAB>BODY`` (the account whose key
the request carried). Per-run random values are masked: the run's name prefix (``acx<run>_``),
dates (``<date>``), the port, audience and minted ids (``<id3>``, numbered in the order the
server created them, else of first appearance, so the log still shows which requests name one
audience) and page tokens (``<token2>.<sig5>``: the payload numbered, the signature apart, so
a token the suite cut short or altered shows as such). Long fields are cut, with their length
and a digest. To make runs repeat, the reference makes ids from a counter and the suite runs
with ``PYTHONHASHSEED=0``. Requests without an order of their own are sorted and marked ``&``:
those in flight together at the server, and a run of one request shape from several
connections (threads racing: the server may answer one before the next arrives).
"""

from __future__ import annotations

import argparse
import codecs
import difflib
import hashlib
import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, child_environment, child_server, load_average

RUN_TIMEOUT = 3600.0
KEY_HEADER = b"x-dexatel-key"  # the contract's key header: which account a request speaks for
SHOWN = 400  # characters of a long field written as they are; the rest by length and digest


# The project's names this script uses, all here: keep them in step with the package's layout.
# (The reference app factory is imported by ``bench/serve_child.py``, which serves it.)


def project_keys() -> tuple[str, str]:
    """Two fresh keys, for the reference's two accounts."""
    from conformance.reference.keys import generate_key

    return generate_key(), generate_key()


def counted_ids() -> None:
    """Make the reference's ids (audiences and contacts) a function of how many it made before.

    They stay 32 hex digits that look random, but two runs that create in the same order get
    the same ids, so anything the suite orders by id (a set of ids iterated, with the run's
    ``PYTHONHASHSEED`` fixed) comes out in the same order."""
    from conformance.reference import store

    if not hasattr(store, "new_public_id"):
        raise RuntimeError(
            "conformance.reference.store.new_public_id is gone: update counted_ids()."
        )
    made = itertools.count(1)
    store.new_public_id = lambda: hashlib.sha256(b"id %d" % next(made)).hexdigest()[:32]


# ---------------------------------------------------------------- at the server


class RequestLog:
    """An ASGI wrapper writing each HTTP request reaching ``app`` as one JSON line to ``path``.

    The body is read whole before the app sees it (then replayed), so a request the app refuses
    early is logged with all it carried. A record is written when the response's last part is
    about to leave, before the client can have it, so of two requests sent one after the other
    the first is always logged as ended before the second starts: ``start`` and ``end`` are
    numbers on one counter of events, and overlapping intervals mean requests in flight
    together. ``port`` is the client's (its connection); ``account`` the one whose key the
    request carried (``no key``, ``other key``); ``created`` the id a 201 to a POST gave, so ids
    can be numbered in the order the server made them."""

    def __init__(self, app: Any, path: str, keys: Mapping[str, str]) -> None:
        self.app = app
        self.accounts = {key.encode("latin-1"): account for key, account in keys.items()}
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the server's life)
        self.events = 0

    def _tick(self) -> int:
        self.events += 1
        return self.events

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self._tick()
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away before sending all of its body
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        presented = [value for name, value in scope["headers"] if name.lower() == KEY_HEADER]
        record = {
            "start": start,
            "port": (scope.get("client") or ("", 0))[1],
            "account": (
                "no key"
                if not presented
                else ",".join(self.accounts.get(value, "other key") for value in presented)
            ),
            "method": scope["method"],
            "path": scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "body": body.decode("latin-1"),  # the bytes, one character each
        }
        answer: dict[str, Any] = {"status": None}
        answered: list[bytes] = []

        def write() -> None:
            if "end" not in answer:
                answer["end"] = self._tick()
                if record["method"] == "POST" and answer["status"] == 201:
                    answer["created"] = _created_id(b"".join(answered))
                self.file.write(json.dumps({**record, **answer}) + "\n")
                self.file.flush()

        async def logging_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                if record["method"] == "POST":
                    answered.append(message.get("body", b""))
                if not message.get("more_body", False):
                    write()
            await send(message)

        try:
            await self.app(scope, replay, logging_send)
        finally:
            write()


def _created_id(body: bytes) -> str | None:
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError):
        return None
    identifier = data.get("id") if isinstance(data, dict) else None
    return identifier if isinstance(identifier, str) else None


# ---------------------------------------------------------------- masking


@dataclass
class Numbering:
    """Replaces each distinct value by ``<KINDn>``, n in order of first appearance."""

    kind: str
    seen: dict[str, str]

    def __call__(self, value: str) -> str:
        if value not in self.seen:
            self.seen[value] = f"<{self.kind}{len(self.seen) + 1}>"
        return self.seen[value]


# Percent-encoded forms too: a value may reach the server in a query string.
_SPACE = r"(?: |T|%20|\+)"
_COLON = r"(?::|%3A|%3a)"
DATE = re.compile(
    rf"\d{{4}}-\d{{2}}-\d{{2}}{_SPACE}\d{{2}}{_COLON}\d{{2}}{_COLON}\d{{2}}(?:\.\d+)?Z?"
)
RUN_PREFIX = re.compile(r"acx[a-z0-9]{6}_")  # the suite's run prefix (its family, 6 run characters)
# A body cut short inside the prefix; never the tail of a token (a signature may end in "acx..").
RUN_PREFIX_CUT = re.compile(r"(?<![A-Za-z0-9_-])acx([a-z0-9]{1,6})\Z")
PORT = re.compile(r"(127\.0\.0\.1|localhost)(:|%3A|%3a)\d+")
_EDGE_L, _EDGE_R = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
# Audience ids of the reference (32 hex digits) and the well-formed ids no server holds that the
# suite mints: a run-prefixed token, a UUID, 32 hex digits, a 20-digit number.
IDS = re.compile(
    rf"acx<run>_absent[0-9a-f]{{24}}"
    rf"|{_EDGE_L}[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}{_EDGE_R}"
    rf"|{_EDGE_L}[0-9a-f]{{32}}{_EDGE_R}"
    rf"|{_EDGE_L}[1-9][0-9]{{19}}{_EDGE_R}"
)
# The reference's signed page tokens: base64url(payload) "." base64url(signature), or what the
# suite makes of one (cut short after the dot, say). The payload (collection, account, filters,
# position) is the same from run to run; the signature's key is not. Matched only from the
# start of a run of token characters: linear on a body of megabytes.
TOKEN = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{16,}+)\.([A-Za-z0-9_-]*+)")


def _fixed(text: str) -> str:
    """``text`` with the run prefix, the port and dates masked."""
    text = RUN_PREFIX.sub("acx<run>_", PORT.sub(r"\1\2<port>", text))
    text = RUN_PREFIX_CUT.sub(lambda cut: f"acx<run:{len(cut.group(1))}>", text)
    return DATE.sub("<date>", text)


def generic(text: str) -> str:
    """``text`` with every random value masked without numbers: the order-free form of a line."""
    text = _fixed(text)
    return TOKEN.sub("<token>.<sig>", IDS.sub("<id>", text))


class Masker:
    """Masks the fields of records in order, numbering ids and tokens across one whole log."""

    def __init__(self) -> None:
        self.ids = Numbering("id", {})
        self.tokens = Numbering("token", {})
        self.signatures = Numbering("sig", {})

    def line(self, record: dict[str, Any], mark: str) -> str:
        return mark + "\t".join(_short(self.mask(field)) for field in fields(record))

    def mask(self, text: str) -> str:
        text = _sub_numbered(IDS, self.ids, _fixed(text))
        return TOKEN.sub(self._token, text)

    def _token(self, found: re.Match[str]) -> str:
        """``<tokenN>.<sigM>``: a token cut short, or with its signature changed, gets a new M."""
        payload, signature = found.groups()
        return f"{self.tokens(payload)}.{self.signatures(signature) if signature else ''}"


ENCODINGS = ("utf-32", "utf-16", "utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


def readable(raw: str) -> str:
    """A body as text: UTF-8 without NULs, else the other Unicode encoding that reads it with the
    most ASCII (named in front, so a name inside a UTF-16 body is masked too), else its bytes
    escaped."""
    data = raw.encode("latin-1")
    if 0 not in data:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="backslashreplace")
    readings = []
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            readings.append((sum(character.isascii() for character in text), encoding, text))
    if not readings:
        return data.decode("utf-8", errors="backslashreplace")
    _, encoding, text = max(readings, key=lambda reading: reading[0])  # first of equals
    bom = "+bom" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ""
    return f"[{encoding}{bom}] {text}"


def fields(record: dict[str, Any]) -> list[str]:
    """What a line shows of a request, unmasked."""
    shown = (
        record["account"],
        record["method"],
        record["path"],
        record["query"],
        readable(record["body"]),
    )
    return [_visible(field) for field in shown]


def _sub_numbered(pattern: re.Pattern[str], numbering: Numbering, text: str) -> str:
    return pattern.sub(lambda found: numbering(found.group(0)), text)


def _visible(text: str) -> str:
    """One line per request: tabs, line ends and other control characters written escaped."""
    return "".join(
        character if character.isprintable() else character.encode("unicode_escape").decode()
        for character in text
    )


def _short(text: str) -> str:
    """A long masked field (a size limit's probe) as its start, its length and a digest."""
    if len(text) <= SHOWN:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{text[:SHOWN]}...[{len(text)} characters, masked sha256 {digest}]"


def _template(record: dict[str, Any]) -> tuple[str, str, str, str]:
    return record["account"], record["method"], generic(record["path"]), generic(record["query"])


def groups(records: list[dict[str, Any]]) -> Iterator[tuple[bool, list[dict[str, Any]]]]:
    """Records in the order they reached the server, as (concurrent, group).

    Requests in flight together are one concurrent group. So is a run of consecutive requests
    of one account, method, path and query (ids aside) that came over two or more connections:
    of requests sent at one moment from several threads, the server may answer one before the
    next arrives, while one thread sends request after request over its kept-alive connection."""
    ordered = sorted(records, key=lambda record: record["start"])
    units: list[list[dict[str, Any]]] = []
    last_end = 0
    for record in ordered:
        if units and record["start"] < last_end:
            units[-1].append(record)
        else:
            units.append([record])
        last_end = max(last_end, record["end"])
    run: list[list[dict[str, Any]]] = []
    for unit in [*units, []]:
        template = {_template(record) for record in unit}
        if run and len(template) == 1 and template == {_template(run[0][0])}:
            run.append(unit)
            continue
        if run:
            members = [record for part in run for record in part]
            if len({record["port"] for record in members}) > 1:
                yield True, members
            else:
                for part in run:
                    yield len(part) > 1, part
        run = [unit] if len(template) == 1 else []
        if len(template) > 1:
            yield True, unit


def masked_lines(records: list[dict[str, Any]]) -> list[str]:
    """The masked log; a concurrent group sorted by its masked lines.

    Audience ids are numbered in the order the server created them (one at a time, even when
    the creates race), other ids and tokens in order of first appearance."""
    masker = Masker()
    lines = []
    for concurrent, group in groups(records):
        if not concurrent:
            lines.append(masker.line(group[0], " "))
        else:
            # New ids named by the group's requests are numbered in an order of their own.
            group.sort(key=lambda record: generic("\t".join(fields(record))))
            lines += sorted(masker.line(record, "&") for record in group)
        for record in sorted(group, key=lambda record: str(record.get("created"))):
            if record.get("created"):
                masker.ids(record["created"])
    return lines


# ---------------------------------------------------------------- running


def record(profile: str, seed: int, out: Path, *, keep_raw: bool) -> tuple[float, int, int]:
    """One run: writes ``out/PROFILE-SEED.log``; (wall seconds, exit code, lines)."""
    key, other = project_keys()
    with tempfile.TemporaryDirectory(prefix="request-log-") as folder:
        raw = Path(folder) / "requests.jsonl"
        spec = {
            "app": "reference",
            "db": str(Path(folder) / "ref.sqlite3"),
            "keys": {key: "account-1", other: "account-2"},
            "log": str(raw),
        }
        with child_server(spec) as server:
            env = child_environment(
                PYTHONHASHSEED="0",  # sets of strings iterate in one order from run to run
                AUDIENCE_BASE_URL=server.base_url,
                AUDIENCE_API_KEY=key,
                AUDIENCE_SECONDARY_API_KEY=other,
            )
            command = [
                PYTHON, "-m", "conformance", "run", "--profile", profile, "--seed", str(seed),
                "--junit-xml", str(Path(folder) / "junit.xml"),
            ]  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(
                command,
                check=False,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                cwd=folder,
                env=env,
            )
            seconds = time.perf_counter() - started
        records = [json.loads(line) for line in raw.read_text(encoding="utf-8").splitlines()]
        if keep_raw:
            (out / f"{profile}-{seed}.raw.jsonl").write_text(raw.read_text(encoding="utf-8"))
    if done.returncode != 0:
        print(
            f"  {profile} seed {seed}: exit {done.returncode}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        )
    lines = masked_lines(records)
    (out / f"{profile}-{seed}.log").write_text(
        "".join(line + "\n" for line in lines), encoding="utf-8"
    )
    return seconds, done.returncode, len(lines)


def compare(old: Path, new: Path) -> int:
    """Prints, per log of either folder, ``same`` or where the two first differ; 1 if any differ."""
    names = sorted({path.name for folder in (old, new) for path in folder.glob("*.log")})
    differing = 0
    for name in names:
        before, after = old / name, new / name
        if not before.exists() or not after.exists():
            print(f"{name}: only in {old if before.exists() else new}")
            differing += 1
            continue
        a, b = before.read_text().splitlines(), after.read_text().splitlines()
        if a == b:
            print(f"{name}: same ({len(a)} lines)")
            continue
        differing += 1
        index = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        print(f"{name}: differs from line {index + 1} ({len(a)} lines before, {len(b)} after)")
        for line in list(difflib.unified_diff(a, b, str(before), str(after), n=2, lineterm=""))[
            :12
        ]:
            print(f"    {line[:300]}")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", default="quick,default")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep-raw", action="store_true", help="also keep the unmasked records")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD_DIR", "NEW_DIR"))
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.out is None:
        parser.error("give --out DIR to record, or --compare OLD_DIR NEW_DIR")
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for profile in args.profiles.split(","):
        for seed in (int(text) for text in args.seeds.split(",")):
            load = load_average()
            seconds, code, lines = record(profile, seed, args.out, keep_raw=args.keep_raw)
            failed += code != 0
            print(
                f"{profile}-{seed}: {lines} requests, exit {code}, {seconds:.1f} s (load {load})",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

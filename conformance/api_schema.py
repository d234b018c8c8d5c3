"""The OpenAPI description as schemathesis sees it during a run.

The spec ships inside the package, so an installed suite needs no source tree. This module
configures schemathesis for one run: the target, the key, the profile's numbers, the seed,
redaction, and the hooks that keep generated data safe for a shared account.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import schemathesis
from schemathesis import GenerationMode
from schemathesis.generation.meta import TestPhase
from schemathesis.schemas import BaseSchema

from conformance.session import RunContext
from conformance.target import KEY_HEADER
from conformance.write_guard import SAFE_METHODS, WELL_FORMED_ID, WriteGuard


def spec_path() -> Path:
    """The packaged ``audiences.yaml`` (a copy of ``openapi/audiences.yaml``)."""
    return Path(str(resources.files("conformance") / "spec" / "audiences.yaml"))


def spec_sha256() -> str:
    return hashlib.sha256(spec_path().read_bytes()).hexdigest()


_loaded: WeakKeyDictionary[RunContext, BaseSchema] = WeakKeyDictionary()


def load_schema(context: RunContext) -> BaseSchema:
    """The run's schema, loaded and configured once (the schema and stateful tests share it)."""
    schema = _loaded.get(context)
    if schema is None:
        schema = _loaded[context] = _configured_schema(context)
    return schema


def _configured_schema(context: RunContext) -> BaseSchema:
    schema = schemathesis.openapi.from_path(str(spec_path()))
    settings = context.settings
    # The gateway's headers are on every request anyway (the request path adds them); they are
    # here too so that schemathesis' reproductions carry them, masked like the key.
    extra_headers = dict(settings.transport.headers)
    schema.config.update(base_url=context.base_url, headers={**extra_headers, KEY_HEADER: context.primary.api_key})
    schema.config.seed = context.seed
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=settings.profile.schema_examples,
        allow_x00=True,
    )
    # The coverage phase adds dozens of requests per operation; the suite's own probes cover
    # the boundaries it would try, so the schema tests stay at the profile's size.
    schema.config.phases.coverage.enabled = False
    sanitization = schema.config.output.sanitization
    sanitization.keys_to_sanitize = (KEY_HEADER.lower(), *(name.lower() for name in extra_headers))
    sanitization.sensitive_markers = ("dexatel-key",)
    _register_hooks(schema, context)
    if settings.read_only:
        schema = schema.include(method="GET")
    return schema


def _register_hooks(schema: BaseSchema, context: RunContext) -> None:
    namer = context.namer

    @schema.hook("map_case")  # type: ignore[misc]
    def keep_generated_data_safe(ctx: object, case: schemathesis.Case) -> schemathesis.Case:
        """Writes reach only ids the run may touch; positive data is otherwise kept apart from
        negative data, which must stay exactly as generated to stay negative."""
        meta = case.meta
        positive = meta is not None and meta.generation.mode == GenerationMode.POSITIVE
        body = case.body
        if not positive:
            # A refused create that a faulty server stores anyway must still carry the run's
            # prefix, so the end of the run finds and deletes it. Prefixing a non-empty name keeps
            # it as wrong as it was (too long stays too long, a bad character stays).
            if isinstance(body, dict) and isinstance(body.get("data"), dict) and isinstance(body["data"].get("name"), str) and body["data"]["name"]:
                body["data"]["name"] = namer.prefix + body["data"]["name"]
            return case
        if isinstance(body, dict) and isinstance(body.get("data"), dict) and isinstance(body["data"].get("name"), str):
            # Everything the suite creates carries the run prefix (and is lower case, so two
            # of its names never differ only in letter case).
            body["data"]["name"] = namer.adopt(body["data"]["name"])
        if case.query and "page_token" in case.query:
            # Page tokens are opaque: a client only takes them from links, so positive data
            # never invents one (a server rightly rejects a made-up token).
            del case.query["page_token"]
        return case


def aim_writes_at_absent_ids(case: schemathesis.Case, guard: WriteGuard) -> None:
    """A generated update or delete never names an audience of somebody else's: its id becomes
    one minted to be absent (a negative case keeps a malformed id that names nothing else).

    Called just before the case is sent, so that it covers every phase, explicit examples too
    (the spec's example ids are somebody's on a real account)."""
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    parameters = case.path_parameters
    if case.method.upper() in SAFE_METHODS or not parameters or "id" not in parameters:
        return
    if case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL:
        return  # the state machine follows links, and skips a step that would write elsewhere
    generated = parameters["id"]
    if not positive and isinstance(generated, str) and not WELL_FORMED_ID.match(generated):
        guard.mint_malformed(generated)
        if guard.allows(case.method, urlsplit(case.as_transport_kwargs()["url"]).path):
            return
    parameters["id"] = guard.mint_absent()

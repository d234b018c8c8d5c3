"""The OpenAPI description as schemathesis sees it during a run.

This module configures schemathesis for one run: the target, the key, the profile's numbers, the seed,
redaction, and the hooks that keep generated data safe for a shared account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, unquote
from weakref import WeakKeyDictionary

import schemathesis
from schemathesis import GenerationMode
from schemathesis.generation.meta import TestPhase
from schemathesis.schemas import BaseSchema

from conformance.contract.facts import KEY_HEADER
from conformance.contract.spec_files import spec_path
from conformance.http.methods import SAFE_METHODS
from conformance.http.write_guard import WELL_FORMED_ID, WriteGuard
from conformance.run.session import RunContext

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

_loaded: WeakKeyDictionary[RunContext, BaseSchema] = WeakKeyDictionary()


def load_schema(context: RunContext) -> BaseSchema:
    """The run's schema, loaded and configured once (the schema and stateful tests share it)."""
    schema = _loaded.get(context)
    if schema is None:
        schema = _loaded[context] = _configured_schema(context)
    return schema


def _configured_schema(context: RunContext) -> BaseSchema:
    schema: BaseSchema = schemathesis.openapi.from_path(str(spec_path()))
    settings = context.settings
    # The gateway's headers are on every request anyway (the request path adds them); they are
    # here too so that schemathesis' reproductions carry them, masked like the key.
    extra_headers = dict(settings.transport.headers)
    schema.config.update(
        base_url=context.base_url, headers={**extra_headers, KEY_HEADER: context.primary.api_key}
    )
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
    # the key header, any header the run marks secret, and the gateway headers
    sanitization.keys_to_sanitize = tuple(
        dict.fromkeys((*context.redactor.secret_headers, *(name.lower() for name in extra_headers)))
    )
    sanitization.sensitive_markers = ("dexatel-key",)
    _register_hooks(schema, context)
    if settings.read_only:
        schema = schema.include(method="GET")
    return schema


def _register_hooks(schema: BaseSchema, context: RunContext) -> None:
    @schema.hook("map_case")
    def keep_generated_data_safe(ctx: object, case: OpenApiCase) -> OpenApiCase:
        return make_case_safe(case, context)


def make_case_safe(case: OpenApiCase, context: RunContext) -> OpenApiCase:
    """What keeps a generated request safe on a shared account, and fair to the target.

    Applied to generated cases by the ``map_case`` hook, and again just before a schema test
    sends its case, because the examples phase sends the spec's own examples without hooks
    (their names and ids are somebody's on a real account). It is idempotent.

    - Every name the suite sends carries the run's prefix, so whatever a server keeps can be
      found and deleted at the end (a negative case's name is prefixed without being fixed:
      too long stays too long, a bad character stays).
    - Writes reach only ids minted to be absent (:func:`aim_writes_at_absent_ids`).
    - Positive data never invents a ``page_token``: tokens are opaque, a client only takes
      them from links, and a server rightly refuses a made-up one.
    """
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    namer = context.namer
    aim_writes_at_absent_ids(case, context.guard)
    body = case.body
    data = body.get("data") if isinstance(body, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    if isinstance(data, dict) and isinstance(name, str) and namer.prefix not in name:
        if positive:
            # Lower case, so two of the suite's names never differ only in letter case.
            data["name"] = namer.adopt(name)
        elif name:
            data["name"] = namer.prefix + name
    if positive and case.query and "page_token" in case.query:
        del case.query["page_token"]
    return case


def aim_writes_at_absent_ids(case: OpenApiCase, guard: WriteGuard) -> None:
    """A generated update or delete never names an audience of somebody else's: its id becomes
    one minted to be absent (a negative case keeps a malformed id that names nothing else).
    The state machine's steps are left to it: it follows links, and skips a step that would
    write elsewhere."""
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    parameters = case.path_parameters
    if case.method.upper() in SAFE_METHODS or not parameters or "id" not in parameters:
        return
    if case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL:
        return
    generated = parameters["id"]
    if guard.may_write(str(generated)):
        return  # already minted (this function may see a case twice)
    if not positive and isinstance(generated, str) and _names_nothing_else(case, generated, guard):
        return
    parameters["id"] = guard.mint_absent()


def _names_nothing_else(case: OpenApiCase, generated: str, guard: WriteGuard) -> bool:
    """Whether a negative case's malformed id may be sent as it is: it, and what it reads as
    once percent-decoded (negative data may hold escapes that go out unencoded), name nothing
    a server could hold, however the URL is spelled."""
    readings = {generated, unquote(generated)}
    if any(WELL_FORMED_ID.match(reading) for reading in readings):
        return False
    for reading in readings:
        guard.mint_malformed(reading)
    paths = (f"{guard.collection}/{generated}", f"{guard.collection}/{quote(generated, safe='')}")
    return all(guard.allows(case.method, path) for path in paths)

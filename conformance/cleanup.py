"""``audience-conformance cleanup``: remove what interrupted runs left on a target.

Only audiences whose names carry this suite's run prefix are touched; nothing else is
ever deleted.
"""

from __future__ import annotations

import re

import requests

from conformance.ledger import RUN_ID_LENGTH, sweep
from conformance.settings import ENV_API_KEY, ENV_BASE_URL, SettingsError, build_settings
from conformance.target import Origin, RequestPolicy, Target


def cleanup_leftovers(*, base_url: str | None, keys: list[str | None], run_id: str | None, timeout: str | None) -> int:
    if not base_url:
        raise SettingsError(f"cleanup needs a target: pass --base-url or set {ENV_BASE_URL}.")
    if run_id is not None and not re.fullmatch(rf"[a-z0-9]{{{RUN_ID_LENGTH}}}", run_id):
        raise SettingsError(f"--run-id takes the {RUN_ID_LENGTH} lower-case letters or digits after 'acx' in a name, not '{run_id}'.")
    given = [key for key in keys if key]
    if not given:
        raise SettingsError(f"cleanup needs an API key: pass --api-key or set {ENV_API_KEY}.")
    settings = build_settings(base_url=base_url, api_key=given[0], secondary_api_key=None, profile=None, strict=False, read_only=False, seed=None, rules=None, timeout=timeout, environ={})
    assert settings.base_url is not None
    policy = RequestPolicy(origin=Origin.of(settings.base_url), timeout=settings.timeout)
    total, failures = 0, 0
    for index, key in enumerate(given, start=1):
        target = Target(settings.base_url, key, policy)
        try:
            deleted, problems = sweep(target, run_id)
        except (requests.RequestException, ValueError) as error:
            print(f"account {index}: could not list audiences ({type(error).__name__}); nothing deleted")
            failures += 1
            continue
        finally:
            target.close()
        total += deleted
        failures += len(problems)
        print(f"account {index}: deleted {deleted} leftover audience(s)" + (f"; {len(problems)} could not be deleted: {', '.join(problems[:5])}" if problems else ""))
    return 0 if failures == 0 else 1

"""One run over several processes, with pytest-xdist (``run --workers N``, or ``pytest -n N``).

One run stays one run. The controller (the process the user started) makes it: the run id
and name prefix, the seed, the target (it starts the embedded reference when no target was
given) and the preflight, once, before any worker starts. The workers join that run through
xdist's ``workerinput``: same id, prefix, seed and target, so every worker collects the same
tests; each worker names what it creates with its own letters after the prefix, so two
workers never pick one name.

Every audience a worker creates is appended at once to its journal, a file of the run's
folder. At the end, and at any stop (Ctrl-C, SIGTERM, the budget), the controller stops the
workers still running, adopts every journal into its ledger, deletes it all and sweeps the
accounts for the run's prefix, which also finds what a killed worker created without hearing
the answer. Workers never clean, sweep or write JUnit or a certificate: the controller
receives their test reports, decides the one verdict and writes the one JUnit file.

Tests that need a quiet account are kept apart as :mod:`conformance.plugin.quiet_lock` describes. The
parts: :mod:`~conformance.plugin.worker_controller`, :mod:`~conformance.plugin.worker_side`,
:mod:`~conformance.plugin.worker_journal`, :mod:`~conformance.plugin.worker_stop` and
:mod:`~conformance.plugin.worker_wire` (what travels between them); this module puts them in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from conformance.plugin import quiet_lock as quiet
from conformance.plugin.made_once import MAKER
from conformance.plugin.progress import Progress
from conformance.plugin.pytest_options import SETTINGS_KEY
from conformance.plugin.recorder import RunRecorder
from conformance.plugin.worker_controller import Controller
from conformance.plugin.worker_count import AUTO, asked_auto, too_many
from conformance.plugin.worker_side import WorkerSide
from conformance.plugin.worker_wire import is_worker, joined_run
from conformance.run.session import RunContext
from conformance.run.settings import RunSettings


def with_controller_seed(config: pytest.Config, settings: RunSettings) -> RunSettings:
    """A worker's settings with the controller's seed: every worker must generate the same tests.

    Each process may keep the run's whole ``--concurrency`` in flight: the slot files every
    process shares (:mod:`conformance.http.connection_slots`) keep their sum within it, so a
    worker alone in a phase (a quiet test that writes) still sends its batches together."""
    shared = joined_run(config)
    return settings if shared is None else dataclasses.replace(settings, seed=shared.seed)


def controls_workers(config: pytest.Config) -> bool:
    return (
        not is_worker(config)
        and bool(getattr(config.option, "numprocesses", None))
        and config.getoption("dist", "no") != "no"
    )


def register(
    config: pytest.Config,
    recorder: RunRecorder,
    progress: Progress | None,
    start_run: Callable[[], RunContext],
) -> None:
    """Called by the plugin at configure time in every process, with the parts it built."""
    quiet.add_marker(config)
    shared = joined_run(config)
    if shared is not None:
        side = WorkerSide(config, shared, recorder)
        config.stash[MAKER] = side
        config.pluginmanager.register(side, "audience-conformance-worker")
    elif controls_workers(config):
        settings = config.stash[SETTINGS_KEY]
        if asked_auto(config):
            config.stash[AUTO] = True  # counted after the preflight, within --concurrency
        else:
            problem = too_many(
                int(config.option.numprocesses),
                settings.concurrency,
                workers="-n",
                option=settings.option("concurrency"),
            )
            if problem:
                raise pytest.UsageError(problem)
        if config.getoption("dist") == "load":
            config.option.dist = (
                "loadgroup"  # tests handed out a few at a time, in order: the phases hold
            )
        config.pluginmanager.register(
            Controller(config, recorder, progress, start_run), "audience-conformance-controller"
        )

"""The parts of workers and shards that need no run: options, shard choice, journals, the quiet lock, merging."""

from __future__ import annotations

import fcntl
import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from conformance.cli.main import main
from conformance.cli.parallel import checked_shard, checked_workers, worker_args
from conformance.cli.shard_merge import merge_shards
from conformance.errors import ReportError, SettingsError
from conformance.plugin.quiet_lock import Kind, QuietLock
from conformance.plugin.sharding import parse_shard, shard_of
from conformance.plugin.worker_journal import JournalWriter, read_journal
from conformance.plugin.worker_side import worker_tag
from conformance.reference.app import create_app
from conformance.reference.keys import generate_key
from conformance.reference.latency import Latency
from conformance.reference.server import ReferenceServer
from conformance.reference.store import Store


def test_workers_take_a_count_or_auto() -> None:
    assert (
        checked_workers(None) is None and checked_workers("1") is None
    )  # one process: no xdist at all
    assert checked_workers("4") == "4"
    assert checked_workers("auto") == "auto"  # counted after the preflight
    assert worker_args("3") == ["-n", "3", "--dist", "loadgroup", "--max-worker-restart", "0"]
    assert worker_args("auto")[:2] == ["-n", "auto"]
    assert worker_args(None) == [] and worker_args("1") == []
    assert (
        checked_shard("2/5") == "2/5" and checked_shard(None) is None and checked_shard("") is None
    )


@pytest.mark.parametrize("given", ["0", "-2", "two", "1.5", ""])
def test_a_bad_worker_count_is_one_line_and_exit_2(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--workers", given]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("audience-conformance: error: --workers takes") and "\n" not in err


@pytest.mark.parametrize("given", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_a_bad_shard_is_one_line_and_exit_2(given: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--shard", given]) == 2
    assert "--shard takes K/N" in capsys.readouterr().err


def test_shards_are_stable_and_cover_every_group_once() -> None:
    assert parse_shard(" 2 / 3 ") == (2, 3)
    groups = [f"test_x.py::test_{n}" for n in range(300)]
    shards = [shard_of(group, 3) for group in groups]
    assert shards == [
        shard_of(group, 3) for group in groups
    ]  # the same on every call, in every process
    assert set(shards) == {1, 2, 3} and all(60 < shards.count(k) < 140 for k in (1, 2, 3))
    assert (
        shard_of("test_x.py::test_0", 3)
        == 1
        + int.from_bytes(__import__("hashlib").sha256(b"test_x.py::test_0").digest()[:8], "big") % 3
    )


def test_worker_tags_are_distinct_letters() -> None:
    tags = [worker_tag(f"gw{n}") for n in range(60)]
    assert tags[:3] == ["a", "b", "c"] and tags[26] == "ba"
    assert len(set(tags)) == 60 and all(tag.isalpha() for tag in tags)


def test_a_journal_cut_short_by_a_kill_is_read_up_to_the_cut(tmp_path: Path) -> None:
    journal = tmp_path / "journal-gw0.jsonl"
    journal.write_text(
        '{"pid": 42}\n{"account": 0, "id": "a1"}\n{"account": 1, "id": "b2"}\n{"account": 0, "id": "c',
        encoding="utf-8",
    )
    read = read_journal(journal)
    assert (read.pid, read.ended, read.created) == (42, False, [(0, "a1"), (1, "b2")])
    journal.write_text(journal.read_text() + '\n{"end": true}\n', encoding="utf-8")
    assert read_journal(journal).ended


def test_a_journal_leaves_out_what_a_delete_of_the_worker_removed(tmp_path: Path) -> None:
    """The controller's cleanup does not send again a delete the worker saw answered 204; an id
    the server gives again after that is the run's once more."""
    journal = tmp_path / "journal-gw0.jsonl"
    writer = JournalWriter(tmp_path, "gw0")
    for account, audience_id in ((0, "a1"), (0, "b2"), (1, "a1")):
        writer.created(account, audience_id)
    writer.gone(0, "a1")
    writer.gone(0, "b2")
    writer.created(0, "b2")
    writer.created(1, "a1")  # given again before the first one's delete came back
    writer.gone(1, "a1")
    writer.ended(0.0)
    assert read_journal(journal).created == [(1, "a1"), (0, "b2")]


def test_each_class_of_the_quiet_lock_holds_its_rooms(tmp_path: Path) -> None:
    """flock locks belong to open files: a second open of a room, as another worker has, is refused where the class excludes it."""
    lock = QuietLock(tmp_path)

    def free(kind: Kind, mode: int) -> bool:
        fd = os.open(lock.rooms[kind], os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)

    with lock.held(Kind.EXCLUSIVE):
        assert not free(Kind.READERS, fcntl.LOCK_SH) and not free(Kind.WRITERS, fcntl.LOCK_SH)
    with lock.held(Kind.READERS):
        assert (
            free(Kind.READERS, fcntl.LOCK_SH)
            and not free(Kind.READERS, fcntl.LOCK_EX)
            and free(Kind.WRITERS, fcntl.LOCK_EX)
        )
    with lock.held(Kind.WRITERS):
        assert (
            free(Kind.WRITERS, fcntl.LOCK_SH)
            and not free(Kind.WRITERS, fcntl.LOCK_EX)
            and free(Kind.READERS, fcntl.LOCK_EX)
        )
    assert free(Kind.READERS, fcntl.LOCK_EX) and free(Kind.WRITERS, fcntl.LOCK_EX)


def test_the_reference_can_answer_late(tmp_path: Path) -> None:
    key = generate_key()
    store = Store(str(tmp_path / "ref.sqlite3"))
    try:
        with ReferenceServer(Latency(create_app(store, {key: "account-1"}), 0.05)) as server:
            started = time.perf_counter()
            answer = requests.get(
                f"{server.base_url}/v1/audiences", headers={"X-Dexatel-Key": key}, timeout=5
            )
            elapsed = time.perf_counter() - started
    finally:
        store.close()
    assert answer.status_code == 200 and elapsed >= 0.05


def _shard(path: Path, shard: str, **changes: str) -> Path:
    props = {"target": "http://127.0.0.1:1", "embedded_reference": "false", "profile": "quick", "seed": "1", "strict": "false", "read_only": "false",
             "secondary_account": "true", "suite_version": "0.1.0", "spec_sha256": "abc", "run_id": f"run{shard[0]}xx", "run_end": "completed",
             "cleanup_deleted": "3", "shard": shard, **changes}  # fmt: skip
    root = ET.Element("testsuites")
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": "pytest",
            "tests": "1",
            "failures": "0",
            "errors": "0",
            "skipped": "0",
            "time": "1.0",
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in props.items():
        ET.SubElement(properties, "property", {"name": name, "value": value})
    case = ET.SubElement(suite, "testcase", {"classname": "test_auth", "name": f"test_{shard[0]}"})
    ET.SubElement(
        ET.SubElement(case, "properties"), "property", {"name": "rule", "value": "AUTH-01"}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path)
    return path


def test_shards_merge_into_one_file_with_every_testcase(tmp_path: Path) -> None:
    merged = merge_shards(
        [
            _shard(tmp_path / "a.xml", "1/2"),
            _shard(tmp_path / "b.xml", "2/2", run_end="interrupted"),
        ],
        tmp_path / "out",
    )
    root = ET.parse(merged).getroot()
    props = {
        prop.get("name"): prop.get("value")
        for prop in root.iter("property")
        if prop.get("name") not in ("rule",)
    }
    assert [case.get("name") for case in root.iter("testcase")] == ["test_1", "test_2"]
    assert (
        props["run_id"] == "run1xx+run2xx"
        and props["cleanup_deleted"] == "6"
        and props["run_end"] == "interrupted"
    )
    assert root.find("testsuite").get("tests") == "2"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("second", "words"),
    [
        ({"seed": "2"}, "seed is '2' in one and '1' in the other"),
        ({"profile": "default"}, "profile is 'default'"),
        ({"target": "http://127.0.0.1:2"}, "target is"),
        ({"spec_sha256": "def"}, "spec_sha256 is"),
        ({"shard": "1/2"}, "shard 1/2 is given twice"),
        ({"shard": "2/3"}, "different splits"),
    ],
    ids=["seed", "profile", "target", "spec", "twice", "split"],
)
def test_files_of_different_runs_are_refused(
    tmp_path: Path, second: dict[str, str], words: str
) -> None:
    with pytest.raises(ReportError, match=words.replace("(", r"\(")):
        merge_shards(
            [
                _shard(tmp_path / "a.xml", "1/2"),
                _shard(tmp_path / "b.xml", **{"shard": "2/2", **second}),
            ],
            tmp_path / "out",
        )


def test_a_missing_shard_is_refused_by_the_command_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "report",
            str(_shard(tmp_path / "a.xml", "1/3")),
            str(_shard(tmp_path / "b.xml", "2/3")),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert (
        code == 2
        and err
        == "audience-conformance: error: shard 3/3 is missing: a merge needs every shard of the run."
    )


def test_merging_needs_an_out_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "report",
                str(_shard(tmp_path / "a.xml", "1/2")),
                str(_shard(tmp_path / "b.xml", "2/2")),
            ]
        )
        == 2
    )
    assert "merging shards needs --out DIR" in capsys.readouterr().err


def test_a_settings_error_names_the_option() -> None:
    with pytest.raises(SettingsError, match="--audience-shard takes K/N"):
        parse_shard("5/4", "--audience-shard")

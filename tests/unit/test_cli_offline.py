"""The `legisflow` command where no server is needed, as a new user meets it: every error is
one line with the right exit status, settings, fields and files are checked before anything
is read or sent, and `--help` loads only what it needs. (No Temporal server listens on the
address these runs are given: a command that got as far as connecting would say so.)"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from identity.signing_key import load_or_create
from tests.sign_in import session_file

#: The `legisflow` entry point installed next to the interpreter running the tests.
LEGISFLOW = str(Path(sys.executable).parent / "legisflow")
#: Nothing listens on the discard port: reaching for the server fails at once, and says so.
NO_SERVER = "127.0.0.1:9"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def legisflow(tmp_path: Path, *args: str, person: str | None = None, **env: str) -> Run:
    """Run the command; with ``person``, signed in as them (a session from the data dir's
    sign-in key, as `legisflow login` writes one)."""
    environment = {
        **os.environ,
        "LEGISFLOW_TEMPORAL_ADDRESS": NO_SERVER,
        "LEGISFLOW_DATA_DIR": str(tmp_path / "data"),
        "LEGISFLOW_SESSION_FILE": str(tmp_path / "no-session.json"),
        **env,
    }
    if person is not None:
        key = load_or_create(tmp_path / "data" / "identity" / "signing-key.pem")
        environment["LEGISFLOW_SESSION_FILE"] = str(session_file(key, tmp_path, person))
    done = subprocess.run(
        [LEGISFLOW, *args], env=environment, capture_output=True, text=True, timeout=120
    )
    return Run(done.returncode, done.stdout, done.stderr)


def assert_one_line_error(run: Run, *fragments: str) -> None:
    assert run.code == 1, run
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error:"), run.stderr
    for fragment in fragments:
        assert fragment in lines[0], run.stderr


def blobs(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "data" / "documents").rglob("*") if p.is_file()]


def test_help_loads_no_heavy_module() -> None:
    """`legisflow --help` and a command's start cost only what the command uses: the CLI
    package imports none of Temporal, the worker, pydantic's models, YAML or python-docx.
    (Measured, not asserted here: `time legisflow --help` 0.18-0.28 s, was 1.05 s.)"""
    probe = (
        "import sys, cli.app; "
        "heavy = {'temporalio', 'docx', 'pypdf', 'pydantic', 'worker', 'boto3', 'yaml', "
        "'holidays', 'transitions', 'structlog', 'settings', 'models.registry'}; "
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_help_lists_the_commands_of_every_kind_of_user(tmp_path: Path) -> None:
    run = legisflow(tmp_path, "--help")
    assert run.code == 0, run
    for command in ("start", "act", "comment", "dispose", "feedback", "check", "worker", "demo"):
        assert f" {command} " in run.stdout, run.stdout


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("LEGISFLOW_LEGAL_DAY_SECONDS", "abc", "LEGISFLOW_LEGAL_DAY_SECONDS: Input should be a"),
        ("LEGISFLOW_LEGAL_DAY_SECONDS", "inf", "LEGISFLOW_LEGAL_DAY_SECONDS: Input should be a"),
        ("LEGISFLOW_LEGAL_DAY_SECONDS", "1e-9", "greater than or equal to 0.01"),
        ("LEGISFLOW_UI_PORT", "99999", "LEGISFLOW_UI_PORT: Input should be less than"),
        ("LEGISFLOW_TEMPORAL_ADDRESS", "", "LEGISFLOW_TEMPORAL_ADDRESS: give host:port"),
        ("LEGISFLOW_NOTIFIER", "pigeon", "LEGISFLOW_NOTIFIER: Input should be 'outbox'"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    run = legisflow(tmp_path, "status", "any-case", **{variable: value})
    assert_one_line_error(run, says, repr(value))


def test_dispose_without_a_reason_says_what_is_missing(tmp_path: Path) -> None:
    run = legisflow(tmp_path, "dispose", "c", "C00001", "explained", person="nguyen.van.an")
    assert_one_line_error(run, "reason")
    assert "pydantic.dev" not in run.stderr


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "du-thao.pdf"
    with big.open("wb") as f:  # sparse: 200 MB on paper, nothing on disk
        f.truncate(200 * 1000 * 1000)
    run = legisflow(
        tmp_path, "act", "c", "open_consultation", "--file", str(big), person="nguyen.van.an"
    )
    assert_one_line_error(run, "du-thao.pdf", "190.7 MiB", "at most 50.0 MiB")
    assert blobs(tmp_path) == []


def test_a_note_too_long_is_refused_before_the_file_is_uploaded(tmp_path: Path) -> None:
    draft = tmp_path / "du-thao.md"
    draft.write_text("# Dự thảo\n", encoding="utf-8")
    run = legisflow(
        tmp_path,
        "act",
        "c",
        "open_consultation",
        "--file",
        str(draft),
        "--note",
        "x" * 4001,
        person="nguyen.van.an",
    )
    assert_one_line_error(run, "note: String should have at most 4000 characters")
    assert blobs(tmp_path) == []


@pytest.mark.parametrize(
    ("title", "says"),
    [("ab", "the title has 2 characters; give 3 to 500"), ("x" * 501, "has 501 characters")],
)
def test_a_title_out_of_bounds_is_one_line(tmp_path: Path, title: str, says: str) -> None:
    run = legisflow(
        tmp_path, "start", "--type", "qd_ubnd_tinh", "--title", title, person="nguyen.van.an"
    )
    assert_one_line_error(run, says)


def test_a_slug_that_could_reach_another_case_is_refused(tmp_path: Path) -> None:
    run = legisflow(
        tmp_path,
        "start",
        "--type",
        "qd_ubnd_tinh",
        "--title",
        "Quy định thử",
        "--slug",
        "victim/comments",
        person="nguyen.van.an",
    )
    assert_one_line_error(run, "slug 'victim/comments': only lowercase letters")


def _directory(tmp_path: Path, text: str) -> str:
    path = tmp_path / "danh-ba.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


DIRECTORY = """
agencies:
  - {id: so-xd, name: Sở Xây dựng, kind: drafting, jurisdiction: dak_lak, level: local}
people:
  - {id: an, name: Nguyễn Văn An, agency: so-xd, roles: [%s], email: %s}
"""


@pytest.mark.parametrize(
    ("roles", "email", "says"),
    [
        ("drafterr", "an@so-xd.gov.vn", "people[0] (an).roles: unknown role 'drafterr'"),
        ("drafter", "an-at-so-xd", "people.0: people[0] (an).email: 'an-at-so-xd' is not an"),
    ],
)
def test_a_directory_with_a_typo_is_refused_naming_the_field(
    tmp_path: Path, roles: str, email: str, says: str
) -> None:
    path = _directory(tmp_path, DIRECTORY % (roles, email))
    run = legisflow(tmp_path, "actors", LEGISFLOW_DIRECTORY_FILE=path)
    assert_one_line_error(run, "danh-ba.yaml", says.split(": ", 1)[-1])


def test_a_missing_directory_stops_the_worker_at_start(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.yaml"
    run = legisflow(tmp_path, "worker", LEGISFLOW_DIRECTORY_FILE=str(missing))
    assert_one_line_error(run, str(missing), "cannot read the directory")


def test_broken_rules_after_issuance_are_one_line(tmp_path: Path) -> None:
    rules = tmp_path / "sau-ban-hanh.yaml"
    rules.write_text("feedback: [not, a, mapping]\n", encoding="utf-8")
    run = legisflow(tmp_path, "actors", LEGISFLOW_POST_ISSUANCE_FILE=str(rules))
    assert_one_line_error(run, "sau-ban-hanh.yaml: invalid post-issuance rules")

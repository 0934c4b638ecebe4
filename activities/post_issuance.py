"""Directory and rules look-ups for the workflows after issuance (workflows cannot read
files): the rules of ``models/post_issuance.yaml``, the people of a document's monitoring,
feedback and checks, and who answers feedback for an agency a case is forwarded to.

The directory and the rules are parsed once per version of their file (path, modification
time, size) and kept, so a monitoring that runs for years still sees people change while a
busy worker does not parse YAML on every call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.actors import DIRECTORY_FILE, Directory, load_directory
from models.post_issuance import (
    AgencyPeople,
    AgencyRequest,
    PeopleRequest,
    PostIssuancePeople,
    PostIssuanceRules,
    agency_people,
    load_rules,
    resolve_people,
    rules_file,
)
from models.role_names import role_names

#: What identifies one version of a file: its path, modification time (ns) and size.
FileVersion = tuple[str, int, int]


def file_version(path: Path) -> FileVersion:
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _directory_at(version: FileVersion) -> Directory:
    # Every role a person holds must be one the procedures know: a typo fails here, once
    # per version of the file, instead of leaving a role without holders.
    return load_directory(Path(version[0]), roles=role_names(rules=cached_rules()))


@functools.lru_cache(maxsize=8)
def _rules_at(version: FileVersion) -> PostIssuanceRules:
    return load_rules(Path(version[0]))


def cached_directory(path: Path | None = None) -> Directory:
    """The directory at ``path`` (default: the bundled one), parsed and checked once per file
    version; DirectoryError names what is wrong. The models are frozen, so callers share
    them safely."""
    chosen = path or DIRECTORY_FILE
    try:
        version = file_version(chosen)
    except OSError:
        return load_directory(chosen)  # raises DirectoryError naming the file
    return _directory_at(version)


def cached_rules() -> PostIssuanceRules:
    """The post-issuance rules of this deployment, parsed once per file version."""
    chosen = rules_file()
    try:
        version = file_version(chosen)
    except OSError:
        return load_rules(chosen)  # raises the same ValueError as an unreadable file
    return _rules_at(version)


class PostIssuanceActivities:
    def __init__(self, directory_file: Path | None = None) -> None:
        self.directory_file = directory_file

    def _directory(self) -> Directory:
        return cached_directory(self.directory_file)

    @activity.defn(name="load_post_issuance_rules")
    def load_post_issuance_rules(self) -> PostIssuanceRules:
        """The figures and roles after issuance, as the deployment configures them."""
        try:
            return cached_rules()
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidRules", non_retryable=True) from exc

    @activity.defn(name="resolve_post_issuance_people")
    def resolve_post_issuance_people(self, req: PeopleRequest) -> PostIssuancePeople:
        """Monitoring officers, checkers, the higher authority, the issuer, who answers
        feedback, and the agencies feedback may be forwarded to."""
        try:
            return resolve_people(
                self._directory(),
                req.rules,
                level=req.level,
                drafting_agency=req.drafting_agency,
                case_assignments=req.case_assignments,
            )
        except KeyError as exc:
            raise ApplicationError(str(exc), type="UnknownAgency", non_retryable=True) from exc

    @activity.defn(name="feedback_agency_people")
    def feedback_agency_people(self, req: AgencyRequest) -> AgencyPeople:
        """Who answers feedback for ``req.agency``, and its heads."""
        try:
            return agency_people(self._directory(), req.agency, req.handler_roles, req.head_roles)
        except KeyError as exc:
            raise ApplicationError(str(exc), type="UnknownAgency", non_retryable=True) from exc

    @property
    def all(self) -> list[Callable[..., Any]]:
        return [
            self.load_post_issuance_rules,
            self.resolve_post_issuance_people,
            self.feedback_agency_people,
        ]

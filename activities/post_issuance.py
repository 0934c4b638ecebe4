"""Directory and rules look-ups for the workflows after issuance (workflows cannot read
files): the rules of ``models/post_issuance.yaml``, the people of a document's monitoring,
feedback and checks, and who answers feedback for an agency a case is forwarded to.

The directory is read at each call, so a monitoring that runs for years sees people change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.actors import Directory, load_directory
from models.post_issuance import (
    AgencyPeople,
    AgencyRequest,
    PeopleRequest,
    PostIssuancePeople,
    PostIssuanceRules,
    agency_people,
    load_rules,
    resolve_people,
)


class PostIssuanceActivities:
    def __init__(self, directory_file: Path | None = None) -> None:
        self.directory_file = directory_file

    def _directory(self) -> Directory:
        return load_directory(self.directory_file) if self.directory_file else load_directory()

    @activity.defn(name="load_post_issuance_rules")
    def load_post_issuance_rules(self) -> PostIssuanceRules:
        """The figures and roles after issuance, as the deployment configures them."""
        try:
            return load_rules()
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

"""The directory (danh bạ) of agencies and people, and who holds which role in a case.

Loaded from ``models/actors.yaml`` (or a deployment's own file). Role holders for a case are
resolved once, at start, and recorded in the case: a directory edit later does not silently
change who may decide an open case.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from models.definition import Body, Jurisdiction, Level, ProcessDefinition

DIRECTORY_FILE = Path(__file__).parent / "actors.yaml"
#: libyaml's safe loader when PyYAML was built with it (actors.yaml: ~18 ms → ~3 ms a parse).
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NATIONAL = "national"
#: An e-mail address as a mail relay will take it (one @, a dotted domain, no spaces).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


class Agency(BaseModel):
    """An agency (cơ quan): a Sở, a ministry unit, a People's Committee, the Công báo…"""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    #: What the agency is (drafting, justice, issuing, council, gazette…): for people to read.
    kind: str
    #: Where it has authority: a province ("dak_lak"), a commune ("dak_lak/hoa-phu"), a
    #: ministry ("bo-xay-dung") or "national"; None serves every jurisdiction (operations).
    jurisdiction: str | None = None
    #: The tier it belongs to: a drafting agency drafts only documents of its own tier.
    level: Level | None = None


class Person(BaseModel):
    """A person (cán bộ) with their agency and roles."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    agency: str
    roles: tuple[str, ...]
    email: str | None = None
    #: Their direct superior (thủ trưởng trực tiếp), a person id: takes a task this person
    #: stands aside from, and may reassign their tasks when they are absent.
    superior: str | None = None
    #: The SHA-256 fingerprints (hex) of their signing certificates from the government CA,
    #: whose subject does not carry their person id: how a signature is known to be theirs.
    certificates: tuple[str, ...] = ()

    def ref(self) -> ActorRef:
        """What a case records of them."""
        return ActorRef(
            id=self.id, name=self.name, agency=self.agency, email=self.email,
            certificates=self.certificates,
        )  # fmt: skip


class ActorRef(BaseModel):
    """What a case records of a role holder."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    agency: str
    email: str | None = None
    #: Their signing certificates' SHA-256 fingerprints, from the directory at the case's start.
    certificates: tuple[str, ...] = ()


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    agencies: tuple[Agency, ...]
    people: tuple[Person, ...]

    @model_validator(mode="after")
    def _check(self) -> Directory:
        agency_ids = {a.id for a in self.agencies}
        problems = [
            f"people[{i}] ({p.id}).agency: unknown agency {p.agency!r}"
            for i, p in enumerate(self.people)
            if p.agency not in agency_ids
        ]
        problems += [
            f"people[{i}] ({p.id}).email: {p.email!r} is not an e-mail address"
            for i, p in enumerate(self.people)
            if p.email is not None and not EMAIL.fullmatch(p.email)
        ]
        person_ids = {p.id for p in self.people}
        problems += [
            f"people[{i}] ({p.id}).superior: unknown person {p.superior!r}"
            for i, p in enumerate(self.people)
            if p.superior is not None and (p.superior not in person_ids or p.superior == p.id)
        ]
        for kind, seq in (
            ("agency", [a.id for a in self.agencies]),
            ("person", [p.id for p in self.people]),
        ):
            dupes = sorted({x for x in seq if seq.count(x) > 1})
            if dupes:
                problems.append(f"duplicate {kind} ids: {', '.join(dupes)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(f"unknown person {person_id!r}; see `legisflow actors`")

    def agency(self, agency_id: str) -> Agency:
        for a in self.agencies:
            if a.id == agency_id:
                return a
        raise KeyError(f"unknown agency {agency_id!r}")

    def assign_roles(
        self, definition: ProcessDefinition, drafting_agency: str
    ) -> dict[str, list[ActorRef]]:
        """Who holds each role of ``definition`` in a case drafted by ``drafting_agency``.

        Drafting roles come from the drafting agency itself; any other role from the people
        holding it in the drafting agency's jurisdiction, or nationally where the definition
        says so (Bộ Tư pháp appraises every decree), or in an agency serving everywhere.
        """
        home = self.agency(drafting_agency)
        out: dict[str, list[ActorRef]] = {}
        for role_id, role in definition.roles.items():
            if role.body is Body.DRAFTING:
                agencies = {home.id}
            else:
                where = (
                    NATIONAL if role.jurisdiction is Jurisdiction.NATIONAL else home.jurisdiction
                )
                agencies = {a.id for a in self.agencies if a.jurisdiction in (where, None)}
            out[role_id] = [
                p.ref() for p in self.people if p.agency in agencies and role_id in p.roles
            ]
        return out


def superiors_of(
    directory: Directory, assignments: dict[str, list[ActorRef]]
) -> dict[str, ActorRef]:
    """The direct superior of each person holding a role in ``assignments``, where the
    directory names one."""
    out: dict[str, ActorRef] = {}
    for person_id in dict.fromkeys(a.id for people in assignments.values() for a in people):
        superior = directory.person(person_id).superior
        if superior is not None:
            out[person_id] = directory.person(superior).ref()
    return out


def first_staffed_drafter(directory: Directory, definition: ProcessDefinition) -> str | None:
    """A drafter of the right tier whose agency can staff every role ``definition`` uses
    (for demos, tests and recording histories)."""
    used = [t.role for t in definition.transitions if not t.automatic]
    for person in directory.people:
        if definition.starter_role not in person.roles:
            continue
        if directory.agency(person.agency).level is not definition.level:
            continue
        if not missing_roles(directory.assign_roles(definition, person.agency), used):
            return person.id
    return None


def missing_roles(assignments: dict[str, list[ActorRef]], required: Sequence[str]) -> list[str]:
    return [r for r in required if not assignments.get(r)]


class DirectoryError(ValueError):
    """The directory file cannot be used; the message names the file and each field."""


def load_directory(path: Path = DIRECTORY_FILE, roles: Collection[str] = ()) -> Directory:
    """The directory in ``path``; with ``roles`` (``models.role_names``), every role a person
    holds must be one of them. DirectoryError names the file and field of each problem."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        directory = Directory.model_validate(raw)
    except OSError as exc:
        raise DirectoryError(f"{path}: cannot read the directory: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise DirectoryError(f"{path.name}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        raise DirectoryError(f"{path.name}: invalid directory: {_fields(exc)}") from None
    unknown = [
        f"people[{i}] ({p.id}).roles: unknown role {r!r}"
        for i, p in enumerate(directory.people)
        for r in p.roles
        if roles and r not in roles
    ]
    if unknown:
        raise DirectoryError(
            f"{path.name}: {'; '.join(unknown)} (roles: {', '.join(sorted(roles))})"
        )
    return directory


def _fields(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(x) for x in e['loc']) or 'file'}: "
        + str(e["msg"]).removeprefix("Value error, ")
        for e in exc.errors()
    )

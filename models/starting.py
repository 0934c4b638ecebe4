"""Who may start which case, and what a new drafting case is given (khởi tạo hồ sơ).

Pure rules, used by the client API (``legisflow start``) and by the activity that starts an
amendment's case: the starter holds the definition's starter role, drafts only documents of
its agency's tier (tỉnh, xã, bộ), every role the procedure uses has a holder, and only the
authority the law names decides the simplified procedure (Luật 64/2025 Điều 50). The case's
id derives from the drafting agency and the document's slug, so starting twice is refused.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from models.actors import ActorRef, Directory, missing_roles, superiors_of
from models.awaiting import awaiting_roles
from models.case import CalendarSettings, CaseInput, SimplifiedDecision
from models.definition import ProcessDefinition
from models.links import CaseLink, memo_links

#: The slug of a title with no Latin letter or digit (an emoji-only title, say) is this,
#: followed by a digest of the title, so two such titles do not share an id.
FALLBACK_SLUG = "van-ban"
#: A title (trích yếu) has 3 to 500 characters.
TITLE_CHARS = (3, 500)
#: A slug given by a person: it becomes part of the case's id, and the ids of its children
#: (``…/comments``, ``…/consult/…``) must stay out of its reach, so no ``/`` and no ``:``.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?")


class StartRefused(ValueError):
    """The case may not be started as asked; the message says why."""


def slugify(text: str, max_len: int = 60) -> str:
    """ASCII slug of a Vietnamese title: "Quy định phân cấp" -> "quy-dinh-phan-cap"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_len].rstrip("-")
    if slug:
        return slug
    digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:10]
    return f"{FALLBACK_SLUG}-{digest}"


def case_id_for(agency: str, slug: str) -> str:
    """Readable workflow id: the drafting agency and the document's slug."""
    return f"{agency}:{slug}"


@dataclass(frozen=True)
class StartRequest:
    """What a person asks for when they open a case."""

    definition: ProcessDefinition
    title: str
    starter: str
    slug: str | None = None
    legal_day_seconds: float = 86400.0
    #: Default: the official calendar as shipped (``CalendarSettings.current``).
    calendar: CalendarSettings = field(default_factory=CalendarSettings.current)
    #: The authority's decision to use the simplified procedure, if it made one.
    simplified: SimplifiedDecision | None = None
    comment_ledger_events: int = 4000
    #: Cases this one is linked to (the document an amendment amends).
    links: tuple[CaseLink, ...] = ()
    #: The roots signed documents must chain to (PEM); empty: the client's pinned roots.
    signature_roots: tuple[str, ...] = ()
    #: The groups the draft affects directly and a plain-language summary (public portal).
    affected_groups: tuple[str, ...] = ()
    plain_summary: str = ""


@dataclass(frozen=True)
class CaseOpening:
    """A case ready to start: its input, and how it shows itself from its first moment
    (search attribute values by name, memo, summary and details in the Temporal UI)."""

    inp: CaseInput
    search_attributes: dict[str, str | bool | list[str]]
    memo: dict[str, object]
    summary: str
    details: str

    @property
    def case_id(self) -> str:
        return self.inp.case_id


def plan_case(directory: Directory, req: StartRequest) -> CaseOpening:
    """Check the start rules and resolve the role holders; StartRefused says what is wrong."""
    d = req.definition
    title = req.title.strip()
    low, high = TITLE_CHARS
    if not low <= len(title) <= high:
        raise StartRefused(
            f"trích yếu có {len(title)} ký tự; cần từ {low} đến {high} / the title has "
            f"{len(title)} characters; give {low} to {high}"
        )
    if req.slug is not None and not SLUG.fullmatch(req.slug):
        raise StartRefused(
            f"slug {req.slug!r}: only lowercase letters a-z, digits and '-' (not at either "
            "end), at most 120; it becomes part of the case id"
        )
    try:
        person = directory.person(req.starter)
    except KeyError as exc:
        raise StartRefused(str(exc.args[0])) from None
    if d.starter_role not in person.roles:
        raise StartRefused(
            f"{person.id!r} does not hold role {d.starter_role!r} needed to start a "
            f"{d.doc_type} case"
        )
    agency = directory.agency(person.agency)
    if agency.level is not d.level:
        raise StartRefused(
            f"{agency.name} ({agency.level.value if agency.level else 'no tier'}) cannot draft "
            f"a {d.name} ({d.level.value} document)"
        )
    assignments = directory.assign_roles(d, agency.id)
    used_roles = sorted({t.role for t in d.transitions if not t.automatic})
    missing = missing_roles(assignments, used_roles)
    if missing:
        raise StartRefused(
            f"no one in the directory holds {', '.join(missing)} for {agency.name}; "
            "add them to the directory before starting"
        )
    if req.simplified is not None:
        check_simplified(d, req.simplified, assignments)
    inp = CaseInput(
        case_id=case_id_for(agency.id, req.slug or slugify(title)),
        title=title,
        definition=d,
        drafting_agency=agency.id,
        drafting_agency_name=agency.name,
        started_by=person.id,
        assignments=assignments,
        legal_day_seconds=req.legal_day_seconds,
        calendar=req.calendar,
        simplified=req.simplified,
        comment_ledger_events=req.comment_ledger_events,
        links=list(req.links),
        superiors=superiors_of(directory, assignments),
        signature_roots=list(req.signature_roots),
        affected_groups=list(req.affected_groups),
        plain_summary=req.plain_summary,
    )
    return CaseOpening(
        inp=inp,
        search_attributes={
            "LegalStage": d.initial,
            "DocumentType": d.doc_type,
            "DraftingAgency": agency.id,
            "LegalRegime": d.regime,
            "Overdue": False,
            "AwaitingRoles": awaiting_roles(d, d.initial, req.simplified is not None, assignments),
        },
        memo={
            "title": title,
            "agency": agency.name,
            "type": d.name,
            **({"links": memo_links(list(req.links))} if req.links else {}),
        },
        summary=f"{d.name}: {title}",
        details=(
            f"**{title}**\n\n"
            f"- Loại văn bản / Type: {d.name} (`{d.doc_type}`)\n"
            f"- Chế độ pháp lý / Regime: {d.regime} — {d.regime_basis}\n"
            f"- Cơ quan chủ trì / Drafting agency: {agency.name}\n"
        ),
    )


def check_simplified(
    d: ProcessDefinition, decision: SimplifiedDecision, assignments: dict[str, list[ActorRef]]
) -> None:
    """Only the authority the law names may decide the simplified procedure (Điều 50)."""
    if d.simplified is None:
        raise StartRefused(f"{d.key} has no simplified procedure (trình tự rút gọn)")
    deciders = [a.id for a in assignments.get(d.simplified.decided_by, [])]
    if decision.decided_by not in deciders:
        raise StartRefused(
            f"{decision.decided_by!r} may not decide the simplified procedure for {d.key}: "
            f"it is decided by {d.simplified.decided_by} ({', '.join(deciders) or 'nobody'}); "
            f"basis: {d.simplified.basis}"
        )

"""Who may see a case in the workspace (quyền xem hồ sơ): the people of its drafting agency,
and anyone the case names — a role holder, a deputy signing for one (KT./TL.), a body asked
for its opinion. Everyone else is told the case does not exist (404), so a case's existence
is not disclosed to people outside it."""

from __future__ import annotations

from models.actors import Directory
from models.case import CaseStatus


def may_see(st: CaseStatus, person: str, directory: Directory) -> bool:
    try:
        if directory.person(person).agency == st.drafting_agency:
            return True
    except KeyError:
        pass
    named = {p for holders in st.roles.values() for p in holders}
    named.update(p for c in st.consultations for p in c.holders)
    named.update(d.deputy.id for d in st.delegations)
    return person in named

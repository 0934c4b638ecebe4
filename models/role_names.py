"""Every role name a person in the directory may hold (vai trò): the roles of the shipped
procedures and of the rules after issuance. A directory naming any other role has a typo
that would leave a role without holders; loading it fails instead (``models.actors``)."""

from __future__ import annotations

from models.post_issuance import PostIssuanceRules, load_rules
from models.registry import Registry, load_registry


def role_names(
    registry: Registry | None = None, rules: PostIssuanceRules | None = None
) -> frozenset[str]:
    registry = registry or load_registry()
    rules = rules or load_rules()
    names = {role for definition in registry for role in definition.roles}
    names |= set(rules.roles) | set(rules.issuer_roles)
    names |= set(rules.feedback.handler_roles) | set(rules.feedback.head_roles)
    return frozenset(names)

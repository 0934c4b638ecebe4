"""Signing in with the agency's identity provider (OpenID Connect, authorization-code flow
with PKCE): the provider says who the person is; the directory says what they may do.

The claim named by ``person_claim`` (``sub`` by default, or e.g. ``preferred_username``) must
be the id of a person in the directory; anyone else is refused with a message saying so.
Used by `legisflow login --oidc` (a loopback redirect, RFC 8252) and by the web app.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from identity.accounts import SignInRefused
from models.actors import Directory, Person

#: Signature algorithms accepted on an ID token (the provider's keys say which it uses).
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


@dataclass(frozen=True)
class Provider:
    """What discovery says of the provider (its ``.well-known/openid-configuration``)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Pending:
    """One sign-in under way: what the browser is sent with, and what proves the answer is
    the one to this request (state, nonce, PKCE verifier)."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    person_claim: str = "sub"
    timeout: float = 15.0

    async def discover(self) -> Provider:
        meta = await self._get_json(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration")
        if meta.get("issuer") != self.issuer:
            raise SignInRefused(
                f"the identity provider says it is {meta.get('issuer')!r}, not {self.issuer!r}"
            )
        return Provider(
            issuer=meta["issuer"],
            authorization_endpoint=meta["authorization_endpoint"],
            token_endpoint=meta["token_endpoint"],
            jwks_uri=meta["jwks_uri"],
        )

    def begin(self, provider: Provider) -> Pending:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        # RFC 7636: a verifier of 43 to 128 characters.
        verifier = secrets.token_urlsafe(48)
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": "openid profile",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return Pending(f"{provider.authorization_endpoint}?{query}", state, nonce, verifier)

    async def finish(
        self, provider: Provider, pending: Pending, answer: dict[str, str]
    ) -> dict[str, Any]:
        """The verified ID token's claims, from the provider's answer at the redirect URI."""
        if "error" in answer:
            raise SignInRefused(
                f"the identity provider refused: {answer['error']} "
                f"{answer.get('error_description', '')}".strip()
            )
        if answer.get("state") != pending.state:
            raise SignInRefused("the answer is not for this sign-in (state does not match)")
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            response = await http.post(
                provider.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": answer.get("code", ""),
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": pending.verifier,
                },
                auth=(self.client_id, self.client_secret),
            )
        if response.status_code != 200:
            raise SignInRefused(f"the identity provider refused the code: {response.text[:200]}")
        token = response.json().get("id_token")
        if not isinstance(token, str):
            raise SignInRefused("the identity provider sent no ID token")
        jwks = jwt.PyJWKSet.from_dict(await self._get_json(provider.jwks_uri))
        kid = jwt.get_unverified_header(token).get("kid")
        keys = [k for k in jwks.keys if kid is None or k.key_id == kid]
        if not keys:
            raise SignInRefused("the ID token is signed by a key the provider does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                keys[0].key,
                algorithms=ALGORITHMS,
                audience=self.client_id,
                issuer=provider.issuer,
            )
        except jwt.PyJWTError as exc:
            raise SignInRefused(f"the ID token is not valid: {exc}") from None
        if claims.get("nonce") != pending.nonce:
            raise SignInRefused("the ID token is not for this sign-in (nonce does not match)")
        return claims

    def person(self, claims: dict[str, Any], directory: Directory) -> Person:
        """The directory person the claims name; SignInRefused when there is none."""
        who = claims.get(self.person_claim)
        try:
            return directory.person(str(who))
        except KeyError:
            raise SignInRefused(
                f"{who!r} ({self.person_claim}) đã được nhà cung cấp định danh xác thực nhưng "
                "không có trong danh bạ / is known to the identity provider but is not a "
                "person of legisflow's directory: ask an administrator to add them"
            ) from None

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                response = await http.get(url)
                response.raise_for_status()
                data: dict[str, Any] = response.json()
                return data
        except httpx.HTTPError as exc:
            raise SignInRefused(f"cannot reach the identity provider at {url}: {exc}") from None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

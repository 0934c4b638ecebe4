"""The roots pinned for the deployment (chứng thư gốc được tin cậy): only a signature whose
certificate chains to one of these holds. Production pins the government CA's root (a PEM
bundle, ``LEGISFLOW_SIGNATURE_ROOTS``); the demo pins its own test root."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509


class NoTrustedRoots(ValueError):
    """No root to check signatures against: every signature would be refused."""


def load_roots(path: Path) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle; NoTrustedRoots if the file is missing or holds
    none."""
    try:
        roots = x509.load_pem_x509_certificates(path.read_bytes())
    except FileNotFoundError:
        raise NoTrustedRoots(f"{path}: không có tệp chứng thư gốc / no such root bundle") from None
    except ValueError as exc:
        raise NoTrustedRoots(
            f"{path}: không đọc được chứng thư gốc / not a PEM bundle: {exc}"
        ) from None
    if not roots:
        raise NoTrustedRoots(f"{path}: không có chứng thư gốc nào / holds no certificate")
    return roots

"""The server's checkpoint signing key (Ed25519, C2SP note key strings)."""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ledger.note import generate_signer, verifier_for


@lru_cache(maxsize=4)
def _load(configured: str, path: str, origin: str, production: bool) -> tuple[str, str]:
    if configured:
        return configured, verifier_for(configured)
    from pathlib import Path

    key_file = Path(path)
    if not key_file.exists():
        if production:
            raise ImproperlyConfigured("生产环境须通过 ZHIFA_LEDGER_SIGNING_KEY 提供台账签名私钥。")
        signer, _ = generate_signer(origin)
        key_file.write_text(signer + "\n")
        key_file.chmod(0o600)
    signer = key_file.read_text().strip()
    return signer, verifier_for(signer)


def signing_keys() -> tuple[str, str]:
    """(signer key, verifier key). In development a key is made once and kept in the data folder."""
    return _load(
        settings.ZHIFA_LEDGER_SIGNING_KEY,
        str(settings.DATA_DIR / "ledger_signing.key"),
        settings.ZHIFA_LEDGER_ORIGIN,
        settings.PRODUCTION,
    )


def verifier_key() -> str:
    return signing_keys()[1]

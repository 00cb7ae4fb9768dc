"""The server's checkpoint signing key (Ed25519, C2SP note key strings)."""

from dataclasses import dataclass
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


@dataclass(frozen=True)
class WitnessConfig:
    """A witness zhifa submits its checkpoints to: where it listens and its cosigning key."""

    url: str
    vkey: str
    name: str


@lru_cache(maxsize=4)
def _witnesses(entries: tuple[str, ...]) -> tuple[WitnessConfig, ...]:
    from urllib.parse import urlsplit

    from ledger.note import NoteError, cosigner_verifier

    result: list[WitnessConfig] = []
    for number, entry in enumerate(entries, start=1):
        parts = entry.split()
        where = f"ZHIFA_LEDGER_WITNESSES 第 {number} 项"
        if len(parts) != 2:
            raise ImproperlyConfigured(f"{where}格式错误：应为“地址 公钥”（以空格分隔），多个见证方以逗号分隔。")
        url, vkey = parts
        address = urlsplit(url)
        if address.scheme not in ("http", "https") or not address.netloc or address.query:
            raise ImproperlyConfigured(f"{where}的地址无效：应为 http:// 或 https:// 开头的见证方提交地址。")
        try:
            name = cosigner_verifier(vkey).name
        except NoteError as exc:
            raise ImproperlyConfigured(f"{where}的公钥无效：{exc}") from None
        if len(url) > 500 or len(name) > 200:
            raise ImproperlyConfigured(f"{where}过长：地址不超过 500 个字符，见证方名称不超过 200 个字符。")
        if any(w.name == name for w in result):
            raise ImproperlyConfigured(f"{where}与前面的见证方同名（{name}）。")
        result.append(WitnessConfig(url.rstrip("/"), vkey, name))
    return tuple(result)


def configured_witnesses() -> tuple[WitnessConfig, ...]:
    """The witnesses of ZHIFA_LEDGER_WITNESSES. Raises ImproperlyConfigured on a bad entry."""
    return _witnesses(tuple(settings.ZHIFA_LEDGER_WITNESSES))

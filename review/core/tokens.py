"""One-time anonymous tokens, shared by meeting ballot slips and survey slips/SMS.

Every token has two forms of the same strength class:

* a *link* secret (``secrets.token_urlsafe``, 128 random bits) for URLs and QR codes;
* a short *code* for typing by hand: 10 random Crockford base32 symbols (50 bits)
  plus one check symbol, printed in groups of four, e.g. ``7K3M-9QXD-2B4``.

Only HMAC digests are stored. The HMAC key is derived from SECRET_KEY per feature,
so a copy of the database alone cannot brute-force the 50-bit codes offline, and a
digest from one feature is useless in another.

Why Luhn mod N rather than Crockford's own check symbol: Crockford's mod-37 check
needs five extra symbols (``* ~ $ = U``) that are awkward to type, read aloud or
send by SMS, and that a phone keyboard may not even offer. Luhn mod N with N = 32
keeps the check inside the ordinary alphabet and still catches every single-symbol
substitution and every transposition of adjacent distinct symbols except ``0``<->``Z``
(values 0 and 31), so nearly all typos are refused before any database lookup.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from functools import lru_cache
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_N = len(ALPHABET)

RANDOM_SYMBOLS = 10                  # 10 x 5 bits = 50 bits, above the 40-bit floor
CODE_LENGTH = RANDOM_SYMBOLS + 1     # plus the check symbol
GROUP = 4
LINK_BYTES = 16                      # 128 bits

# Crockford's reading aids: letters people type for the digits they resemble.
_ALIASES = {"I": "1", "L": "1", "O": "0"}
# Dashes people (and IMEs) produce where a hyphen was printed; NFKC already folds
# the full-width hyphen to "-", but not these look-alikes.
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
# Anything much longer than a code with separators is not a code; bounding it
# keeps NFKC cheap on hostile input.
_MAX_TYPED = 64

# Not tied to LINK_BYTES, so links issued before a future length change still pass.
_LINK_RE = re.compile(r"[A-Za-z0-9_-]{22,86}")

_HKDF_SALT = b"review-tokens"
KEY_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    link: str   # URL-safe secret, >= 128 bits
    code: str   # grouped short code for printing, e.g. "7K3M-9QXD-2B4"


def _check_symbol(payload: str) -> str:
    """Luhn mod N check symbol for ``payload`` (symbols of ALPHABET)."""
    total = 0
    factor = 2  # the check symbol itself will sit at factor 1, rightmost
    for ch in reversed(payload):
        addend = factor * _VALUE[ch]
        total += addend // _N + addend % _N
        factor = 3 - factor
    return ALPHABET[-total % _N]


def _is_canonical(code: str) -> bool:
    return (len(code) == CODE_LENGTH
            and all(c in _VALUE for c in code)
            and _check_symbol(code[:-1]) == code[-1])


def new_token() -> IssuedToken:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return IssuedToken(link=secrets.token_urlsafe(LINK_BYTES),
                       code=format_code(payload + _check_symbol(payload)))


def format_code(canonical: str) -> str:
    """Group a canonical code for printing; refuses anything that is not a valid code,
    since printing a slip nobody can redeem is worse than failing loudly."""
    if not _is_canonical(canonical):
        raise ValueError("not a canonical code")
    return "-".join(canonical[i:i + GROUP] for i in range(0, len(canonical), GROUP))


def normalize_code(text: str) -> str | None:
    """What a person typed -> canonical code (no separators), or None if it cannot be one."""
    if len(text) > _MAX_TYPED:
        return None
    # NFKC folds full-width letters, digits, hyphen and the ideographic space that
    # Chinese keyboards produce into their ASCII forms.
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(c for c in folded if not (c.isspace() or c in _DASHES))
    # Checked before upper(): non-ASCII letters such as "ı" would upper-case to ASCII.
    if not kept.isascii():
        return None
    code = "".join(_ALIASES.get(c, c) for c in kept.upper())
    return code if _is_canonical(code) else None


def looks_like_link_token(text: str) -> bool:
    """Cheap shape check to refuse garbage before spending an HMAC on it."""
    return _LINK_RE.fullmatch(text) is not None


@lru_cache(maxsize=16)
def token_key(secret_key: str, purpose: bytes) -> bytes:
    """Derive the HMAC key for one feature, e.g. ``purpose=b"ballot slips v1"``.
    Versioned purposes let a feature rotate its key without touching the others. Derived once per
    process: public pages look a token up on every request."""
    if not secret_key or not purpose:
        raise ValueError("secret_key and purpose must be non-empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_HKDF_SALT, info=purpose)
    return hkdf.derive(secret_key.encode())


def digest(secret: str, *, key: bytes) -> bytes:
    """The value to store and look up: HMAC-SHA256 of a link, or of a canonical code."""
    if len(key) != KEY_BYTES:
        # Guards against passing SECRET_KEY itself instead of a token_key() result.
        raise ValueError(f"key must be {KEY_BYTES} bytes; derive it with token_key()")
    return hmac.new(key, secret.encode(), hashlib.sha256).digest()


def parse_secret(text: str) -> tuple[str, str] | None:
    """What a person typed or a page posted: ("code", canonical short code) or ("link", link secret),
    or None when it can be neither (a typo fails the check symbol here, before any lookup)."""
    code = normalize_code(text)
    if code is not None:
        return "code", code
    if looks_like_link_token(text):
        return "link", text
    return None


def digests(token: IssuedToken, *, key: bytes) -> dict[str, bytes]:
    """The two digests stored for a token (never the token)."""
    return {"link_digest": digest(token.link, key=key), "code_digest": digest(normalize_code(token.code), key=key)}

"""Scrutineers (监票人/计票人) hold the only key that opens a campaign's anonymous ballots.

At opening the campaign gets an X25519 key pair. Its public key is stored and every anonymous ballot
is sealed to it (review/ballots/sealing.py). Its private key is split at once into one share per
scrutineer, any ``threshold`` of which rebuild it (Shamir's scheme as SLIP-39 words, with the
checksums of Trezor's ``shamir-mnemonic``), printed on key cards, and forgotten: the server never
stores it, so while voting is open nothing it holds — database, backups, logs, ``SECRET_KEY`` — opens
a ballot. At close, ``threshold`` scrutineers enter their shares together; the key is rebuilt in the
memory of that one request, checked against the public key, used to count, and dropped.

Lost shares beyond ``total - threshold`` mean the ballots can never be counted: the office is told so
when it opens the campaign, and may issue new cards as long as no anonymous ballot has been cast.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import shamir_mnemonic
import shamir_mnemonic.share
from shamir_mnemonic.wordlist import WORDLIST
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from flask_babel import gettext as _

from ..core.errors import DomainError

MODE_SERVER = "server"
MODE_SCRUTINEERS = "scrutineers"
MAX_SCRUTINEERS = 9


@dataclass(frozen=True)
class KeyCard:
    """What one scrutineer's card carries: the share's words (typed, or read from its QR code)."""
    number: int
    total: int
    threshold: int
    words: str
    fingerprint: str

    @property
    def word_list(self) -> list[str]:
        return self.words.split()


def check_numbers(total: int, threshold: int) -> None:
    if not 2 <= threshold <= total <= MAX_SCRUTINEERS:
        raise DomainError(_("Scrutineers: at least 2 shares must be needed to count, and no more than there are "
                            "scrutineers (at most %(max)d).", max=MAX_SCRUTINEERS))


def fingerprint(public_key: bytes) -> str:
    """A short digest of the public key, printed on every card and on the campaign's page, so that a
    scrutineer can tell that a card belongs to this campaign's key."""
    digest = hashlib.sha256(b"review scrutineer key" + bytes(public_key)).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def new_key(total: int, threshold: int) -> tuple[bytes, list[KeyCard]]:
    """A fresh key pair: the public key to store, and the cards of the private key's shares. The private
    key itself is not returned: once the cards are printed, nothing else holds it."""
    check_numbers(total, threshold)
    private = X25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    secret = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    [shares] = shamir_mnemonic.generate_mnemonics(1, [(threshold, total)], secret, b"", True, 0)
    mark = fingerprint(public)
    return public, [KeyCard(i + 1, total, threshold, words, mark) for i, words in enumerate(shares)]


def _word(typed: str) -> str:
    """The SLIP-39 word a typed word stands for: itself, or the one word its first four (or more)
    letters begin with — the word list is made so that four letters tell every word apart."""
    if typed in _WORDS or len(typed) < 4:
        return typed
    matches = [w for w in _WORDS_BY_PREFIX.get(typed[:4], ()) if w.startswith(typed)]
    return matches[0] if len(matches) == 1 else typed


_WORDS = frozenset(WORDLIST)
_WORDS_BY_PREFIX: dict[str, list[str]] = {}
for _w in WORDLIST:
    _WORDS_BY_PREFIX.setdefault(_w[:4], []).append(_w)


def normalize(typed: str) -> str:
    """A share as typed or scanned: words in lower case separated by single spaces, each completed from
    its first letters; numbering, commas and line breaks dropped."""
    return " ".join(_word(w) for w in re.findall(r"[a-z]+", (typed or "").lower()))


def rebuild(public_key: bytes, typed_shares: list[str]) -> X25519PrivateKey:
    """The private key from enough shares; refuses shares that do not fit together, are mistyped or
    belong to another campaign's key, saying which."""
    shares = [normalize(s) for s in typed_shares if normalize(s)]
    if len(set(shares)) < len(shares):
        raise DomainError(_("The same card was entered twice: each scrutineer enters their own."))
    threshold = None
    for i, share in enumerate(shares, 1):
        try:
            threshold = shamir_mnemonic.share.Share.from_mnemonic(share).member_threshold
        except shamir_mnemonic.MnemonicError:
            raise DomainError(_("Share %(n)d is mistyped: check its words against the card (the first four letters "
                                "of each word are enough).", n=i)) from None
    # More cards than needed: the first ones entered suffice (the scheme takes exactly its threshold).
    shares = shares[:threshold] if threshold else shares
    try:
        secret = shamir_mnemonic.combine_mnemonics(shares)
    except shamir_mnemonic.MnemonicError:
        raise DomainError(_("These shares do not open the key: enough cards of the same campaign are needed.")) \
            from None
    private = X25519PrivateKey.from_private_bytes(secret)
    if private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) != bytes(public_key):
        raise DomainError(_("These cards belong to another key: compare the fingerprint printed on them with the "
                            "campaign's."))
    return private

"""One-time anonymous tokens: entropy, typing tolerance, check symbol, keyed digests."""
from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.core.tokens import (
    ALPHABET,
    CODE_LENGTH,
    IssuedToken,
    digest,
    format_code,
    looks_like_link_token,
    new_token,
    normalize_code,
    token_key,
)

CODE_RE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{3}}")
SECRET = "test-secret-key"


def canonical(token: IssuedToken) -> str:
    return token.code.replace("-", "")


def full_width(text: str) -> str:
    """What a Chinese keyboard in full-width mode produces for ASCII text."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in text)


@st.composite
def codes(draw: st.DrawFn) -> str:
    """Valid canonical codes, built through the public API."""
    payload = draw(st.text(alphabet=ALPHABET, min_size=CODE_LENGTH - 1, max_size=CODE_LENGTH - 1))
    for check in ALPHABET:
        if normalize_code(payload + check) is not None:
            return payload + check
    raise AssertionError(f"no check symbol makes {payload} valid")


# --- link form -------------------------------------------------------------

def test_link_carries_at_least_128_bits() -> None:
    for _ in range(100):
        link = new_token().link
        assert len(base64.urlsafe_b64decode(link + "=" * (-len(link) % 4))) >= 16
        assert looks_like_link_token(link)


def test_ten_thousand_tokens_are_all_distinct() -> None:
    tokens = [new_token() for _ in range(10_000)]
    assert len({t.link for t in tokens}) == 10_000
    assert len({t.code for t in tokens}) == 10_000


@pytest.mark.parametrize("text", [
    "", "short", "has space in it and is long enough", "a+b/c=" * 5, "x" * 200,
    "ÄÖÜ" * 10, "../../etc/passwd/../../etc/passwd", "7K3M-9QXD-2B4",
])
def test_link_shape_check_refuses_garbage(text: str) -> None:
    assert not looks_like_link_token(text)


# --- code form -------------------------------------------------------------

def test_code_format_alphabet_and_length() -> None:
    for _ in range(1_000):
        code = new_token().code
        assert CODE_RE.fullmatch(code), code
        assert len(code.replace("-", "")) == CODE_LENGTH
        assert not set(code) & set("ILOU")


def test_code_carries_at_least_40_random_bits() -> None:
    # 32 symbols = 5 bits each; the last symbol is the check, not random.
    assert len(ALPHABET) == 32 and (CODE_LENGTH - 1) * 5 >= 40


def test_issued_code_normalizes_to_itself() -> None:
    for _ in range(200):
        token = new_token()
        assert normalize_code(token.code) == canonical(token)


@given(codes())
def test_round_trip(code: str) -> None:
    assert normalize_code(format_code(code)) == code
    assert normalize_code(code) == code


@given(codes())
def test_typing_variants_are_accepted(code: str) -> None:
    printed = format_code(code)
    assert normalize_code(printed.lower()) == code
    assert normalize_code(" " + printed.replace("-", " ") + " ") == code
    assert normalize_code(printed.replace("-", "")) == code
    assert normalize_code(" ".join(code)) == code
    assert normalize_code(full_width(printed)) == code
    assert normalize_code(full_width(printed.lower().replace("-", " "))) == code
    assert normalize_code(printed.replace("-", "\u2014")) == code  # IME "—"
    # Crockford's reading aids: I and L are read as 1, O as 0.
    assert normalize_code(printed.replace("1", "I")) == code
    assert normalize_code(printed.replace("1", "l")) == code
    assert normalize_code(printed.replace("0", "O")) == code
    assert normalize_code(printed.replace("0", "o")) == code


def test_full_width_example() -> None:
    code = canonical(new_token())
    typed = full_width(format_code(code))
    assert typed[4] == "\uff0d"  # '－', the full-width hyphen
    assert normalize_code(typed) == code


def test_every_single_symbol_substitution_is_rejected() -> None:
    payloads = [canonical(new_token())[:-1] for _ in range(20)] + ["0" * 10, "Z" * 10, "0Z" * 5]
    for payload in payloads:
        code = next(payload + c for c in ALPHABET if normalize_code(payload + c))
        for pos in range(CODE_LENGTH):
            for sym in ALPHABET:
                if sym != code[pos]:
                    typo = code[:pos] + sym + code[pos + 1:]
                    assert normalize_code(typo) is None, (code, typo)


def test_adjacent_transpositions_are_mostly_rejected() -> None:
    caught = total = 0
    for _ in range(2_000):
        code = canonical(new_token())
        for pos in range(CODE_LENGTH - 1):
            a, b = code[pos], code[pos + 1]
            if a == b:
                continue
            total += 1
            caught += normalize_code(code[:pos] + b + a + code[pos + 2:]) is None
    assert caught / total >= 0.90, (caught, total)


@pytest.mark.parametrize("bad", ["U", "u", "*", "~", "$", "=", "_", ".", "/", "#", "é", "ı"])
def test_u_and_punctuation_are_rejected(bad: str) -> None:
    code = canonical(new_token())
    for pos in (0, 5, CODE_LENGTH - 1):
        assert normalize_code(code[:pos] + bad + code[pos + 1:]) is None
        assert normalize_code(code[:pos] + bad + code[pos:]) is None


def test_wrong_length_is_rejected() -> None:
    code = canonical(new_token())
    assert normalize_code("") is None
    assert normalize_code("   -  ") is None
    assert normalize_code(code[:-1]) is None
    assert normalize_code(code[1:]) is None
    assert normalize_code(code + "0") is None
    assert normalize_code("0" + code) is None
    assert normalize_code(code * 2) is None
    assert normalize_code(" " * 10_000 + code) is None


@given(st.text(max_size=40))
def test_normalize_never_raises_and_returns_canonical_or_none(text: str) -> None:
    result = normalize_code(text)
    assert result is None or (len(result) == CODE_LENGTH and set(result) <= set(ALPHABET))


def test_format_code_refuses_invalid_codes() -> None:
    code = canonical(new_token())
    wrong_check = code[:-1] + next(c for c in ALPHABET if c != code[-1])
    for bad in (wrong_check, code[:-1], code.lower(), format_code(code)):
        with pytest.raises(ValueError):
            format_code(bad)


# --- keyed digests ---------------------------------------------------------

def test_digest_is_deterministic_and_32_bytes() -> None:
    key = token_key(SECRET, b"ballot slips v1")
    token = new_token()
    for secret in (token.link, canonical(token)):
        d = digest(secret, key=key)
        assert isinstance(d, bytes) and len(d) == 32
        assert d == digest(secret, key=key)
    assert digest(token.link, key=key) != digest(canonical(token), key=key)


def test_digest_differs_per_key_and_per_purpose() -> None:
    code = canonical(new_token())
    ballot = token_key(SECRET, b"ballot slips v1")
    survey = token_key(SECRET, b"survey slips v1")
    other_app = token_key("another-secret", b"ballot slips v1")
    digests = {digest(code, key=k) for k in (ballot, survey, other_app)}
    assert len(digests) == 3


def test_purposes_derive_different_32_byte_keys() -> None:
    keys = [token_key(SECRET, p) for p in (b"ballot slips v1", b"survey slips v1", b"ballot slips v2")]
    assert all(len(k) == 32 for k in keys)
    assert len(set(keys)) == len(keys)
    assert token_key(SECRET, b"ballot slips v1") == keys[0]


def test_digest_refuses_a_raw_secret_key() -> None:
    with pytest.raises(ValueError):
        digest("x", key=SECRET.encode())
    with pytest.raises(ValueError):
        token_key(SECRET, b"")

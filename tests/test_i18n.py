"""The message catalogs stay complete and correct.

- review/translations/messages.pot matches what the code and templates say now
  (re-extracted with the options of the Makefile's ``extract-messages`` target);
- every message of the .pot has a real (non-empty, non-fuzzy) translation in
  every catalog (zh_CN is the site's default language; en is the source language,
  kept explicit);
- every translation keeps the python-format placeholders of its msgid.

To fix a failure: ``make update-messages``, fill in the new msgstr entries of
review/translations/*/LC_MESSAGES/messages.po (en: copy the msgid), remove the
``#, fuzzy`` flags once checked, then ``make translations``.

No database and no application fixtures are needed here.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "review" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("zh_Hans_CN", "en")

# A python-format conversion ("%%" is matched too, then ignored): %(name)s, %(n)d, %s, %5.2f ...
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
NAMED_PLACEHOLDER = re.compile(r"%\([^)]*\)")
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- helpers -------------------------------------------------------------------------------------------

def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _catalog(locale: str) -> Catalog:
    return _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)


def _messages(catalog: Catalog) -> dict[tuple[str | None, str | tuple], Message]:
    """Real messages (not the header) keyed by (msgctxt, msgid)."""
    return {(m.context, m.id): m for m in catalog if m.id}


def _show(key) -> str:
    context, msgid = key
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    return repr(text) if context is None else f"{text!r} (context {context!r})"


def _listing(keys) -> str:
    return "\n".join("  " + _show(k) for k in sorted(keys, key=lambda k: (str(k[1]), k[0] or "")))


def _forms(value) -> list[str]:
    if isinstance(value, (tuple, list)):
        return list(value)
    return [value]


def _placeholders(text: str) -> tuple:
    """Named placeholders as a set (order and repetition are free), positional ones in order."""
    found = [m for m in PLACEHOLDER.finditer(text or "") if m.group(0) != "%%"]
    named = frozenset(m.group(0) for m in found if m.group("name") is not None)
    positional = tuple(m.group(0) for m in found if m.group("name") is None)
    return named, positional


def _makefile_extract_args() -> list[str]:
    """The ``pybabel extract`` arguments of the Makefile's extract-messages target, minus the output file."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    recipe = re.search(r"^extract-messages:[^\n]*\n((?:\t[^\n]*(?:\n|$))+)", makefile, re.M)
    assert recipe, "The Makefile has no extract-messages target; test_i18n.py reads its pybabel options there."
    for line in recipe.group(1).splitlines():
        words = shlex.split(line.strip().lstrip("@-"))
        if len(words) >= 2 and words[0].endswith("pybabel") and words[1] == "extract":
            break
    else:
        pytest.fail("The extract-messages target of the Makefile has no `pybabel extract` command.")
    args, skip = [], False
    for word in words[2:]:
        if skip:
            skip = False
        elif word in ("-o", "--output", "--output-file"):
            skip = True
        elif not word.startswith(("--output=", "--output-file=")):
            assert "$(" not in word and "${" not in word, f"Cannot expand the Makefile variable in {word!r}."
            args.append(word)
    return args


def _pybabel() -> list[str]:
    """The pybabel of the interpreter running the tests (the project's venv)."""
    script = Path(sys.executable).parent / "pybabel"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from babel.messages.frontend import main; sys.exit(main())"]


# --- tests ---------------------------------------------------------------------------------------------

def test_pot_is_current(tmp_path):
    """(a) The committed .pot holds exactly the msgids the code and templates use now."""
    fresh = tmp_path / "messages.pot"
    cmd = [*_pybabel(), "extract", *_makefile_extract_args(), "-o", str(fresh)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"pybabel extract failed:\n{done.stderr}"

    extracted = set(_messages(_read(fresh)))
    committed = set(_messages(_read(POT)))
    missing, stale = extracted - committed, committed - extracted
    assert not (missing or stale), (
        "review/translations/messages.pot is out of date; run `make update-messages` and translate.\n"
        + (f"In the code but not in the .pot ({len(missing)}):\n{_listing(missing)}\n" if missing else "")
        + (f"In the .pot but no longer in the code ({len(stale)}):\n{_listing(stale)}\n" if stale else ""))


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete(locale):
    """(b) Every msgid of the .pot has a non-empty, non-fuzzy msgstr."""
    catalog = _catalog(locale)
    assert not catalog.fuzzy, (
        f"The header of the {locale} catalog is marked fuzzy: babel would not compile it. Remove `#, fuzzy`.")
    translated = _messages(catalog)
    absent, empty, fuzzy = [], [], []
    for key in _messages(_read(POT)):
        message = translated.get(key)
        if message is None:
            absent.append(key)
        elif message.fuzzy:
            fuzzy.append(key)
        elif not all(form.strip() for form in _forms(message.string)) or (
                message.pluralizable and len(_forms(message.string)) != catalog.num_plurals):
            empty.append(key)
    problems = []
    if absent:
        problems.append(f"Not in the catalog at all (run `make update-messages`) ({len(absent)}):\n{_listing(absent)}")
    if empty:
        problems.append(f"Empty msgstr ({len(empty)}):\n{_listing(empty)}")
    if fuzzy:
        problems.append(f"Marked fuzzy: check the translation, then remove `#, fuzzy` ({len(fuzzy)}):\n"
                        f"{_listing(fuzzy)}")
    assert not problems, (f"review/translations/{locale}/LC_MESSAGES/messages.po is incomplete.\n"
                          + "\n".join(problems))


def _expected_placeholders(message: Message, index: int, nforms: int) -> tuple[tuple, bool]:
    """What msgstr form ``index`` must contain, and whether fewer named placeholders are allowed.

    A plain message follows its msgid. In a plural message, form 0 of a language with several forms is the
    singular: it follows the msgid but may spell the number out ("One person"), so it may drop named
    placeholders; every other form, and the only form of a one-form language (zh), follows msgid_plural."""
    if not message.pluralizable:
        return _placeholders(message.id), False
    singular, plural = message.id[0], message.id[1]
    if index == 0 and nforms > 1:
        return _placeholders(singular), True
    return _placeholders(plural), False


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_are_kept(locale):
    """(c) Every msgstr uses exactly the python-format placeholders of its msgid."""
    wrong = []
    for key, message in _messages(_catalog(locale)).items():
        forms = _forms(message.string)
        for index, form in enumerate(forms):
            if not form:
                continue  # reported by test_catalog_is_complete
            got = _placeholders(form)
            if message.python_format:
                expected, may_drop = _expected_placeholders(message, index, len(forms))
                ok = got == expected or (may_drop and got[1] == expected[1] and got[0] <= expected[0])
                if not ok:
                    wrong.append(f"  {_show(key)}\n      msgstr{'[%d]' % index if message.pluralizable else ''} "
                                 f"{form!r}\n      expected {sorted(expected[0]) + list(expected[1])}, "
                                 f"found {sorted(got[0]) + list(got[1])}")
            elif NAMED_PLACEHOLDER.search(form):
                wrong.append(f"  {_show(key)}\n      msgstr {form!r}\n      the msgid has no placeholders")
    assert not wrong, (f"Placeholders differ from the msgid in review/translations/{locale}/LC_MESSAGES/messages.po "
                       f"({len(wrong)}):\n" + "\n".join(wrong))


def test_chinese_catalog_is_chinese():
    """(d) The default language really is Chinese, not an empty or copied catalog."""
    message = _catalog("zh_Hans_CN").get("Log in")
    assert message is not None, "'Log in' is missing from the zh_CN catalog."
    assert CJK.search(message.string or ""), (
        f"The zh_CN translation of 'Log in' is {message.string!r}: expected Chinese (登录). "
        "Is the zh_CN catalog empty or a copy of the English one?")

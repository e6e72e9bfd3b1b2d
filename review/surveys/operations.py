"""Writes to stored questionnaires: import (a new questionnaire or a new version) and freezing."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..core import audit
from ..core.errors import DomainError
from ..extensions import db
from .models import QuestionnaireVersion, StoredQuestionnaire, Survey
from .spec import Questionnaire
from .yaml_io import parse_questionnaire, questionnaire_to_dict


def find(name: str) -> StoredQuestionnaire | None:
    return db.session.scalar(select(StoredQuestionnaire).where(StoredQuestionnaire.name == name))


def save_questionnaire(q: Questionnaire) -> QuestionnaireVersion:
    """Store a validated questionnaire under its name: a new one; a new version when the latest is in
    use (frozen) and differs; the latest edited in place while nobody answers it; or nothing new
    when the document is unchanged."""
    document = questionnaire_to_dict(q)
    parse_questionnaire(document)  # what is stored must read back as the same questionnaire
    stored = find(q.name)
    if stored is None:
        stored = StoredQuestionnaire(name=q.name)
        db.session.add(stored)
        version = QuestionnaireVersion(questionnaire=stored, version=1, document=document)
        db.session.add(version)
        db.session.flush()
        return version
    latest = stored.latest
    if latest.document == document:
        return latest
    if latest.frozen:
        version = QuestionnaireVersion(questionnaire=stored, version=latest.version + 1, document=document)
        db.session.add(version)
        db.session.flush()
        audit.record("questionnaires.new_version", version,
                     summary=_("Version %(n)d of %(name)s", n=version.version, name=stored.name))
        return version
    latest.document = document
    db.session.flush()
    return latest


def get_version(name: str, version: int | None = None) -> QuestionnaireVersion:
    stored = find(name)
    if stored is None:
        raise DomainError(_("No questionnaire is named %(name)s.", name=name))
    if version is None:
        return stored.latest
    found = next((v for v in stored.versions if v.version == version), None)
    if found is None:
        raise DomainError(_("%(name)s has no version %(n)d.", name=name, n=version))
    return found


def create_survey(version: QuestionnaireVersion, unit, name: str, campaign=None) -> Survey:
    """A survey asks one questionnaire version, which is frozen from now on. Linked to a campaign, its
    index feeds the campaign plan's public-survey indicators of that questionnaire."""
    if campaign is not None and not campaign.unit.path.startswith(unit.path) and not unit.path.startswith(
            campaign.unit.path):
        raise DomainError(_("The survey's unit and the campaign's unit do not overlap."))
    version.frozen = True
    survey = Survey(name=name[:200], questionnaire_version=version, unit=unit,
                    campaign_id=campaign.id if campaign is not None else None)
    db.session.add(survey)
    db.session.flush()
    return survey

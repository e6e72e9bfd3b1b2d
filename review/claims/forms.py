"""Forms of the claim pages. Each receives its choices in __init__; the rules are the operations'."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.numbers import CountField
from ..evidence.forms import evidence_field
from .operations import DESCRIPTION_MAX, NOTE_MAX, TITLE_MAX, claimable_items, deduction_items


def _occurrences() -> CountField:
    return CountField(_l("Number of occurrences"), default=1, minimum=1)


class ClaimForm(FlaskForm):
    item = SelectField(_l("Bonus item"), choices=[], validators=[DataRequired(_l("Choose the item you claim."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the claim a title.")), Length(max=TITLE_MAX)],
                        description=_l("For example the case number and name, or the document's title."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                                render_kw={"rows": 4})
    occurrences = _occurrences()
    files = evidence_field()
    submit = SubmitField(_l("Submit the claim"))

    def __init__(self, campaigns, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One choice per campaign and item, grouped by campaign: "campaign id:item code".
        self.item.choices = {c.name: [(f"{c.id}:{code}", path) for code, path in claimable_items(c)]
                             for c in campaigns}


class DeductionForm(FlaskForm):
    person = SelectField(_l("Person"), choices=[], validators=[DataRequired(_l("Choose the person."))])
    item = SelectField(_l("Deduction item"), choices=[], validators=[DataRequired(_l("Choose the item."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the deduction a title.")),
                                                 Length(max=TITLE_MAX)],
                        description=_l("For example the inspection and the problem found, or the complaint."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                                render_kw={"rows": 3})
    occurrences = _occurrences()
    files = evidence_field()
    submit = SubmitField(_l("Record the deduction"))

    def __init__(self, campaign, people, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.person.choices = [("", "—")] + [
            (str(p.id), f"{p.name}（{p.staff_no}）· {p.department.name if p.department else p.unit.name}")
            for p in people]
        self.item.choices = [(code, path) for code, path in deduction_items(campaign)]


class DecisionForm(FlaskForm):
    """Endorse / approve / reject: one note, whose text is the reason when rejecting."""
    note = TextAreaField(_l("Note (required to reject: the reason)"), validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"rows": 2, "maxlength": NOTE_MAX})


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the deduction is withdrawn.")),
                                                   Length(max=NOTE_MAX)])

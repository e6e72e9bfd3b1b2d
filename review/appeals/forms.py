"""Forms of the appeal pages. Choices come in through __init__; the rules are the operations'."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.validators import DataRequired, Length, Optional

from ..evidence.forms import evidence_field
from .adjustments import REASON_MAX
from .operations import OUTCOME_MAX
from .operations import REASON_MAX as APPEAL_MAX

ROWS = 3   # adjustment rows offered at once (empty ones are ignored)


class AppealForm(FlaskForm):
    reason = TextAreaField(_l("Why do you appeal?"),
                           validators=[DataRequired(_l("Say why you appeal.")), Length(max=APPEAL_MAX)],
                           description=_l("Name the indicator and what you believe is wrong, with the facts."),
                           render_kw={"rows": 5, "maxlength": APPEAL_MAX})
    files = evidence_field(required=False)


class AdjustmentRow(Form):
    """One line to set: the indicator, the points it gets, why. Left empty, the row is ignored."""
    indicator = SelectField(_l("Indicator"), choices=[], validate_choice=False)
    points = StringField(_l("Points"), render_kw={"inputmode": "decimal"})
    reason = StringField(_l("Reason shown under the line"), validators=[Optional(), Length(max=REASON_MAX)])

    @property
    def filled(self) -> bool:
        return bool(self.indicator.data or (self.points.data or "").strip() or (self.reason.data or "").strip())


def _item_choices(items) -> list[tuple[str, str]]:
    return [("", "—")] + [(i.code, f"{i.path}（0–{i.maximum:g}）") for i in items]


class DecisionForm(FlaskForm):
    """Accept (with adjustments) or reject: the outcome's reason is always required."""
    outcome = TextAreaField(_l("Reason for the decision (shown to the appellant)"),
                            validators=[DataRequired(_l("Give the reason for the decision.")),
                                        Length(max=OUTCOME_MAX)],
                            render_kw={"rows": 3, "maxlength": OUTCOME_MAX})
    rows = FieldList(FormField(AdjustmentRow), min_entries=ROWS, max_entries=ROWS)

    def __init__(self, items, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for row in self.rows:
            row.indicator.choices = _item_choices(items)


class CorrectionRow(AdjustmentRow):
    person = SelectField(_l("Person"), choices=[], validate_choice=False)

    @property
    def filled(self) -> bool:
        return bool(self.person.data) or super().filled


class CorrectionForm(FlaskForm):
    reason = StringField(_l("Reason for the correction"),
                         validators=[DataRequired(_l("Say why the final results are corrected.")),
                                     Length(max=REASON_MAX)],
                         description=_l("For example the decision or document that makes the correction necessary."))
    rows = FieldList(FormField(CorrectionRow), min_entries=ROWS, max_entries=ROWS)

    def __init__(self, items, people, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people_choices = [("", "—")] + [
            (str(p.id), f"{p.name}（{p.staff_no}）· {p.department.name if p.department else p.unit.name}")
            for p in people]
        for row in self.rows:
            row.indicator.choices = _item_choices(items)
            row.person.choices = people_choices


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the adjustment is withdrawn.")),
                                                   Length(max=REASON_MAX)])

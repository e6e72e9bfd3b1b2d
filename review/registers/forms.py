"""Forms of the register pages; choices come in through __init__, the rules are the operations'."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..evidence.forms import evidence_field
from .operations import LEVEL_MAX, NOTE_MAX, TITLE_MAX


class EntryForm(FlaskForm):
    person = SelectField(_l("Person"), choices=[], validators=[DataRequired(_l("Choose the person."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the entry a title.")), Length(max=TITLE_MAX)])
    occurred_on = DateField(_l("Date"), validators=[DataRequired(_l("Give the date of the entry."))])
    level = StringField(_l("Level (optional)"), validators=[Optional(), Length(max=LEVEL_MAX)],
                        description=_l("For example 国家级, 省级 or 市级: a plan item may count one level only."),
                        render_kw={"list": "levels", "autocomplete": "off"})
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 2})
    files = evidence_field(required=False)
    submit = SubmitField(_l("Add to the register"))

    def __init__(self, people, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.person.choices = [("", "—")] + [
            (str(p.id), f"{p.name}（{p.staff_no}）· {p.department.name if p.department else p.unit.name}")
            for p in people]

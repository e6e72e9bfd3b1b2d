from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, SelectField, SelectMultipleField, StringField, SubmitField)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .models import Gender, LeaderRole, UnitLevel


class PersonForm(FlaskForm):
    staff_no = StringField(_l("Staff number"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    gender = SelectField(_l("Gender"), choices=[], validators=[Optional()])
    position = StringField(_l("Position / title"), validators=[Optional(), Length(max=100)])
    category_code = SelectField(_l("Category"), choices=[], validators=[DataRequired()])
    department_id = SelectField(_l("Department"), choices=[], validators=[Optional()])
    leader_role = SelectField(_l("Leader role"), choices=[], validators=[Optional()])
    # Checkboxes rather than a multi-select list: usable on a phone without Ctrl-click.
    supervised = SelectMultipleField(_l("Supervised departments (leadership team)"), choices=[],
                                     validators=[Optional()], widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput())
    hired_on = DateField(_l("Start date"), validators=[Optional()])
    left_on = DateField(_l("Leaving date"), validators=[Optional()])
    active = BooleanField(_l("In service"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, unit, categories, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = [(str(d.id), d.name) for d in unit.departments]
        self.gender.choices = [("", "—")] + [(g.value, g.label) for g in Gender]
        self.category_code.choices = [(c.code, c.label) for c in categories]
        self.department_id.choices = [("", "—")] + departments
        self.leader_role.choices = [("", "—")] + [(r.value, r.label) for r in LeaderRole]
        self.supervised.choices = departments


class MoveForm(FlaskForm):
    department_id = SelectField(_l("New department"), choices=[], validators=[DataRequired()])
    as_head = BooleanField(_l("As head of the new department"))
    submit = SubmitField(_l("Move"))

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.choices = [(str(d.id), f"{u.name} · {d.name}") for u in units for d in u.departments]


class DepartmentForm(FlaskForm):
    name = StringField(_l("Department name"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Add department"))


class UnitForm(FlaskForm):
    code = StringField(_l("Unit code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=100)])
    level = SelectField(_l("Level"), choices=[], validators=[DataRequired()])
    parent_id = SelectField(_l("Parent unit"), choices=[], validators=[Optional()])
    submit = SubmitField(_l("Add unit"))

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = [(lv.value, lv.label) for lv in UnitLevel]
        self.parent_id.choices = [("", "—")] + [(str(u.id), u.name) for u in units]


class TerminologyForm(FlaskForm):
    submit = SubmitField(_l("Save names"))

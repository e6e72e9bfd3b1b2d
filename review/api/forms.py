from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class ApiKeyForm(FlaskForm):
    """A new key: a name saying which system uses it, and the unit whose subtree it may reach.
    Unit choices (the user's scope) come from the view."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("The system that will use the key, e.g. 统一业务应用系统."))
    unit_id = SelectField(_l("Unit"), choices=[], validators=[DataRequired()],
                          description=_l("The key reaches the people of this unit and the units below it."))
    submit = SubmitField(_l("Create key"))

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = [(str(u.id), u.name) for u in units]

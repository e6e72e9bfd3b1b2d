from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..core.access import Role


class LoginForm(FlaskForm):
    login = StringField(_l("Staff number or login"), validators=[DataRequired(), Length(max=64)],
                        render_kw={"autocomplete": "username", "autocapitalize": "off"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                        description=_l("At least 8 characters, with letters and digits."),
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))


def role_choices():
    return [(r.value, r.label) for r in Role]


class UserForm(FlaskForm):
    """Create (with staff number or login) or edit an account. Unit choices come from the view."""

    staff_no = StringField(_l("Staff number of the person"), validators=[Optional(), Length(max=32)],
                           description=_l("Leave empty only for an account not linked to a person."))
    login = StringField(_l("Login (accounts without a person)"), validators=[Optional(), Length(max=64)])
    role = SelectField(_l("Role"), choices=[], validators=[DataRequired()])
    scope_unit_id = SelectField(_l("Unit scope"), choices=[], validators=[Optional()],
                                description=_l("Required for the performance office and supervisors."))
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=254),
                                                           Email(message=_l("This is not an e-mail address."))],
                        description=_l("Used only for reminders, when the site can send e-mail."))
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()
        self.scope_unit_id.choices = [("", "—")] + [(str(u.id), u.name) for u in units]


class ConfirmForm(FlaskForm):
    """A bare form: a button that posts with a CSRF token."""
    submit = SubmitField(_l("Confirm"))

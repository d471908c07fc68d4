"""What the organisation API accepts: sign-in, new units and users."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, Ref, Schema, Text
from gridcity.org.models import UNIT_KINDS, Role

Name = Annotated[Text, Field(min_length=1, max_length=100)]


class LoginIn(Schema):
    model_config = ConfigDict(title="Login")

    username: Name
    password: Annotated[Text, Field(min_length=1, max_length=200)]
    remember: bool | None = Field(None, description="Keep the session (default true).")


class UnitIn(Schema):
    model_config = ConfigDict(title="NewUnit")

    code: Annotated[Text, Field(min_length=1, max_length=30)]
    name: Name
    kind: Annotated[Text, Field(min_length=1, max_length=20)]
    contact_name: Annotated[Text, Field(max_length=50)] | None = None
    contact_phone: Annotated[Text, Field(max_length=30)] | None = None


class UserIn(Schema):
    model_config = ConfigDict(title="NewUser")

    username: Annotated[Text, Field(min_length=1, max_length=50)]
    # The password rule (length from GRIDCITY_PASSWORD_MIN_LENGTH, common
    # passwords, the user name) is the service's, with its own message.
    password: Annotated[Text, Field(min_length=1, max_length=200)]
    role: Annotated[Text, Field(min_length=1, max_length=20)]
    display_name: Annotated[Text, Field(max_length=100)] | None = None
    unit_code: Annotated[Text, Field(max_length=30)] | None = Field(
        None, description="Required for a unit handler or a unit supervisor."
    )
    work_grid_codes: list[Annotated[Text, Field(max_length=20)]] | None = Field(
        None, description="Inspectors only."
    )
    phone: Annotated[Text, Field(max_length=30)] | None = None
    must_change_password: bool = Field(
        True, description="The password is an initial one, replaced at the first sign-in (default)."
    )


class UserUpdate(Schema):
    """What changes (a field left out stays as it is)."""

    model_config = ConfigDict(title="UserChange")

    display_name: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    role: Annotated[Text, Field(min_length=1, max_length=20)] | None = None
    unit_code: Annotated[Text, Field(max_length=30)] | None = Field(
        None, description="A unit member's unit; an empty string takes the unit away."
    )
    work_grid_codes: list[Annotated[Text, Field(max_length=20)]] | None = Field(
        None, description="An inspector's work grids, all of them."
    )
    on_duty: bool | None = None


class PasswordReset(Schema):
    model_config = ConfigDict(title="PasswordReset")

    password: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="The initial password (the password rule applies); the user changes it at the next sign-in."
    )


class OwnPasswordChange(Schema):
    model_config = ConfigDict(title="OwnPasswordChange")

    old_password: Annotated[Text, Field(min_length=1, max_length=200)]
    new_password: Annotated[Text, Field(min_length=1, max_length=200)]


class PeopleQuery(Schema):
    q: Annotated[Text, Field(max_length=100)] | None = Field(None, description="Part of a name or user name.")
    role: Annotated[Text, Field(max_length=20)] | None = None
    unit: Annotated[Text, Field(max_length=30)] | None = Field(None, description="A unit's code.")
    active: bool | None = None


class PeopleImport(Schema):
    model_config = ConfigDict(title="PeopleImport")

    filename: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="Ends in .csv or .xlsx: how the content is read."
    )
    content: Annotated[Text, Field(min_length=1, max_length=3_000_000)] = Field(
        description="The file, base64-encoded."
    )


# ---------------------------------------------------------------- answers

ROLES = tuple(r.value for r in Role)


class RoleName(Answer):
    zh: str
    en: str


class Scope(Answer):
    work_grids: list[Ref]
    work_groups: list[Ref]
    areas: list[Ref]


class Me(Answer):
    """A user: who they are, their role and what they may see."""

    id: int
    username: str
    display_name: str
    role: Literal[ROLES]
    role_name: RoleName
    unit: Ref | None = Field(description="A unit member's unit (handler or supervisor).")
    scope: Scope


class Unit(Answer):
    """A responsible unit (责任单位)."""

    id: int
    code: str
    name: str
    kind: Literal[UNIT_KINDS]
    contact_name: str | None
    contact_phone: str | None
    street_id: int | None
    active: bool


class SignedIn(Me):
    """The signed-in user, and the new session's CSRF token (send it as
    ``X-CSRFToken`` with every state-changing request)."""

    must_change_password: bool = Field(
        description="An administrator reset the password: every other call answers 403 until it is changed."
    )
    csrf_token: str


class LoggedOut(Answer):
    ok: Literal[True]


class Person(Me):
    """A person as the admin console shows them."""

    active: bool
    on_duty: bool
    locked: bool = Field(
        description="Too many wrong passwords: cannot sign in until unlocked or the lock ends."
    )
    must_change_password: bool


class PeopleImportRow(Answer):
    line: int = Field(description="The row's line in the file (the header is line 1).")
    username: str
    display_name: str
    role_name: str
    unit: str
    work_grids: list[str]
    errors: list[str] = Field(description="What is wrong with the row, in the reader's language.")


class PeopleImportPreview(Answer):
    """Each row and its problems; nothing was saved."""

    rows: list[PeopleImportRow]
    ok: bool = Field(description="No row has a problem: the import would save them all.")


class PeopleImported(Answer):
    created: list[Person]


class PasswordChanged(Answer):
    """The password is changed and this session signed in again."""

    csrf_token: str

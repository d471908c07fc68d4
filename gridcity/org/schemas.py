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

    csrf_token: str


class LoggedOut(Answer):
    ok: Literal[True]

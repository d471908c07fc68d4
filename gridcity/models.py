"""Every model, imported once so the metadata is complete (Alembic, tests)."""

from gridcity.audit import models as audit_models  # noqa: F401
from gridcity.cases import models as case_models  # noqa: F401
from gridcity.extensions import db
from gridcity.geo import models as geo_models  # noqa: F401
from gridcity.hotline import models as hotline_models  # noqa: F401
from gridcity.inventory import models as inventory_models  # noqa: F401
from gridcity.open311 import models as open311_models  # noqa: F401
from gridcity.org import models as org_models  # noqa: F401
from gridcity.patrols import models as patrol_models  # noqa: F401
from gridcity.proactive import models as proactive_models  # noqa: F401
from gridcity.public import app_models as public_app_models  # noqa: F401
from gridcity.public import feedback_models as public_feedback_models  # noqa: F401
from gridcity.public import models as public_models  # noqa: F401
from gridcity.risk import models as risk_models  # noqa: F401
from gridcity.scorecards import models as scorecard_models  # noqa: F401
from gridcity.taxonomy import models as taxonomy_models  # noqa: F401
from gridcity.workcalendar import models as calendar_models  # noqa: F401

metadata = db.metadata

"""Every model module, imported once so that the metadata (migrations, create_all) sees all tables."""
from .auth import models as auth_models  # noqa: F401
from .ballots import models as ballot_models  # noqa: F401
from .campaigns import models as campaign_models  # noqa: F401
from .core import audit  # noqa: F401
from .org import models as org_models  # noqa: F401
from .plans import models as plan_models  # noqa: F401
from .surveys import models as survey_models  # noqa: F401
from .api import models as api_models  # noqa: F401
from .kpi import models as kpi_models  # noqa: F401
from .registers import models as register_models  # noqa: F401
from .claims import models as claim_models  # noqa: F401
from .evidence import models as evidence_models  # noqa: F401
from .appeals import models as appeal_models  # noqa: F401
from .archive import models as archive_models  # noqa: F401

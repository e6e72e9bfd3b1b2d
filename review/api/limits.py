"""The limits the API enforces, in one place: the views check them and the OpenAPI document
(review/api/openapi.py) states them, so the two cannot drift apart."""
from __future__ import annotations

from ..ids import MAX_ID

# A campaign id in a path: the range of the id columns (review/ids.py); anything else answers 404.
ID_FORMAT = "int32"
ID_MIN, ID_MAX = 1, MAX_ID
# The client's batch id: a letter or digit, then up to 99 of letters, digits and . _ : -
BATCH_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}"
BATCH_ID_MAX = 100
# Records in one batch: an empty batch is refused (it would use up a batch id and write nothing),
# and the importer reads at most as many rows as from a sheet.
MIN_RECORDS, MAX_RECORDS = 1, 50_000
# Results pages: limit 1..REVIEW_API_PAGE_MAX (default 100 or less), offset 0..OFFSET_MAX.
DEFAULT_LIMIT = 100
OFFSET_MAX = 10**9

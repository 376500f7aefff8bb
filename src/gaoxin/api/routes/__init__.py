"""Routers of the API, one module per area; ``app.create_app`` includes every router listed here.

Adding a module: append it to ``MODULES``; each module exposes ``router`` (an ``APIRouter`` whose paths
start with ``/api/v1``).  Every route must also appear in the authorisation matrix test
(tests/test_api_scoping.py), or the suite fails.
"""

MODULES: list[str] = ["auth", "admin", "data", "jobs", "publishing", "zones", "enterprises", "analytics", "exports",
                     "reports"]

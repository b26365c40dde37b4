"""The REST API (``/api/v1``): one module per resource, each an ``APIRouter`` included by ``central.app``."""

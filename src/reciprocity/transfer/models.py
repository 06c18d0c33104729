"""The app's models live with their concern; Django finds them here."""

from reciprocity.transfer.imports.models import ExternalId, ImportRun

__all__ = ["ExternalId", "ImportRun"]

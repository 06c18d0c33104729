"""Small types the playbook's request bodies share."""

from typing import Annotated

from ninja import Field
from pydantic import StrictInt

# Request bodies take numbers and booleans as JSON numbers and booleans, not as look-alikes
# ("5", 0), so a client's mistake is refused rather than guessed.
Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]

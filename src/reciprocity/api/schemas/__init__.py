"""Request and response bodies, a module per resource (the playbook's are in
``api/playbook/schemas/``). Requests use the names of the responses (PRODUCT.md); choice fields
are enums, so the OpenAPI document lists every slug. A blank choice is ``null``."""

"""The CRM domain beside the engine: deals, tenders and reports on the customers package. No Flask.

The engine stays generic and imports nothing from here. Importing this package
registers crm.tracking.on_persist as an engine instance listener, so every
process step keeps the opportunity or tender of its instance up to date, and
registers with customers.visibility that a company is seen through its deals and tenders, and
with customers.view360 the deals, tenders and contracts of a company's 360° view.
"""
from engine import instances as _instances

from . import customer_sections, models, tracking, visibility

if tracking.on_persist not in _instances.INSTANCE_LISTENERS:
    _instances.INSTANCE_LISTENERS.append(tracking.on_persist)

__all__ = ["customer_sections", "models", "tracking", "visibility"]

"""Customers: companies in groups, their master data and external keys, contacts and consent. No Flask.

Imports core and accounts only, never crm: crm builds deals and tenders on top of
this package and adds its own ways of seeing a company through
customers.visibility.COMPANY_SIGHTS when it is imported.
"""
from . import models

__all__ = ["models"]

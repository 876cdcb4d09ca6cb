"""Import (ETL) and export of customer data: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX files.

No Flask here: web/customers/imports.py and the `flask import` command call these.
"""
from .columns import FIELDS, KINDS
from .export import as_csv, as_xlsx, company_rows, contact_rows, COMPANY_HEADER, CONTACT_HEADER
from .jobs import PROGRESS, claim_next, get_job, import_rows, rejections, run_job, submit
from .reading import DEFAULT_LIMITS, Limits
from .report import rejections_csv
from .runner import Runner

__all__ = ["FIELDS", "KINDS", "as_csv", "as_xlsx", "company_rows", "contact_rows", "COMPANY_HEADER",
           "CONTACT_HEADER", "PROGRESS", "claim_next", "get_job", "import_rows", "rejections", "run_job", "submit",
           "DEFAULT_LIMITS", "Limits", "rejections_csv", "Runner"]

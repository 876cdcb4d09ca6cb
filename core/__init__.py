"""What every domain package stands on: the database wiring, the errors, the settings and the audit log.

It imports no other package of the project, so that `accounts`, `engine`, `crm`
and the rest can all use it without importing one another in a circle.
"""

"""The same people and deployed processes as the process tests."""
from tests.processes.conftest import fast_passwords, people, team  # noqa: F401

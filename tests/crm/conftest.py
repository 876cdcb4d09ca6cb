"""The same people and deployed processes as the process tests; the contract tests' data dir."""
from tests.processes.conftest import fast_passwords, people, team  # noqa: F401
from tests.signing.conftest import data_dir, keys_template  # noqa: F401

from tests.dashboard.conftest import key_prefix, redis_url, tokens  # noqa: F401  (shared fixtures)

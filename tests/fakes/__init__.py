"""In-process fakes of external services (Slack Web API, ...) used by the tests."""

"""Platform adapters (console, Slack, Discord): thin translators over ``bot``."""

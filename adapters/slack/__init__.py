"""Slack adapter: slash command, mentions, buttons and digests on slack-bolt (see ``app``)."""

from adapters.slack.app import SlackAdapter, SlackConfigError

__all__ = ["SlackAdapter", "SlackConfigError"]

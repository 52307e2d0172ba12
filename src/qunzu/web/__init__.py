"""The web UI: server-rendered Jinja2 pages and forms, plus small ES modules for the live chat."""

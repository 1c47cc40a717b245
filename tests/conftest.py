"""The harness's own tests. pytester drives the plugin in isolated runs."""

pytest_plugins = ["pytester"]

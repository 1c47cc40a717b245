"""Root conftest: the sign-off plugin comes by entry point; this loads the stack fixtures."""

pytest_plugins = ["fixtures.plugin"]

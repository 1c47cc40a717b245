"""Provisioning: where the servers come from (local processes, docker, an external environment)."""

from .errors import ConfigurationError, PrerequisiteMissing, ProvisioningError, ServerStartError
from .local import LocalStack, LocalStackOptions
from .stack import RedisTarget, Stack

__all__ = [
    "ConfigurationError",
    "LocalStack",
    "LocalStackOptions",
    "PrerequisiteMissing",
    "ProvisioningError",
    "RedisTarget",
    "ServerStartError",
    "Stack",
]

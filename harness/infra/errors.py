"""Errors raised while provisioning or reaching the stack.

    ProvisioningError
    ├── PrerequisiteMissing   a binary or package is not installed
    ├── ServerStartError      a server died or never became ready
    └── ConfigurationError    the environment / .env names an unusable target
"""

from __future__ import annotations


class ProvisioningError(RuntimeError):
    """Base class: something the harness needed from the machine is not there."""

    def __init__(self, what: str, *, checked: str = "", remedies: tuple[str, ...] = ()) -> None:
        self.what = what
        self.checked = checked
        self.remedies = remedies
        lines = [what]
        if checked:
            lines.append(f"Checked: {checked}")
        if remedies:
            lines.append("How to fix:")
            lines.extend(f"  - {r}" for r in remedies)
        super().__init__("\n".join(lines))


class PrerequisiteMissing(ProvisioningError):
    """A server binary the local provider needs is not installed."""


class ServerStartError(ProvisioningError):
    """A server process exited or did not become ready in time."""


class ConfigurationError(ProvisioningError):
    """An external target is described by unusable settings."""

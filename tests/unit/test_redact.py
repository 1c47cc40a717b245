"""No secret survives redaction, whatever shape it comes in."""

from harness.signoff.redact import MASK, redact, redact_obj, register_secret


def test_url_password_is_masked() -> None:
    """A password inside a URL is masked even when never registered."""
    out = redact("postgresql://docling_app:s3cr3t-value@127.0.0.1:5432/db?sslmode=verify-full")
    assert "s3cr3t-value" not in out and f"docling_app:{MASK}@" in out


def test_conninfo_and_redis_config_passwords_are_masked() -> None:
    """conninfo `password=` and redis.conf `requirepass` shapes."""
    assert "hunter22" not in redact("host=x password=hunter22 dbname=y")
    assert "hunter22" not in redact("requirepass hunter22")


def test_private_keys_are_removed() -> None:
    """PEM private key blocks disappear whole."""
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----"
    assert "MIIEabc" not in redact(f"key: {pem} end")


def test_registered_values_are_masked_everywhere() -> None:
    """A registered secret is masked in nested structures, keys included."""
    register_secret("Zm9vYmFyLXNlY3JldA")
    data = {"a": ["x Zm9vYmFyLXNlY3JldA y"], "Zm9vYmFyLXNlY3JldA": 1}
    assert "Zm9vYmFyLXNlY3JldA" not in str(redact_obj(data))

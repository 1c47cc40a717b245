"""Planted defects of the web layer: each module's ``create_app(settings)`` is the reference
app with exactly ONE defect, so a sign-off run against it must fail exactly one criterion."""

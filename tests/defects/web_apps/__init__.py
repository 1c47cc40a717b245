"""Planted defects of the web layer: each module's ``create_app(settings)`` is the reference
app with exactly ONE defect, so a sign-off run against it fails exactly the criteria that defect
breaks (one, or a pair two tests claim together). ``combined`` stacks defects of different tasks
so one run judges several; the tests assert the exact failed set per task."""

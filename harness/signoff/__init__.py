"""Sign-off machinery: criteria catalogue, pytest plugin, waivers, evidence and report renderers."""

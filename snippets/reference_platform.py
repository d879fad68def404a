"""The platform the recorded outputs in snippets/ belong to: the one CI runs on.
mkdocs.yml reads it (reference_platform), and the home page shows it."""

PLATFORM = {"os": "Linux", "machine": "x86_64", "python": "3.11", "torch": "2.13.0+cpu"}

from hypothesis import Phase, settings

from ragwarden.core.runtime import prepare_process

prepare_process()  # as every entry point does: offline, no usage pings, passive OpenMP

# Hypothesis's explain phase traces every line of every example while it generates them: over our property tests,
# which run the real sync path (pure-Python NTLM, parsing, the engine), that is slow and memory-hungry. The failing
# example is still found, shrunk and printed without it.
settings.register_profile("ragwarden", phases=[p for p in Phase if p is not Phase.explain])
settings.load_profile("ragwarden")

pytest_plugins = ["tests.demo_fixtures", "tests.fixtures.models", "tests.fixtures.samba", "tests.fixtures.smb"]

from ragwarden.core.runtime import prepare_process

prepare_process()  # as every entry point does: offline, no usage pings, passive OpenMP

pytest_plugins = ["tests.demo_fixtures", "tests.fixtures.models", "tests.fixtures.samba", "tests.fixtures.smb"]

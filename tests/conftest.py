pytest_plugins = ["tests.demo_fixtures", "tests.fixtures.samba", "tests.fixtures.smb"]

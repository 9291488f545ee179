pytest_plugins = ["tests.demo_fixtures", "tests.fixtures.samba"]

from tests.fixtures.botframework import teams, teams_entra  # noqa: F401 (fixtures of this folder)

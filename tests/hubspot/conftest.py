"""The app with its HubSpot connector on, against the HubSpot emulator (real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from tests.clock import FakeClock
from tests.hubspot.emulator import ALL_SCOPES, HubSpotEmulator

TOKEN = "pat-test-token"
SECRET = "hs-client-secret"


@pytest.fixture(scope="session")
def hubspot_server() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(access_token=TOKEN, client_secret=SECRET) as emulator:
        yield emulator


@pytest.fixture
def hubspot(hubspot_server: HubSpotEmulator, clock: FakeClock) -> HubSpotEmulator:
    hubspot_server.reset()
    hubspot_server.scopes = ALL_SCOPES  # a test may have taken one away
    hubspot_server.access_token = TOKEN  # or changed the token
    hubspot_server.clock = clock
    hubspot_server.search_per_second = 5
    return hubspot_server


@pytest.fixture
def settings(settings: Settings, hubspot: HubSpotEmulator) -> Settings:
    """The suite's settings with the connector on: HUBSPOT_ACCESS_TOKEN, the client secret
    and the emulator's address."""
    return settings.model_copy(
        update={
            "hubspot_access_token": SecretStr(TOKEN),
            "hubspot_client_secret": SecretStr(SECRET),
            "hubspot_api_url": hubspot.api_url,
        }
    )

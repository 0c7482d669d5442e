"""Which device a sign-in comes from, for the "new sign-in" notice.

A device is its user agent together with its network: the /24 of an IPv4
address, the /48 of an IPv6 one, so that a phone hopping between addresses of
one provider mostly stays one device while another browser, or the same one
from somewhere else, does not. Deliberately coarse: the notice is a nudge to
the owner, not an authentication factor. Only a keyed hash of the description
is stored (the blind-index key, salted with the player's id): user agents and
networks are few enough that a plain hash could be searched.

A player's first sign-in is not announced (there is nothing to compare it
with); every later sign-in from a device not seen before is.
"""

from __future__ import annotations

import uuid
from ipaddress import ip_address, ip_network

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.blind_index import blind_index
from croupier.identity import repository
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.keyring import keyring_of

_IPV4_PREFIX = 24
_IPV6_PREFIX = 48


def network_of(ip: str | None) -> str:
    if ip is None:
        return "unknown"
    address = ip_address(ip)
    prefix = _IPV4_PREFIX if address.version == 4 else _IPV6_PREFIX
    return str(ip_network(f"{address}/{prefix}", strict=False))


def describe(client: ClientInfo) -> str:
    return f"{network_of(client.ip)}|{client.user_agent or ''}"


async def is_new(session: AsyncSession, *, player_id: uuid.UUID, client: ClientInfo) -> bool:
    """Remember this sign-in's device; True when the player has signed in before, but never from it."""
    device = blind_index(keyring_of(session), "player.device", f"{player_id}|{describe(client)}")
    return await repository.remember_device(session, player_id, device, now=utcnow())

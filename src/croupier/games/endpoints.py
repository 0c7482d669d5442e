"""Games and fairness HTTP API: the signed-in player's own rounds and seeds only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.responsible.enforcement import SignIn
from croupier.compliance.responsible.errors import LimitReached
from croupier.compliance.responsible.exclusions.gate import GamblingBlocked
from croupier.games import catalogue, fairness, rounds, seeds
from croupier.games.engines import GAMES, blackjack
from croupier.games.errors import GameError, UnknownGame
from croupier.games.schemas import (
    ActionRequest,
    ClientSeedRequest,
    GameList,
    GameView,
    LimitsView,
    PlayedView,
    RotationView,
    RoundList,
    RoundQuery,
    RoundView,
    SeedsView,
    VerifyRequest,
    VerifyView,
)
from croupier.games.verify import verify_round
from croupier.identity.auth import CurrentAuth, CurrentPrincipal
from croupier.identity.errors import InvalidSession
from croupier.identity.sessions import Principal, authenticate_principal
from croupier.kit.client import ClientInfo
from croupier.kit.deps import Client, DbSession, SettingsDep, runtime_of
from croupier.kit.errors import CroupierError, NotFound, problem, responses
from croupier.kit.hot_routes import HotRoute, answered_first_by, bearer_token, json_object
from croupier.kit.idempotency import (
    IdempotencyKey,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    mark_replayed,
    plain_key,
)
from croupier.kit.settings import Settings
from croupier.risk.pre_bet import BetRefused
from croupier.risk.service import RiskDenied, RiskUnavailable
from croupier.wallet.service import InsufficientFunds, UnknownCurrency

router = APIRouter(tags=["games"], route_class=HotRoute)


class GameRefusal(CroupierError):
    """How a game engine's refusal (``GameError``) is shown: 422 with the engine's code."""

    code = "invalid_bet"
    status = 422
    title = "The game does not accept this"


def _percent(value: Any) -> str:
    return f"{float(value * 100):.4f}"


@router.get("/v1/games", summary="The games, their RTP and stake limits")
async def list_games(settings: SettingsDep) -> GameList:
    return GameList(
        items=[
            GameView(
                code=code,
                name=info.name,
                rtp=_percent(info.rtp),
                house_edge=_percent(info.house_edge),
                rtp_is_exact=info.rtp_is_exact,
                rtp_note=info.rtp_note,
                multi_step=code == blackjack.CODE,
                stake_limits={
                    currency: LimitsView(minimum=limit.minimum, maximum=limit.maximum)
                    for currency, limit in catalogue.limits(settings, code).items()
                },
            )
            for code, info in GAMES.items()
        ]
    )


async def _play_round_fast(request: Request) -> Response | None:
    """``play_round`` for the plainly well-formed bet (see ``kit.hot_routes``)."""
    body, token, key = await json_object(request), bearer_token(request), plain_key(request.headers)
    if body is None or token is None or key is None:
        return None
    runtime = runtime_of(request)
    async with runtime.database.unit_of_work() as session:
        auth = await authenticate_principal(session, settings=runtime.settings, token=token)
        view, replayed = await _play(
            session,
            runtime.settings,
            auth,
            game=request.path_params["game"],
            body=body,
            key=key,
            client=ClientInfo.from_request(request),
        )
    answer = Response(view.model_dump_json(by_alias=True), status_code=201, media_type="application/json")
    mark_replayed(answer, replayed)
    return answer


@router.post(
    "/v1/games/{game}/rounds",
    status_code=201,
    summary="Bet: play a round",
    responses=responses(
        InvalidSession,
        IdempotencyKeyRequired,
        IdempotencyKeyReused,
        NotFound,
        GameRefusal,
        InsufficientFunds,
        UnknownCurrency,
        BetRefused,
        GamblingBlocked,
        RiskDenied,
        RiskUnavailable,
        LimitReached,
        catalogue.CurrencyNotOffered,
    ),
)
@answered_first_by(_play_round_fast)
async def play_round(
    *,
    game: str,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[{"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}],
            description="`currency` plus the game's bet: dice `{stake, target, direction}`, roulette"
            " `{wagers: [...]}`, slots `{machine, line_bet}`, blackjack `{stake}`.",
        ),
    ],
    session: DbSession,
    settings: SettingsDep,
    auth: CurrentPrincipal,
    key: IdempotencyKey,
    response: Response,
    client: Client,
) -> PlayedView:
    view, replayed = await _play(session, settings, auth, game=game, body=body, key=key, client=client)
    mark_replayed(response, replayed)
    return view


async def _play(
    session: AsyncSession,
    settings: Settings,
    auth: Principal,
    *,
    game: str,
    body: dict[str, Any],
    key: str,
    client: ClientInfo,
) -> tuple[PlayedView, bool]:
    currency = body.get("currency")
    if not isinstance(currency, str) or not currency.isascii() or not 3 <= len(currency) <= 8:
        raise GameRefusal("Say which currency: `currency`, e.g. EUR.")
    bet = {name: value for name, value in body.items() if name != "currency"}
    played, replayed, play = await rounds.play(
        session,
        settings,
        player_id=auth.player_id,
        game=game,
        currency=currency,
        bet=bet,
        key=key,
        player_status=auth.status,
        gambling_blocked_until=auth.gambling_blocked_until,
        client=client,
        sign_in=SignIn(auth.session_id, auth.started_at),
    )
    return PlayedView.after(played, play), replayed


@router.post(
    "/v1/rounds/{round_id}/actions",
    summary="Act in an open round (blackjack: hit, stand, double, split)",
    responses=responses(
        InvalidSession,
        NotFound,
        GameRefusal,
        InsufficientFunds,
        rounds.RoundFinished,
        IdempotencyKeyRequired,
        LimitReached,
        GamblingBlocked,
    ),
)
async def act(
    *,
    round_id: uuid.UUID,
    body: ActionRequest,
    session: DbSession,
    settings: SettingsDep,
    auth: CurrentPrincipal,
    key: IdempotencyKey,
    response: Response,
    client: Client,
) -> PlayedView:
    played, replayed, play = await rounds.act(
        session,
        settings,
        player_id=auth.player_id,
        round_id=round_id,
        action=body.action,
        key=key,
        player_status=auth.status,
        gambling_blocked_until=auth.gambling_blocked_until,
        client=client,
        sign_in=SignIn(auth.session_id, auth.started_at),
    )
    mark_replayed(response, replayed)
    return PlayedView.after(played, play)


@router.get("/v1/rounds", summary="My rounds, newest first", responses=responses(InvalidSession, NotFound))
async def my_rounds(
    session: DbSession, auth: CurrentAuth, query: Annotated[RoundQuery, Query()]
) -> RoundList:
    limit, before, cursor = query.limit, query.before, None
    if before is not None:
        last = await rounds.mine(session, auth.player.id, before)
        cursor = (last.created_at, last.id)
    found = await rounds.history(session, auth.player.id, limit=limit + 1, before=cursor)
    page = found[:limit]
    shown = await seeds.revealed(session, {r.seed_pair_id for r in page})
    return RoundList(
        items=[RoundView.of(r, revealed=shown.get(r.seed_pair_id)) for r in page],
        next_before=page[-1].id if len(found) > limit else None,
    )


@router.get(
    "/v1/rounds/{round_id}", summary="One of my rounds", responses=responses(InvalidSession, NotFound)
)
async def my_round(round_id: uuid.UUID, session: DbSession, auth: CurrentAuth) -> RoundView:
    played = await rounds.mine(session, auth.player.id, round_id)
    shown = await seeds.revealed(session, {played.seed_pair_id})
    return RoundView.of(played, revealed=shown.get(played.seed_pair_id))


@router.get("/v1/fairness/seeds", summary="My seed commitment", responses=responses(InvalidSession))
async def my_seeds(session: DbSession, auth: CurrentAuth) -> SeedsView:
    return SeedsView.of(await seeds.commitment(session, auth.player.id))


@router.put(
    "/v1/fairness/client-seed",
    summary="Choose my client seed",
    responses=responses(InvalidSession, seeds.InvalidClientSeed),
)
async def set_client_seed(body: ClientSeedRequest, session: DbSession, auth: CurrentAuth) -> SeedsView:
    return SeedsView.of(await seeds.set_client_seed(session, auth.player.id, body.client_seed))


@router.post(
    "/v1/fairness/seeds/rotate",
    summary="Reveal my server seed and commit to a new one",
    responses=responses(InvalidSession, seeds.RoundInProgress),
)
async def rotate(session: DbSession, auth: CurrentAuth) -> RotationView:
    revealed, fresh = await seeds.rotate(session, auth.player.id)
    return RotationView(
        revealed_server_seed=revealed,
        server_seed_hash=fresh.server_seed_hash,
        client_seed=fresh.client_seed,
        nonce=fresh.nonce,
    )


@router.post(
    "/v1/fairness/verify", summary="Recompute a round from its seeds", responses=responses(GameRefusal)
)
async def verify(body: VerifyRequest) -> VerifyView:
    """Anyone may check any round once its server seed is revealed: the result depends
    on the seeds, the nonce, the bet and the actions, nothing else."""
    outcome = verify_round(
        body.game, body.server_seed, body.client_seed, body.nonce, bet=body.bet, actions=body.actions
    )
    return VerifyView(
        server_seed_hash=fairness.hash_server_seed(body.server_seed),
        stake=outcome.stake,
        payout=outcome.payout,
        outcome=outcome.detail,
    )


def install_game_errors(app: FastAPI) -> None:
    """A game engine's refusal is a problem document with the engine's own code."""

    @app.exception_handler(GameError)
    async def _refused(_: Request, exc: GameError) -> JSONResponse:
        status = 404 if isinstance(exc, UnknownGame) else GameRefusal.status
        return problem(status, exc.code, GameRefusal.title, exc.message)

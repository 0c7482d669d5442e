"""What the player's browser calls, without an API key: tokenization and the 3-D Secure page."""

from __future__ import annotations

import html
import json
from typing import Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from croupier.sandbox.psp.deps import StateDep
from croupier.sandbox.psp.errors import invalid_request
from croupier.sandbox.psp.schemas import TokenRequest
from croupier.sandbox.psp.state import Payment

router = APIRouter(tags=["browser"])
_MAX_FORM_BYTES = 4096


@router.post("/v1/tokens", status_code=201, summary="Vault a card; returns a token")
async def create_token(body: TokenRequest, state: StateDep) -> JSONResponse:
    token = state.tokenize(
        number=body.number,
        exp_month=body.exp_month,
        exp_year=body.exp_year,
        cvc=body.cvc,
        holder_name=body.holder_name,
    )
    return JSONResponse(token.public(), status_code=201)


@router.get("/3ds/{payment_id}", response_class=HTMLResponse, summary="The 3-D Secure challenge page")
async def challenge_page(payment_id: str, state: StateDep) -> HTMLResponse:
    return HTMLResponse(_page(state.challenge(payment_id)))


@router.post("/3ds/{payment_id}", response_model=None, summary="Pass or fail the challenge")
async def complete_challenge(payment_id: str, request: Request, state: StateDep) -> Response:
    outcome = await _outcome(request)
    payment = state.complete_challenge(payment_id, outcome)
    if payment.return_url:
        return RedirectResponse(payment.return_url, status_code=303)
    return JSONResponse({"id": payment.id, "status": payment.status})


async def _outcome(request: Request) -> Literal["pass", "fail"]:
    """``outcome`` from a JSON body or from the page's form (urlencoded)."""
    raw = await request.body()
    if len(raw) > _MAX_FORM_BYTES:
        raise invalid_request("The body is too large.")
    value: object = None
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            parsed = json.loads(raw)
            value = parsed.get("outcome") if isinstance(parsed, dict) else None
        else:
            value = parse_qs(raw.decode(), max_num_fields=10).get("outcome", [None])[0]
    except ValueError:
        raise invalid_request("The body is neither JSON nor a form.") from None
    if value == "pass":
        return "pass"
    if value == "fail":
        return "fail"
    raise invalid_request('outcome must be "pass" or "fail".')


def _page(payment: Payment) -> str:
    card = f"{payment.token.brand} ending {payment.token.last4}"
    summary = html.escape(f"{payment.amount} {payment.currency} (minor units), {card}")
    # The form posts back to this same address, so the page works behind any host name.
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>3-D Secure - Croupier sandbox</title></head>
<body>
<h1>3-D Secure challenge</h1>
<p>Sandbox payment {html.escape(payment.id)}: {summary}.</p>
<form method="post">
<button type="submit" name="outcome" value="pass">Pass</button>
<button type="submit" name="outcome" value="fail">Fail</button>
</form>
</body>
</html>
"""

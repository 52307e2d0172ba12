"""Group creation terms and the group info page (Art. 8 ¶2–3: R-8.2-2, R-8.3-1).

Registered before routes_groups, so `/groups/creation-terms` is not read as a group code.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from qunzu.api.deps import ContainerDep, CtxDep, UserDep, bearer, current_user, get_container, get_ctx, request_token
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLine
from qunzu.api.schemas_creation import CreationTermsOut, GroupInfoOut
from qunzu.bootstrap import Container
from qunzu.context import Ctx
from qunzu.services import group_info
from qunzu.services.views import UserView

router = APIRouter(prefix="/api/v1", tags=["groups"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]


async def optional_user(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    ctx: Annotated[Ctx, Depends(get_ctx)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> UserView | None:
    """The signed-in user, or None for a visitor without a token."""
    if not request_token(request, creds):
        return None
    return await current_user(request, container, ctx, creds)


MaybeUserDep = Annotated[UserView | None, Depends(optional_user)]


@router.get("/groups/creation-terms", response_model=CreationTermsOut, responses=errors(*AUTHED))
async def creation_terms(
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    tier: Annotated[str, Query(pattern="^(S|M|L|XL)$")] = "S",
    category: Annotated[str, Query(min_length=1, max_length=32)] = "other",
) -> CreationTermsOut:
    """What creating a group of `tier` in `category` requires (verification level, credit level, account age,
    review, member cap) and, for you, whether each requirement is met."""
    terms = await group_info.creation_terms(
        c.db, actor=user.id, tiers=[tier], category=category, policy=await c.policy.policy(), now=ctx.now
    )
    return CreationTermsOut(**terms[tier])


@router.get("/groups/{code}/info", response_model=GroupInfoOut, responses=errors(401, 404, 410))
async def info(code: Code, user: MaybeUserDep, c: ContainerDep, ctx: CtxDep) -> GroupInfoOut:
    """The group info page: name, code, category, size tier, member cap, live member count, creation date, join
    mode, owner and managers. Members always; from 100 members anyone with the code, signed in or not; below that
    a non-member sees the name, code and join mode only (`full: false`). A closed group: 410 `group_closed`."""
    view = await group_info.group_info(c.db, actor=user.id if user else None, code=code, policy=await c.policy.policy())
    return GroupInfoOut.of(view, ctx.language)

"""Group search (搜索群组) and the owner's search listing (group rules Art. 16, 37).

Registered before routes_groups, so `/groups/search` is not read as a group code.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLine
from qunzu.api.schemas_directory import GroupSearchOut, ListingIn, ListingOut
from qunzu.domain.group_directory import PAGE_MAX
from qunzu.services import group_directory

router = APIRouter(prefix="/api/v1", tags=["groups"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]
OFFSET_MAX = 10_000  # search is for finding a group, not for walking the directory


@router.get("/groups/search", response_model=GroupSearchOut, responses=errors())
async def search(
    c: ContainerDep,
    ctx: CtxDep,
    q: Annotated[OneLine, Query(max_length=1000, description="a part of the name, or the group code (1–50 chars)")],
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> GroupSearchOut:
    """Find groups by a part of the name (case-insensitive) or by code, signed in or not. Only groups whose owner
    lists them, with a public info page (100 members by default), four or five credit stars, active and not hidden
    by a platform measure; five-star groups first, then by member count. A query of 1–50 characters after
    trimming, else 422 `validation_failed` with `details.field` = `q`."""
    await c.throttle.group_search(ip=ctx.ip, now=ctx.now)  # 429 rate_limited with the wait
    page = await group_directory.search_groups(c.db, q=q, policy=await c.policy.policy(), limit=limit, offset=offset)
    return GroupSearchOut.of(page, ctx.language)


@router.get("/groups/{code}/listing", response_model=ListingOut, responses=errors(*AUTHED, 403, 404, 410))
async def listing(code: Code, user: UserDep, c: ContainerDep) -> ListingOut:
    """The owner: whether the group is listed in group search, the conditions search asks of it and whether it
    meets each (others: 403 `forbidden_role`, non-members `not_member`)."""
    state = await group_directory.listing_state(c.db, actor=user.id, code=code, policy=await c.policy.policy())
    return ListingOut.of(state)


@router.put("/groups/{code}/listing", response_model=ListingOut, responses=errors(*AUTHED, 403, 404, 409, 410))
async def set_listing(code: Code, body: ListingIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> ListingOut:
    """The owner lists the group in group search (`{"listed": true}`) or takes it out. The choice stands even while
    the group does not meet the conditions; search finds it once it does. Recorded as `group.listing`."""
    state = await group_directory.set_listed(
        c.db, actor=user.id, code=code, listed=body.listed, ctx=ctx, policy=await c.policy.policy()
    )
    return ListingOut.of(state)

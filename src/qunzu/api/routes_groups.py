"""Groups: create, look up by code, join, leave, members (managers and transfer: routes_group_admin.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import (
    CategoryOut,
    GroupCreate,
    GroupProfileUpdate,
    GroupPublic,
    MemberPublic,
    MembersOut,
    OneLine,
)
from qunzu.i18n import category_label
from qunzu.services import groups as svc
from qunzu.services.review import profile_screen

router = APIRouter(prefix="/api/v1", tags=["groups"])
Code = Annotated[OneLine, Path(min_length=1, max_length=32, description="group code, 10 digits")]


@router.get("/categories", response_model=list[CategoryOut], responses=errors())
async def categories(c: ContainerDep, ctx: CtxDep) -> list[CategoryOut]:
    """The group categories of the policy in force; `sensitive` ones need L2 and staff review at any size (D16)."""
    policy = await c.policy.policy()
    return [
        CategoryOut(id=cat.id, label=category_label(cat.id, ctx.language), sensitive=cat.sensitive)
        for cat in policy.categories
    ]


@router.post("/groups", status_code=201, response_model=GroupPublic, responses=errors(*AUTHED, 403, 409))
async def create_group(body: GroupCreate, user: UserDep, c: ContainerDep, ctx: CtxDep) -> GroupPublic:
    """Create a group of a size tier; you become its owner (群主) after accepting the current 群主责任告知书
    (`duties_version`). It gets a unique 10-digit code. XL and sensitive categories wait for staff review
    (`status: pending_review`); an unmet requirement is refused with every reason in details.reasons."""
    policy = await c.policy.policy()
    view = await svc.create_group(
        c.db,
        actor=user.id,
        name=body.name,
        category=body.category,
        description=body.description,
        ctx=ctx,
        limits=c.settings.groups,
        policy=policy,
        tier=body.tier,
        duties_version=body.duties_version,
        purpose=body.purpose,
        screen=profile_screen(c.review),
    )
    return GroupPublic.of(view, ctx.language, policy)


@router.get("/groups/{code}", response_model=GroupPublic, responses=errors(*AUTHED, 404, 410))
async def get_group(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> GroupPublic:
    """A group's basic information, for anyone signed in who holds its code; a closed group answers 410
    `group_closed` with its code and closing time (the tombstone)."""
    view = await svc.get_group(c.db, actor=user.id, code=code)
    return GroupPublic.of(view, ctx.language, await c.policy.policy())


@router.patch("/groups/{code}", response_model=GroupPublic, responses=errors(*AUTHED, 403, 404, 409, 422))
async def update_profile(
    code: Code, body: GroupProfileUpdate, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> GroupPublic:
    """The owner or a manager changes the group's name, description or announcement (群公告). Each change is
    reviewed like a new group's (refused with `content_rejected`) and recorded with its old and new value;
    members' open pages get a `group_updated` frame."""
    view = await svc.update_profile(
        c.db,
        actor=user.id,
        code=code,
        name=body.name,
        description=body.description,
        announcement=body.announcement,
        ctx=ctx,
        limits=c.settings.groups,
        screen=profile_screen(c.review),
    )
    return GroupPublic.of(view, ctx.language, await c.policy.policy())


# POST /groups/{code}/join (join by code, R-8.3-3) is in api/routes_joining.py


@router.post("/groups/{code}/leave", status_code=204, responses=errors(*AUTHED, 403, 404, 409))
async def leave(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """Leave a group. The owner must transfer ownership first."""
    await svc.leave_group(c.db, actor=user.id, code=code, ctx=ctx)
    return Response(status_code=204)


@router.get("/groups/{code}/members", response_model=MembersOut, responses=errors(*AUTHED, 403, 404))
async def members(code: Code, user: UserDep, c: ContainerDep, ctx: CtxDep) -> MembersOut:
    """Members with their role labels (群主 / 管理员 / 成员)."""
    views = await svc.list_members(c.db, actor=user.id, code=code)
    return MembersOut(members=[MemberPublic.of(v, ctx.language) for v in views], count=len(views))
